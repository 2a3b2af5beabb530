"""What every page-family parser shares: the parsed record, selector helpers, and fallbacks.

A family parser is a small class that lists CSS selectors per field, as its CMS marks up an article; fields
its selectors miss fall back to what every news page carries (JSON-LD, OpenGraph, article meta).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

from lxml import etree

from mediawatch.records import Article
from scrapers.dates import parse_date
from scrapers.errors import DateError, FutureDate, ParseError
from scrapers.html import Node, iselect, parse_html, remove, select

# Whitespace to fold: everything Unicode calls space, but never ZWNJ (U+200C), which is a letter joiner.
_SPACE = re.compile(r"[ \t\r\n\f\v\xa0\u2000-\u200b\u202f\u205f\u3000]+")
# Blocks inside an article body that are not the article (ads, related links, share bars, scripts).
_NOISE = re.compile(r"(?:^|[-_ ])(?:ad|ads|advert\w*|banner|related\w*|shar(?:e|ing)\w*|social|breadcrumbs?|kicker|comment\w*|tags?|newsletter|promo|sponsor\w*|print|rating)(?:$|[-_ ])", re.I)
NOISE_TAGS = ("script", "style", "noscript", "iframe", "form", "button", "svg", "figure", "video", "audio")
REQUIRED_FIELDS = ("title", "body", "published_at")
# Labels before a byline: «گزارش از: …», «یادداشت: …», «خبرنگار: …».
_BYLINE = re.compile(r"^\s*(?:گزارش(?:\s+از)?|یادداشت|نویسنده|خبرنگار|عکاس|عکس|فیلم|تصویربردار|به قلم|مترجم|ترجمه|تنظیم)\s*[:：]\s*")
_DATE_HINT = re.compile(r"date|time|tarikh|publish", re.I)
_DATE_ICON = re.compile(r"calendar", re.I)
# Sign-offs that end a wire story: «انتهای پیام» (ISNA), «پایان خبر»…; what follows is "read also" links.
_SIGN_OFF = re.compile(r"(?:^|(?<=[.!?؟»/]))[\s/\-–]*(?:انتها|انتهای|پایان)\s+(?:پیام|خبر)[\s/\-–.]*$")
# Separators between a headline and the site's name in <title>.
_TITLE_SEP = re.compile(r"\s+(?:[-|–—:]{1,2}|::)\s+")
_BLOCKS = ("p", "h2", "h3", "h4", "li", "blockquote", "table")
# Elements a browser lays out as blocks (each starts a new line); everything else flows inline.
BLOCK_TAGS = frozenset((
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
))
CELL_TAGS = frozenset(("td", "th"))
_HEADINGS = ("h2", "h3", "h4")
_LAYOUT_INSIDE = ("table", "h1", "h2", "h3", "article", "section", "form", "main", "nav")
_BLOCK_NOISE = frozenset(("figure", "form", "iframe", "video", "audio", "noscript"))
def get_text(el: Node) -> str:
    """The element's text as a browser lays it out (not yet folded): inline elements (a, b, span…)
    join their neighbours with nothing added, so «<b>رشت</b>ه» stays «رشته» and «<a>خبرنگار مهر</a>،»
    keeps its comma in place; block elements (p, div, li, br, tr…) start a new line; table cells are
    set apart by a space."""
    out: list[str] = []
    # Iterative walk: a page of unclosed tags nests thousands deep (see parse_html), past Python's recursion limit.
    stack: list[tuple[Node, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag
        block = tag in BLOCK_TAGS
        if closing:
            out.append(("\n" if block else "") + ((node.tail or "") if node is not el else ""))
            continue
        if not isinstance(tag, str):  # a comment: only its tail shows
            out.append(node.tail or "")
            continue
        out.append(("\n" if block else " " if tag in CELL_TAGS else "") + (node.text or ""))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(out)


def drop_noise(root: Node, selector: str = "") -> None:
    """Remove scripts, styles, forms, figures… and what `selector` matches (a source's own noise);
    what a browser shows of them (nothing) is what stays: inline ones vanish without a trace, block
    ones (figure, form, video, a matched box…) still end a line."""
    remove([*root.iter(*NOISE_TAGS), *select(root, selector)], ends_line=_BLOCK_NOISE | BLOCK_TAGS)


def clean_text(text: str) -> str:
    """Fold runs of whitespace to one space and trim; ZWNJ is kept."""
    return _SPACE.sub(" ", text).strip()


def table_text(table: Node) -> str:
    """A data table as text: one row per line, every cell (empty ones too) separated by « | »."""
    rows = (" | ".join(text_of(cell) for cell in tr.iterchildren("td", "th")) for tr in table.iter("tr"))
    return "\n".join(row for row in rows if row.strip(" |"))


def text_of(el: Node | None) -> str:
    return clean_text(get_text(el)) if el is not None else ""


@dataclass
class ParsedArticle:
    """The fields read from one article page."""

    url: str
    title: str = ""
    kicker: str = ""
    lead: str = ""
    paragraphs: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    published_raw: str = ""
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    section: str = ""
    canonical: str = ""  # the page's <link rel=canonical>, absolute (not part of the fixture form)
    problems: dict[str, str] = field(default_factory=dict)  # field → why it is missing or wrong
    future_date: bool = False  # the page's date is in the future (FutureDate); problems["published_at"] says which

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def missing(self) -> list[str]:
        """Required fields that are empty."""
        return [f for f in REQUIRED_FIELDS if not getattr(self, f)]

    def to_json(self) -> dict[str, Any]:
        """The fixture form (.expected.json): plain JSON types, dates in ISO UTC."""
        data = asdict(self)
        for not_fixture_form in ("problems", "canonical", "future_date"):
            data.pop(not_fixture_form)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data

    def to_article(self, source_id: str, fetched_at: datetime, url: str | None = None) -> Article:
        return Article(
            url=url or self.url, source_id=source_id, title=self.title, body=self.body, fetched_at=fetched_at,
            published_at=self.published_at, published_raw=self.published_raw, kicker=self.kicker, lead=self.lead,
            authors=tuple(self.authors), tags=tuple(self.tags), section=self.section,
        )


def _dedupe(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        v = clean_text(v).strip("،,#")
        if v and v not in out:
            out.append(v)
    return out


class Parser:
    """Selector-driven article parser; subclasses set the selectors of their family."""

    name: ClassVar[str] = "base"
    article: ClassVar[str] = ""  # the article container; empty: the whole document
    kicker: ClassVar[str] = ""
    title: ClassVar[str] = "h1"
    lead: ClassVar[str] = ""
    body: ClassVar[str] = ""  # selector of the body's blocks (e.g. ".item-text>*") or container
    tags: ClassVar[str] = ""
    date: ClassVar[str] = ""
    section: ClassVar[str] = ""
    authors: ClassVar[str] = ""
    captions: ClassVar[str] = ""  # photo/video captions: the body of a story that has no text body
    noise: ClassVar[str] = ""  # elements to remove before reading, besides NOISE_TAGS (a source's override)

    # --- entry points ------------------------------------------------------------------------
    def parse(self, html: str, url: str, *, now: datetime | None = None) -> ParsedArticle:
        """Parse and insist on the required fields (title, body, published_at); ParseError names the first missing."""
        art = self.extract(html, url, now=now)
        for f in REQUIRED_FIELDS:
            if not getattr(art, f):
                raise ParseError(url, f, art.problems.get(f, f"no match for the {self.name} selectors"))
        return art

    def extract(self, html: str, url: str, *, now: datetime | None = None) -> ParsedArticle:
        """Read every field it can; missing ones stay empty and are explained in `problems`."""
        soup = parse_html(html)
        meta = page_metadata(soup)
        root = next(iselect(soup, self.article), None)
        if root is None:
            root = soup
        captions = self.all_texts(root, self.captions)  # figures are noise: read their captions first
        drop_noise(soup, self.noise)
        art = ParsedArticle(url=url, canonical=canonical_link(soup, url))
        art.title = self.first_text(root, self.title) or meta.get("title", "")
        art.kicker = self.first_text(root, self.kicker)
        credit = [art.kicker] if _BYLINE.match(art.kicker) else []  # «عکاس: …» in the kicker's place
        art.kicker = "" if credit else art.kicker
        art.lead = self.first_text(root, self.lead) or meta.get("description", "")
        art.paragraphs = self.body_paragraphs(root, soup, meta)
        if art.lead and art.paragraphs and art.paragraphs[0] == art.lead:
            art.paragraphs = art.paragraphs[1:]
        art.paragraphs = until_sign_off(art.paragraphs)
        if not art.paragraphs and meta.get("media"):
            # A photo or video story has no text body: its captions are what it says (else its summary).
            art.paragraphs = [c for c in captions if c != art.lead] or ([art.lead] if art.lead else [])
        # Tags and breadcrumbs often sit outside the article container: look there, then page-wide.
        art.tags = self.all_texts(root, self.tags) or self.all_texts(soup, self.tags) or _dedupe(meta.get("tags", []))
        art.section = self.section_of(root) or self.section_of(soup) or meta.get("section", "")
        authors = self.all_texts(root, self.authors) or _dedupe(meta.get("authors", [])) or credit
        art.authors = _dedupe(_BYLINE.sub("", a) for a in authors)
        self.read_date(art, root, soup, meta, now)
        return art

    # --- pieces subclasses may override ---------------------------------------------------------
    def first_text(self, root: Node, selector: str) -> str:
        if not selector:
            return ""
        for el in iselect(root, selector):
            text = text_of(el)
            if text:
                return text
        return ""

    def all_texts(self, root: Node, selector: str) -> list[str]:
        return _dedupe(get_text(el) for el in select(root, selector))

    def section_of(self, root: Node) -> str:
        if not self.section:
            return ""
        crumbs = [text_of(el) for el in select(root, self.section)]
        crumbs = [c for c in crumbs if c and c not in ("خانه", "صفحه اصلی", "Home")]
        return crumbs[-1] if crumbs else ""

    def body_paragraphs(self, root: Node, soup: Node, meta: dict[str, Any]) -> list[str]:
        paras = block_texts(select(root, self.body))
        if not paras and meta.get("body"):
            paras = [clean_text(p) for p in re.split(r"\n\s*\n|\n", meta["body"]) if clean_text(p)]
        return paras

    def date_candidates(self, root: Node, soup: Node, meta: dict[str, Any]) -> Iterator[str]:
        """Date strings, best first (lazily): the family's selectors, page metadata, then hints."""
        for el in iselect(root, self.date):
            yield el.get("datetime") if el.tag == "time" and el.get("datetime") else text_of(el)
        yield from meta.get("dates", [])
        for el in soup.iter("time"):
            if el.get("datetime") is not None:
                yield el.get("datetime")
        by_class = [el for el in soup.iter(etree.Element) if _DATE_HINT.search(el.get("class") or "")]
        by_id = [el for el in soup.iter(etree.Element) if _DATE_HINT.search(el.get("id") or "")]
        for el in by_class + by_id:
            yield el.get("datetime") if el.get("datetime") else text_of(el)
        # ISNA: «<li><i class="fa fa-calendar-o"></i> <span class="text-meta">۹ خرداد ۱۴۰۴ / ۱۹:۳۱</span></li>»
        for icon in soup.iter(etree.Element):
            if _DATE_ICON.search(icon.get("class") or "") and icon.getparent() is not None:
                yield text_of(icon.getparent())
        yield from meta.get("late_dates", [])

    def read_date(self, art: ParsedArticle, root: Node, soup: Node, meta: dict[str, Any], now: datetime | None) -> None:
        first_error = ""
        for raw in self.date_candidates(root, soup, meta):
            if not raw:
                continue
            try:
                art.published_at = parse_date(raw, now=now)
                art.published_raw = raw
                return
            except FutureDate as exc:  # the page's own date is wrong: report it, guess no other
                art.published_raw, art.future_date = raw, True
                art.problems["published_at"] = str(exc)
                return
            except DateError as exc:
                first_error = first_error or str(exc)
        art.problems["published_at"] = first_error or "no date found on the page"


def block_texts(elements: Iterable[Node]) -> list[str]:
    """Paragraph texts of body blocks; containers are split into their p/h2/h3/li/blockquote/table
    children. A table is one paragraph, one row per line, its cells separated by « | » (every cell,
    whatever it holds: a <p> inside a cell belongs to the table, not to the body's paragraphs)."""
    paras: list[str] = []
    trailing_headings = 0
    for el in elements:
        if is_noise(el):
            continue
        container = el.tag not in _BLOCKS or is_layout_table(el)
        children = [c for c in el.iterdescendants(*_BLOCKS) if not is_layout_table(c)] if container else []
        blocks = [c for c in children if not _enclosed(c, el)] if children else [el]
        for block in blocks:
            if is_noise(block) or (block is not el and _link_only_item(block)):
                continue
            text = table_text(block) if block.tag == "table" else text_of(block)
            if text and text not in paras:
                paras.append(text)
                trailing_headings = trailing_headings + 1 if block.tag in _HEADINGS else 0
    # A heading with no text after it titles a box of links ("more from Gilan"), not the story.
    return paras[: len(paras) - trailing_headings]


def until_sign_off(paras: list[str]) -> list[str]:
    """The body up to its sign-off («انتهای پیام», alone or ending the last sentence), which is dropped."""
    for i, para in enumerate(paras):
        m = _SIGN_OFF.search(para)
        if m:
            rest = para[: m.start()].strip()
            return paras[:i] + ([rest] if rest else [])
    return paras


def _link_only_item(block: Node) -> bool:
    """A list item that is nothing but a link: a menu, breadcrumb or "more news" entry, not text."""
    if block.tag != "li" or (block.text or "").strip():
        return False
    children = list(block)
    return len(children) == 1 and children[0].tag == "a" and not (children[0].tail or "").strip()


def _enclosed(block: Node, container: Node) -> bool:
    """Is `block` inside noise or inside a table (which is read as a whole) below `container`?"""
    for parent in block.iterancestors():
        if parent is container:
            return False
        if (parent.tag == "table" and not is_layout_table(parent)) or is_noise(parent):
            return True
    return False


def is_layout_table(el: Node) -> bool:
    """A table used to lay out the page (old sites put the whole article in one cell), not data:
    it holds a heading, a nested table or the like, or a cell of several paragraphs."""
    if el.tag != "table":
        return False
    if next(el.iterdescendants(*_LAYOUT_INSIDE), None) is not None:
        return True
    return any(sum(1 for _ in cell.iterdescendants("p", "div", "ul", "ol")) >= 3 for cell in el.iterdescendants("td", "th"))


def is_noise(el: Node) -> bool:
    """Ads, related-news boxes, share bars: by class or id."""
    if not isinstance(el.tag, str):
        return False
    names = " ".join((el.get("class") or "").split()) + " " + (el.get("id") or "")
    return bool(_NOISE.search(names))


_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "WebPage"}


def _jsonld_objects(soup: Node) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for script in soup.iter("script"):
        if script.get("type") != "application/ld+json":
            continue
        try:
            data = json.loads("".join(script.itertext()))
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if isinstance(obj, dict):
                if "@graph" in obj:
                    stack.extend(obj["@graph"] if isinstance(obj["@graph"], list) else [obj["@graph"]])
                out.append(obj)
            elif isinstance(obj, list):
                stack.extend(obj)
    return out


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value.get("name", "")] if value.get("name") else []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def canonical_link(soup: Node, url: str) -> str:
    """The page's <link rel="canonical" href> made absolute against `url` ('' when there is none)."""
    for el in soup.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and (el.get("href") or "").strip():
            return urljoin(url, el.get("href").strip())
    return ""


def headline_of_title(title: str) -> str:
    """«صبح رشت - خاموشی‌ها در رشت» → «خاموشی‌ها در رشت»: the longest part is the headline."""
    parts = [p.strip() for p in _TITLE_SEP.split(title) if p.strip()]
    return max(parts, key=len) if parts else ""


def page_metadata(soup: Node) -> dict[str, Any]:
    """What the page says about itself: JSON-LD NewsArticle first, then OpenGraph/meta tags."""
    meta: dict[str, Any] = {"dates": [], "tags": [], "authors": []}
    for obj in _jsonld_objects(soup):
        types = obj.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if not types & _ARTICLE_TYPES or (types == {"WebPage"} and "headline" not in obj):
            continue
        meta.setdefault("title", clean_text(str(obj.get("headline") or obj.get("name") or "")))
        meta.setdefault("description", clean_text(str(obj.get("description") or "")))
        if obj.get("articleBody"):
            meta.setdefault("body", str(obj["articleBody"]))
        if obj.get("datePublished"):
            meta["dates"].append(str(obj["datePublished"]))
        meta["authors"] += _names(obj.get("author"))
        kw = obj.get("keywords")
        meta["tags"] += [k.strip() for k in kw.split(",")] if isinstance(kw, str) else _names(kw)
        if obj.get("articleSection"):
            sec = obj["articleSection"]
            meta.setdefault("section", clean_text(sec[0] if isinstance(sec, list) else str(sec)))
        break

    metas: dict[str, list[str]] = {}
    for el in soup.iter("meta"):
        key = el.get("property") or el.get("name")
        if key and el.get("content"):
            metas.setdefault(key.lower(), []).append(clean_text(el.get("content")))

    def content(*names: str) -> list[str]:
        return [v for n in names for v in metas.get(n.lower(), [])]

    if not meta.get("title"):
        meta["title"] = next(iter(content("og:title", "twitter:title")), "") or headline_of_title(text_of(next(soup.iter("title"), None)))
    if not meta.get("description"):
        meta["description"] = next(iter(content("og:description", "description")), "")
    meta["dates"] += content("article:published_time", "og:article:published_time", "pubdate", "publishdate", "dc.date", "DC.date.issued")
    # <meta name="date"> is often when the page was rendered (Nastooh always: never use it there),
    # so it is the last resort, after every date the article shows itself.
    meta["late_dates"] = [] if any(k.startswith("nastooh:") for k in metas) else content("date")
    meta["tags"] += content("article:tag")
    meta["media"] = any(t.lower() in ("photo", "video") for t in content("nastooh:newsType"))
    if not meta["tags"]:
        kw = content("keywords", "news_keywords")
        meta["tags"] = [k for v in kw for k in re.split(r"[,،]", v)]
    meta["authors"] += content("author", "article:author")
    if not meta.get("section"):
        meta["section"] = next(iter(content("article:section")), "")
    return meta
