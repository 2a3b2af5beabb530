"""Finding article URLs: RSS/Atom feeds, listing pages (with pagination), sitemaps."""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from scrapers.canonical import canonical_url, host_of, same_site_hosts
from scrapers.dates import try_parse_date
from scrapers.errors import ScraperError
from scrapers.html import Node, parse_html, remove, select, stripped_text


class FeedError(ScraperError):
    """A feed URL did not return a feed (HTML, garbage); the message says what came back."""


@dataclass(frozen=True, slots=True)
class Item:
    """One candidate article: its canonical URL and what the feed or listing said about it."""

    url: str
    title: str = ""
    summary: str = ""
    content: str = ""  # full text when a feed carries it (HTML)
    published_at: datetime | None = None
    published_raw: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


_FEED_SNIFF = re.compile(rb"<(?:rss|feed|rdf:RDF|channel)\b", re.I)


def looks_like_feed(body: bytes) -> bool:
    """True when the first bytes contain an RSS/Atom/RDF root (some 'feeds' return HTML)."""
    return bool(_FEED_SNIFF.search(body[:2048]))


def _struct_to_dt(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def parse_feed(body: bytes, base_url: str, *, now: datetime | None = None) -> list[Item]:
    """Items of an RSS/Atom feed; FeedError when the body is not a feed. An empty feed → []."""
    if not looks_like_feed(body):
        head = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
        what = "an HTML page" if b"<html" in body[:2048].lower() else "no RSS/Atom"
        raise FeedError(f"{base_url}: expected RSS/Atom but got {what} ({head[:80]!r}…); fix the feed URL in sources.toml")
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"{base_url}: broken feed ({parsed.bozo_exception}); fix the feed URL or report it to the site")
    items: list[Item] = []
    for e in parsed.entries:
        link = e.get("link") or e.get("id") or ""
        # An absolute http(s) link (the scheme in any case: «HTTPS://» is the same URL) or a site-absolute
        # path; a bare «news/1» or a numeric guid is not resolved blindly against the feed's URL.
        if not link or not (link.startswith("/") or urlsplit(link.strip()).scheme in ("http", "https")):
            continue
        raw = e.get("published") or e.get("updated") or ""
        published = try_parse_date(raw, now=now) if raw else None
        if published is None and raw:
            published = _struct_to_dt(e.get("published_parsed") or e.get("updated_parsed"))
            if published is not None and now is not None and published > now:
                published = None
        content = ""
        if e.get("content"):
            content = e["content"][0].get("value", "")
        authors = tuple(a.get("name", "") for a in e.get("authors", []) if a.get("name"))
        tags = tuple(t.get("term", "") for t in e.get("tags", []) if t.get("term"))
        items.append(
            Item(
                url=canonical_url(link, base_url),
                title=_text(e.get("title", "")),
                summary=_text(e.get("summary", "")),
                content=content,
                published_at=published,
                published_raw=raw,
                authors=authors,
                tags=tags,
            )
        )
    return items


def _text(html: str) -> str:
    if "<" not in html:
        return html.strip()
    return stripped_text(parse_html(html))


# --- listing pages ------------------------------------------------------------------------------

# Paths that are never articles: tags, categories, services, pagination, static files.
_NOT_ARTICLE = re.compile(
    r"/(?:tag|tags|category|categories|service|page|author|search|archive|rss|feed|keyword|about|contact)(?:/|$)|\.(?:jpg|jpeg|png|gif|pdf|css|js|xml|mp4|mp3)$",
    re.I,
)
# Shapes of article URLs on the families we know: /news/123…, /fa/news/123…, /1402/10/slug, /?p=123, /123-slug.
_ARTICLE = re.compile(r"/(?:fa/)?news/(?:i/)?\d+|/\d{4}/\d{1,2}/(?:\d{1,2}/)?[^/]+|[?&]p=\d+|/\d{3,}[-/]|/\d{4,}$|/(?:news|article|post)s?/[^/]+", re.I)
_NEXT_TEXT = re.compile(r"^(?:بعدی|صفحه بعد|صفحه‌ی بعد|ادامه|next|›|»|older|قدیمی‌تر)", re.I)
_DATE_HINT = re.compile(r"date|time|tarikh|publish", re.I)


@dataclass(frozen=True, slots=True)
class ListingPage:
    """Article links found on one listing page, and the next page's URL if there is one."""

    items: list[Item]
    next_url: str | None


def _item_date(anchor: Node, now: datetime | None) -> tuple[datetime | None, str]:
    """A date printed next to a link: climb to the nearest list item/article block and look there."""
    node: Node | None = anchor
    for _ in range(4):
        if node is None:
            break
        if node.tag in ("li", "article", "tr") or (node.tag == "div" and (node.get("class") or "").split()):
            for el in node.iterdescendants("time"):
                stamp = el.get("datetime")
                dt = try_parse_date(stamp, now=now) if stamp is not None else None
                if dt:
                    return dt, stamp
            for el in node.iterdescendants(etree.Element):
                if not _DATE_HINT.search(el.get("class") or ""):
                    continue
                text = stripped_text(el)
                dt = try_parse_date(text, now=now)
                if dt:
                    return dt, text
            if node.tag in ("li", "article", "tr"):
                break
        node = node.getparent()
    return None, ""


def parse_listing(html: str, page_url: str, *, now: datetime | None = None, site_hosts: set[str] | None = None) -> ListingPage:
    """Article links (same site, article-shaped URL) with nearby dates, and the next page."""
    root = parse_html(html)
    remove(select(root, "header, footer, nav, script, style, aside"))
    sites = same_site_hosts(host_of(page_url), *(site_hosts or set()))
    seen: dict[str, Item] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        href = href.strip()
        if href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = canonical_url(href, page_url)
        parts = urlsplit(url)
        if (parts.hostname or "").rstrip(".") not in sites or url == canonical_url(page_url):
            continue
        path_q = parts.path + ("?" + parts.query if parts.query else "")
        if _NOT_ARTICLE.search(parts.path) or not _ARTICLE.search(path_q):
            continue
        title = stripped_text(a)
        if url in seen and (seen[url].title or not title):
            continue
        published, raw = _item_date(a, now)
        seen[url] = Item(url=url, title=title, published_at=published, published_raw=raw)
    return ListingPage(items=list(seen.values()), next_url=_next_page(root, page_url))


def _next_page(root: Node, page_url: str) -> str | None:
    """The page's rel=next link; else the first link whose text says «next» (بعدی, »…) or whose class does."""
    link = next((el for el in root.iter("link", "a") if (el.get("rel") or "").lower().split() == ["next"]), None)
    if link is not None and link.get("href"):
        return urljoin(page_url, link.get("href"))
    for a in root.iter("a"):
        if a.get("href") and (_NEXT_TEXT.match(stripped_text(a)) or "next" in (a.get("class") or "")):
            return urljoin(page_url, a.get("href"))
    return None


# --- sitemaps -------------------------------------------------------------------------------------

def parse_sitemap(body: bytes, base_url: str, *, now: datetime | None = None) -> tuple[list[Item], list[str]]:
    """(article items, child sitemap URLs) of a sitemap or sitemap index."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"{base_url}: not a sitemap ({exc})") from None
    if root is None:
        raise FeedError(f"{base_url}: empty sitemap")
    tag = etree.QName(root).localname
    items: list[Item] = []
    children: list[str] = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = lastmod = ""
        for child in node:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = (child.text or "").strip()
        if not loc:
            continue
        if tag == "sitemapindex":
            children.append(urljoin(base_url, loc))
        else:
            items.append(Item(url=canonical_url(loc, base_url), published_at=try_parse_date(lastmod, now=now) if lastmod else None, published_raw=lastmod))
    return items, children
