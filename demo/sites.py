"""Every page and feed the demo outlets serve for one reference day, in the markup of each CMS family.

Who the outlets are and where their pages live is data (`demo/sites.toml`, read by `demo.content`); what
their pages look like is here and in `demo/templates/<family>/`. `render_site` turns a site's articles
into a table of ready responses (path → status, headers, bytes), so the server only looks pages up.
Markup imitates each CMS family's real pages: the selectors its parser reads are all there, amid
realistic noise.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, unquote

import jdatetime
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

from demo.content import DemoArticle, DemoLabels, Feed, SiteSpec, hour_minute, slugify
from mediawatch.timeutil import (
    JALALI_MONTHS,
    TEHRAN,
    WEEKDAYS_FA,
    fa_digits,
    format_jalali_date,
    tehran_at,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
# Where each family's pages link their stylesheet; all get demo/static/site.css in the site's colour.
STYLESHEETS: dict[str, tuple[str, ...]] = {
    "nastooh": ("/static/css/main.css",),
    "iransamaneh": ("/client/themes/fa/main/css/news.css",),
    "aasaam": ("/_assets/css/app.min.css",),
    "wordpress": ("/wp-content/themes/khabar/style.css?ver=6.6",),
    "oldcms": ("/css/style.css",),
    "goharrud": ("/assets/app.css",),
}

# Like nginx's gzip_min_length: smaller bodies are not worth compressing.
GZIP_MIN_BYTES = 1024
# Feeds carry the newest 30 items, as most Iranian CMSs do.
FEED_ITEMS = 30
# The demo's "now" for relative dates («۳ ساعت پیش»): the reference day's morning, when the digest runs.
DEMO_CLOCK_HOUR = 7
# A `future_date` article claims to be published this many days after the reference day.
FUTURE_DAYS = 3

EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
EN_MON = tuple(m[:3] for m in EN_MONTHS)

# The old CMS (sobherasht's) stores windows-1256: it has no Farsi yeh (U+06CC) nor Persian digits, so
# the text it serves carries Arabic yeh and Latin digits, as such sites really do.
OLDCMS_TABLE = str.maketrans({"ی": "ي", **{p: str(i) for i, p in enumerate("۰۱۲۳۴۵۶۷۸۹")}})


def oldcms_text(text: str) -> str:
    """The text as the old windows-1256 CMS serves it (Arabic yeh, Latin digits)."""
    return text.translate(OLDCMS_TABLE)


def served_text(spec: SiteSpec, text: str) -> str:
    """Text exactly as the outlet serves it (the old CMS rewrites some characters)."""
    return oldcms_text(text) if spec.family == "oldcms" else text


@dataclass(frozen=True)
class Page:
    """One ready response."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @functools.cached_property
    def gzipped(self) -> bytes | None:
        """The body gzip-compressed, for clients that accept it (text over 1 KB, as nginx does)."""
        if len(self.body) < GZIP_MIN_BYTES or not self.content_type.startswith(("text/", "application/")):
            return None
        return gzip.compress(self.body, compresslevel=6, mtime=0)


@dataclass(slots=True)
class Placed:
    """A demo article placed on its site for one reference day: id, URL, dates."""

    art: DemoArticle
    labels: DemoLabels | None
    code: int
    path: str  # decoded path (+query) as the canonical URL has it
    published: datetime  # the true publication time, aware UTC
    shown: datetime  # the time the site claims (differs for future_date), aware UTC
    index: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def local(self) -> datetime:
        """The claimed publication time in Tehran."""
        return self.shown.astimezone(TEHRAN)


@dataclass(slots=True)
class RenderedSite:
    """Everything one site serves for one reference day."""

    spec: SiteSpec
    base_url: str
    placed: list[Placed]
    pages: dict[str, Page]
    dead_link: str  # decoded URL of the feed item whose page is gone


def enc(path: str) -> str:
    """A path (+query) percent-encoded as it travels on the wire."""
    return quote(path, safe="/?=&-_.~%")


def route_key(raw: str) -> str:
    """The lookup key of a request target: decoded path, tracking parameters dropped, params sorted."""
    path, _, query = raw.partition("?")
    path = unquote(path) or "/"
    params = []
    for part in query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        k, v = unquote(k), unquote(v)
        if k.startswith("utm_") or k in ("fbclid", "gclid"):
            continue
        params.append((k, v))
    params.sort()
    return path + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")


_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["fa"] = fa_digits
        _ENV = env
    return _ENV


# ---------------------------------------------------------------------------------------------------
# dates as each site prints them


def _jparts(local: datetime) -> tuple[jdatetime.date, str]:
    return jdatetime.date.fromgregorian(date=local.date()), local.strftime("%H:%M")


def date_text(family: str, local: datetime, index: int, clock: datetime) -> str:
    """The date string an article page prints, in its CMS family's style."""
    j, hm = _jparts(local)
    month = JALALI_MONTHS[j.month - 1]
    if family == "nastooh":
        if index % 2 == 0:
            return fa_digits(f"{j.year:04d}-{j.month:02d}-{j.day:02d} {hm}")
        return f"{format_jalali_date(local.date(), weekday=True)} - {fa_digits(hm)}"
    if family == "iransamaneh":
        d = local.date()
        return f"{fa_digits(f'{j.day:02d}')} {month} {fa_digits(j.year)} - {fa_digits(hm)} {d.day:02d} {EN_MONTHS[d.month - 1]} {d.year}"
    if family == "aasaam":
        age = clock - local
        if timedelta(0) <= age < timedelta(hours=1):
            return "دقایقی پیش"
        if timedelta(hours=1) <= age < timedelta(hours=24):
            return f"{fa_digits(int(age.total_seconds() // 3600))} ساعت پیش"
        return format_jalali_date(local.date())
    if family == "wordpress":
        return format_jalali_date(local.date())
    if family == "oldcms":
        return f"{WEEKDAYS_FA[local.weekday()]}، {j.day:02d} {month} {j.year} - {hm}"
    return format_jalali_date(local.date())


def _date_title(local: datetime) -> str:
    """«چهارشنبه ۵ آذر ۱۴۰۵ - ۱۸:۱۷»: the long form listings carry."""
    return f"{format_jalali_date(local.date(), weekday=True)} - {fa_digits(local.strftime('%H:%M'))}"


def rfc822(family: str, dt: datetime) -> str:
    """A feed pubDate in the CMS family's style (IranSamaneh omits the weekday, as YJC does)."""
    utc = dt.astimezone(UTC)
    if family == "iransamaneh":
        return f"{utc.day:02d} {EN_MON[utc.month - 1]} {utc.year} {utc.strftime('%H:%M:%S')} GMT"
    if family in ("aasaam", "oldcms"):
        return format_datetime(dt.astimezone(TEHRAN))
    if family == "wordpress":
        return format_datetime(utc)
    return format_datetime(utc, usegmt=True)


# ---------------------------------------------------------------------------------------------------
# placing articles: ids and URLs


def _path(spec: SiteSpec, code: int, title: str, local: datetime) -> str:
    j = jdatetime.date.fromgregorian(date=local.date())
    return spec.article_path.format(code=code, slug=slugify(title), jyear=j.year, jmonth=j.month)


def place(
    spec: SiteSpec, articles: list[DemoArticle], labels: dict[str, DemoLabels], day: date
) -> list[Placed]:
    """Give each article of one site its id, URL and dates for reference day `day` (oldest first)."""

    def published(a: DemoArticle) -> datetime:
        """The true publication time of an article on reference day `day`."""
        return tehran_at(day - timedelta(days=a.day_offset), *a.hour_minute)

    ordered = sorted(articles, key=lambda a: (published(a), a.id))
    placed: list[Placed] = []
    seen_paths: set[str] = set()
    for i, a in enumerate(ordered):
        pub = published(a)
        shown = pub + timedelta(days=a.day_offset + FUTURE_DAYS) if a.broken == "future_date" else pub
        code = spec.code_base + i * spec.code_step
        path = _path(spec, code, a.title, shown.astimezone(TEHRAN))
        while path in seen_paths:  # two same-titled posts in a month: WordPress appends «-2»
            path = path.rstrip("/") + "-2/"
        seen_paths.add(path)
        placed.append(Placed(a, labels.get(a.id), code, path, pub, shown, index=i))
    return placed


# ---------------------------------------------------------------------------------------------------
# rendering


def _fields(spec: SiteSpec, a: DemoArticle) -> dict:
    """Title, lead, body… as the site serves them (the old CMS rewrites some characters)."""
    return {
        "title": served_text(spec, a.title),
        "kicker": served_text(spec, a.kicker),
        "lead": served_text(spec, a.lead),
        "body": [served_text(spec, p) for p in a.body],
        "authors": [served_text(spec, x) for x in a.authors],
        "section_parts": [served_text(spec, p.strip()) for p in (a.section or "اخبار").split(">") if p.strip()],
    }


def _excerpt(text: str, limit: int = 160) -> str:
    """What a CMS puts in meta description when the article has no lead: the body's opening words."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _tag_href(spec: SiteSpec, tag: str) -> str:
    return enc(spec.tag_path.format(tag=tag, tag_slug=tag.replace(" ", "-")))


class _Renderer:
    def __init__(self, spec: SiteSpec, placed: list[Placed], base_url: str, day: date):
        self.spec, self.placed, self.base, self.day = spec, placed, base_url, day
        self.clock = datetime.combine(day, datetime.min.time(), TEHRAN).replace(hour=DEMO_CLOCK_HOUR)
        self.newest = sorted(placed, key=lambda p: (p.shown, p.code), reverse=True)
        self.env = _env()
        self.pages: dict[str, Page] = {}
        self._links: dict[tuple[int, bool], dict] = {}
        self._common: dict | None = None
        self.site_ctx = {"id": spec.id, "name": spec.name, "base": base_url,
                         "nav": tuple((label, enc(path)) for label, path in spec.nav)}

    # --- helpers ------------------------------------------------------------------------------
    def href(self, p: Placed, *, absolute: bool = True, tracking: str = "") -> str:
        """The article's URL as this site links it (percent-encoded; optional tracking parameters)."""
        path = enc(p.path) + tracking
        return self.base + path if absolute else path

    def link(self, p: Placed, *, absolute: bool = False) -> dict:
        """Title, lead, link and dates of one article for lists (memoised: lists repeat the same items)."""
        key = (p.code, absolute)
        if key not in self._links:
            self._links[key] = self._link(p, absolute=absolute)
        return self._links[key]

    def _link(self, p: Placed, *, absolute: bool) -> dict:
        local = p.local
        return {
            "href": self.href(p, absolute=absolute, tracking=self.spec.link_tracking),
            "title": _fields(self.spec, p.art)["title"],
            "lead": _fields(self.spec, p.art)["lead"],
            "iso": local.isoformat(timespec="seconds"),
            "date_title": _date_title(local),
            "date_short": (
                date_text("oldcms", local, 0, self.clock)
                if self.spec.family == "oldcms"
                else format_jalali_date(local.date())
            ),
        }

    def common(self) -> dict:
        """What every page of the site shows around its content (menus, most read, latest)."""
        if self._common is None:
            self._common = self._make_common()
        return self._common

    def _make_common(self) -> dict:
        most = sorted(self.placed, key=lambda p: hashlib.md5(p.art.id.encode()).hexdigest())[:5]
        return {
            "site": self.site_ctx,
            "today_text": format_jalali_date(self.day, weekday=True),
            "today_iso": self.day.isoformat(),
            "most_read": [self.link(p) for p in most],
            "latest": [self.link(p) for p in self.newest[:6]],
            "section_href": enc(self.spec.listing or "/"),  # the section the outlet lists (breadcrumbs)
        }

    def html(self, template: str, **ctx) -> str:
        """Render one template with the site's common context."""
        return self.env.get_template(template).render(**self.common(), **ctx)

    def add(
        self,
        key: str,
        text: str,
        content_type: str = "text/html",
        status: int = 200,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Store one response, encoded as the site encodes (windows-1256 for the old CMS)."""
        if self.spec.encoding == "utf-8":
            body = text.encode("utf-8")
        else:
            body = oldcms_text(text).encode(self.spec.encoding, "xmlcharrefreplace")
        ctype = f"{content_type}; charset={self.spec.encoding}"
        self.pages[route_key(key)] = Page(status, ctype, body, headers)

    # --- pages --------------------------------------------------------------------------------
    def article_ctx(self, p: Placed) -> dict:
        """The template context of one article page."""
        spec, a, local = self.spec, p.art, p.local
        f = _fields(spec, a)
        url = self.href(p)
        ctx = {
            **f,
            "url": url,
            "code": p.code,
            "iso": local.isoformat(timespec="seconds"),
            "summary": f["lead"] or _excerpt(f["body"][0]),
            "date_text": date_text(spec.family, local, p.index, self.clock),
            "tags": [{"label": t, "href": _tag_href(spec, t)} for t in a.tags],
            "shortlink": f"{self.base}/?p={p.code}" if spec.family == "wordpress" else f"{self.base}/x/{p.code:x}",
            "visits": 120 + (p.code * 37) % 900,
        }
        if spec.family in ("aasaam", "wordpress"):  # these CMSs print JSON-LD
            ld = {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": a.title,
                "description": a.lead or _excerpt(a.body[0]),
                "datePublished": ctx["iso"],
                "dateModified": ctx["iso"],
                "mainEntityOfPage": {"@type": "WebPage", "@id": url},
                "url": url,
                "inLanguage": "fa-IR",
                "keywords": ", ".join(a.tags),
                "author": [{"@type": "Person", "name": n} for n in a.authors]
                or {"@type": "Organization", "name": spec.name},
                "publisher": {
                    "@type": "Organization",
                    "name": spec.name,
                    "logo": {"@type": "ImageObject", "url": f"{self.base}/logo.png"},
                },
            }
            ctx["jsonld"] = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        return ctx

    def render_article(self, p: Placed) -> None:
        """The article page: full, 500, or cut mid-body, as the article's broken flag says."""
        spec = self.spec
        if p.art.broken == "http_500":
            self.add(
                p.path,
                "<html><body><h1>500 Internal Server Error</h1><p>خطای پایگاه داده</p></body></html>",
                status=500,
            )
            return
        a = self.article_ctx(p)
        others = [q for q in self.newest if q is not p]
        related = [self.link(q) for q in others[p.index % 5 : p.index % 5 + 3]]
        text = self.html(
            f"{spec.family}/article.html",
            a=a,
            related=related,
            page_title=a["title"] + spec.title_suffix,
            body_class="single single-post",
        )
        if p.art.broken == "truncated":
            first = text.find(str(escape(a["body"][0])))
            last = text.find(str(escape(a["body"][-1])))
            end = last + len(str(escape(a["body"][-1])))
            text = text[: first + (end - first) // 2]
        self.add(p.path, text)

    def render_listing(self) -> None:
        """Every listing page, newest first, with numbered pagination and rel=next."""
        spec = self.spec
        if spec.listing is None:
            return
        items = self.newest
        n_pages = max(1, -(-len(items) // spec.per_page))
        for page in range(1, n_pages + 1):
            chunk = items[(page - 1) * spec.per_page : page * spec.per_page]
            pages = [(n, enc(self.listing_path(n))) for n in range(1, n_pages + 1)]
            ctx = {
                "items": [self.link(p, absolute=spec.family == "wordpress") for p in chunk],
                "page": page,
                "pages": pages,
                "next_href": enc(self.listing_path(page + 1)) if page < n_pages else None,
                "prev_href": enc(self.listing_path(page - 1)) if page > 1 else None,
                "heading": "آرشیو اخبار" if page > 1 or spec.family != "wordpress" else "آخرین مطالب",
                "page_title": f"آرشیو - صفحه {fa_digits(page)} - {spec.name}",
            }
            text = self.html(f"{spec.family}/listing.html", **ctx)
            self.add(self.listing_path(page), text)
            if page == 1:
                self.add(route_key(spec.listing), text)
        if spec.family == "wordpress":  # page 1 of its listing is the home page: /page/1/ leads there
            self.pages[route_key(spec.listing_pages.format(n=1))] = Page(
                301, "text/html; charset=utf-8", b"", (("Location", self.base + "/"),)
            )

    def listing_path(self, n: int) -> str:
        """The path of listing page n (WordPress: page 1 is the listing itself)."""
        if n == 1 and self.spec.family == "wordpress" and self.spec.listing is not None:
            return self.spec.listing
        return self.spec.listing_pages.format(n=n)

    def render_home(self) -> None:
        """The home page: the latest items."""
        spec = self.spec
        if spec.family == "wordpress":
            return  # the home page is the first listing page
        ctx = {
            "items": [self.link(p) for p in self.newest[:15]],
            "page": 1,
            "pages": [],
            "next_href": None,
            "prev_href": None,
            "heading": "آخرین اخبار",
            "page_title": f"{spec.name} - صفحه نخست",
        }
        own = f"{spec.family}/home.html"  # a family without a home template shows a listing
        template = own if (TEMPLATES / own).exists() else f"{spec.family}/listing.html"
        text = self.html(template, **ctx)
        for path in ("/", *spec.home_aliases):
            self.add(path, text)

    def feed(self, feed: Feed, items: list[Placed]) -> None:
        """One RSS feed with the newest items (its dead item first, if it has one), ETag and Last-Modified."""
        spec, wordpress = self.spec, self.spec.family == "wordpress"
        rows = []
        for p in items[:FEED_ITEMS]:
            f = _fields(spec, p.art)
            link = self.href(p, tracking=spec.feed_tracking)
            content = None
            if spec.feed_fulltext:
                content = "".join(f"<p>{escape(x)}</p>" for x in f["body"])
            elif wordpress:  # WordPress's excerpt and its «read more» link
                content = f'<p>{escape(f["lead"])}</p><p><a href="{escape(link)}">ادامه مطلب</a></p>'
            rows.append(
                {
                    "title": f["title"],
                    "link": link,
                    "guid": f"{self.base}/?p={p.code}" if wordpress else link,
                    "pub_date": rfc822(spec.family, p.shown),
                    "lead": f["lead"],
                    "kicker": f["kicker"],
                    "authors": f["authors"],
                    "categories": f["section_parts"][-1:] + list(p.art.tags[:2]),
                    "content_html": content,
                }
            )
        if feed.dead_item is not None:
            dead = feed.dead_item
            h, m = hour_minute(dead.time)
            rows.insert(
                0,
                {
                    "title": dead.title,
                    "link": self.base + enc(dead.path),
                    "guid": self.base + enc(dead.path),
                    "pub_date": rfc822(spec.family, tehran_at(self.day - timedelta(days=dead.day_offset), h, m)),
                    "lead": dead.lead,
                    "kicker": "",
                    "authors": [],
                    "categories": list(dead.categories),
                    "content_html": None,
                },
            )
        visible = [p.shown for p in items if p.shown <= self.clock] or [self.clock]
        last_mod = format_datetime(max(visible).astimezone(UTC), usegmt=True)
        channel = {
            "title": feed.title or spec.name,
            "link": self.base + "/",
            "self": self.base + enc(feed.path),
            "description": f"آخرین اخبار {spec.name}",
            "last_build": last_mod,
            "generator": "https://wordpress.org/?v=6.6" if wordpress else "",
        }
        text = self.env.get_template("feeds/rss.xml").render(
            channel=channel, items=rows, encoding=spec.encoding
        )
        self.add(feed.path, text, content_type="application/rss+xml")
        self.with_etag(feed.path, ("Last-Modified", last_mod))

    def with_etag(self, key: str, *headers: tuple[str, str]) -> None:
        """Give the response stored for `key` an ETag (from its body), then `headers`."""
        page = self.pages[route_key(key)]
        etag = '"' + hashlib.sha1(page.body).hexdigest()[:20] + '"'
        self.pages[route_key(key)] = Page(200, page.content_type, page.body, (("ETag", etag), *headers))

    def render_feeds(self) -> str:
        """The site's feeds and sitemaps; returns the decoded URL of a feed's dead item, if any."""
        dead = ""
        for feed in self.spec.feeds:
            items = [p for p in self.newest if p.labels is not None and p.labels.gilan] if feed.gilan_only else self.newest
            self.feed(feed, items)
            if feed.dead_item is not None:
                dead = self.base + feed.dead_item.path
        for path in self.spec.sitemaps:
            rows = [
                {"link": self.href(p), "iso": p.local.isoformat(timespec="seconds"), "title": p.art.title}
                for p in self.newest
            ]
            text = self.env.get_template("feeds/sitemap.xml").render(site=self.site_ctx, items=rows)
            self.add(path, text, content_type="application/xml")
            self.with_etag(path)
        return dead

    def render_robots(self) -> None:
        """robots.txt: /search and /admin disallowed, the site's own lines; a crawl delay and sitemaps
        where the site has them."""
        lines = ["User-agent: *", "Disallow: /search", "Disallow: /admin", *self.spec.robots]
        if self.spec.crawl_delay:
            lines.append(f"Crawl-delay: {self.spec.crawl_delay}")
        for s in self.spec.sitemaps:
            lines += ["", f"Sitemap: {self.base}{s}"]
        self.pages["/robots.txt"] = Page(200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode())

    def render_extras(self) -> None:
        """Stylesheet, WordPress shortlinks, and the JavaScript CMS's script and post API."""
        css = (STATIC / "site.css").read_text("utf-8")
        sheet = f":root {{ --accent: {self.spec.accent}; }}\n{css}".encode()
        for path in STYLESHEETS[self.spec.family]:
            self.pages[route_key(path)] = Page(200, "text/css; charset=utf-8", sheet)
        if self.spec.family == "wordpress":  # WordPress shortlinks answer with a redirect to the permalink
            for p in self.placed:
                self.pages[f"/?p={p.code}"] = Page(
                    301, "text/html; charset=utf-8", b"", (("Location", self.href(p)),)
                )
        if self.spec.family == "goharrud":
            js = b"fetch('/api/post/'+window.__POST_ID__).then(r=>r.json()).then(p=>{document.getElementById('app').innerHTML=p.html});\n"
            self.pages["/assets/app.js"] = Page(200, "application/javascript", js)
            for p in self.placed:  # the API the page's script reads its text from
                f = _fields(self.spec, p.art)
                html = f"<h1>{escape(f['title'])}</h1>" + "".join(f"<p>{escape(x)}</p>" for x in f["body"])
                api = json.dumps({"id": p.code, "title": f["title"], "html": html}, ensure_ascii=False)
                self.pages[f"/api/post/{p.code}"] = Page(200, "application/json", api.encode())


def render_site(spec: SiteSpec, placed: list[Placed], base_url: str, day: date) -> RenderedSite:
    """Every response one site gives on reference day `day`."""
    r = _Renderer(spec, placed, base_url, day)
    r.render_robots()
    for p in placed:
        r.render_article(p)
    r.render_listing()
    r.render_home()
    dead = r.render_feeds()
    r.render_extras()
    return RenderedSite(spec, base_url, placed, r.pages, dead)
