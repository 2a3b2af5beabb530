"""The six demo outlets: who they are, and every page and feed they serve for one reference day.

`render_site` turns a site's articles into a table of ready responses (path → status, headers, bytes),
so the server only looks pages up. Markup imitates each CMS family's real pages: the selectors its
parser reads are all there, amid realistic noise.
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

from demo.content import DemoArticle, DemoLabels, slugify
from mediawatch.records import Scope, SourceKind
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

# sobherasht's old CMS stores windows-1256: it has no Farsi yeh (U+06CC) nor Persian digits, so the
# text it serves carries Arabic yeh and Latin digits, as such sites really do.
OLDCMS_TABLE = str.maketrans({"ی": "ي", **{p: str(i) for i, p in enumerate("۰۱۲۳۴۵۶۷۸۹")}})


def oldcms_text(text: str) -> str:
    """The text as sobherasht's windows-1256 CMS serves it (Arabic yeh, Latin digits)."""
    return text.translate(OLDCMS_TABLE)


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One demo outlet: identity, CMS family and the shape of its URLs."""

    id: str
    name: str
    family: str  # template folder
    parser: str  # scrapers parser family name
    kind: SourceKind
    scope: Scope
    per_page: int  # items per listing page
    feeds: tuple[str, ...]
    listing: str | None  # first listing page (path)
    sitemaps: tuple[str, ...] = ()
    crawl_delay: int | None = None
    encoding: str = "utf-8"
    code_base: int = 1000
    code_step: int = 1
    notes: str = ""


SITES: dict[str, SiteSpec] = {
    s.id: s
    for s in (
        SiteSpec(
            "payam",
            "خبرگزاری پیام ملت",
            "nastooh",
            "nastooh",
            SourceKind.agency,
            Scope.national,
            20,
            ("/rss", "/rss/tp/41"),
            "/archive",
            code_base=2140117,
            code_step=29,
            notes="Demo national agency (Nastooh CMS); its Gilan bureau's feed is /rss/tp/41.",
        ),
        SiteSpec(
            "sepidrud",
            "باشگاه خبری سپیدرود",
            "iransamaneh",
            "iransamaneh",
            SourceKind.agency,
            Scope.gilan,
            15,
            ("/fa/rss/allnews",),
            "/fa/archive",
            code_base=812340,
            code_step=7,
            notes="Demo provincial agency (IranSamaneh CMS); its feed holds one dead link.",
        ),
        SiteSpec(
            "navashomal",
            "خبرگزاری نوای شمال",
            "aasaam",
            "aasaam",
            SourceKind.agency,
            Scope.gilan,
            12,
            ("/rss",),
            "/بخش-گیلان-12",
            sitemaps=("/sitemap.xml",),
            code_base=1204500,
            code_step=11,
            notes="Demo agency (Aasaam CMS); Persian section path, percent-encoded on the wire.",
        ),
        SiteSpec(
            "gilava",
            "گیل‌آوا",
            "wordpress",
            "wordpress",
            SourceKind.news_site,
            Scope.rasht,
            10,
            ("/feed/",),
            "/",
            code_base=18200,
            code_step=3,
            notes="Demo WordPress news site; the feed carries excerpts only.",
        ),
        SiteSpec(
            "sobherasht",
            "روزنامه صبح رشت",
            "oldcms",
            "generic",
            SourceKind.local_daily,
            Scope.rasht,
            10,
            ("/rss.php",),
            "/archive.php",
            encoding="windows-1256",
            code_base=4100,
            notes="Demo local daily on an old CMS: windows-1256, tracking parameters on links.",
        ),
        SiteSpec(
            "goharrud",
            "هفته‌نامه گوهررود",
            "goharrud",
            "generic",
            SourceKind.weekly,
            Scope.rasht,
            50,
            ("/feed.xml",),
            None,
            crawl_delay=1,
            code_base=310,
            notes="Demo weekly, RSS only: full text in the feed, article pages need JavaScript.",
        ),
    )
}

NAV: dict[str, tuple[tuple[str, str], ...]] = {
    "payam": (
        ("صفحه نخست", "/"),
        ("سیاسی", "/service/politics"),
        ("اقتصادی", "/service/economy"),
        ("استان‌ها", "/service/provinces"),
        ("ورزشی", "/service/sport"),
        ("آرشیو", "/archive"),
    ),
    "sepidrud": (
        ("صفحه اصلی", "/fa"),
        ("استان‌ها", "/fa/service/3"),
        ("شهروند خبرنگار", "/fa/service/9"),
        ("اجتماعی", "/fa/service/5"),
        ("آرشیو", "/fa/archive"),
    ),
    "navashomal": (
        ("خانه", "/"),
        ("گیلان", quote("/بخش-گیلان-12")),
        ("گفت‌وگو", quote("/بخش-گفتگو-31")),
        ("ورزش", quote("/بخش-ورزش-7")),
    ),
    "gilava": (
        ("خانه", "/"),
        ("شهری", "/category/city/"),
        ("شورای شهر", "/category/council/"),
        ("فرهنگی", "/category/culture/"),
        ("تماس با ما", "/contact/"),
    ),
    "sobherasht": (
        ("صفحه اول", "/index.php"),
        ("شهری", "/cat.php?id=2"),
        ("گزارش", "/cat.php?id=5"),
        ("یادداشت", "/cat.php?id=7"),
        ("آرشیو", "/archive.php"),
    ),
    "goharrud": (("خانه", "/"),),
}

SECTION_PATH = "بخش-گیلان-12"


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


def date_text(site: str, local: datetime, index: int, clock: datetime) -> str:
    """The date string an article page prints, in its site's style."""
    j, hm = _jparts(local)
    month = JALALI_MONTHS[j.month - 1]
    if site == "payam":
        if index % 2 == 0:
            return fa_digits(f"{j.year:04d}-{j.month:02d}-{j.day:02d} {hm}")
        return f"{format_jalali_date(local.date(), weekday=True)} - {fa_digits(hm)}"
    if site == "sepidrud":
        d = local.date()
        return f"{fa_digits(f'{j.day:02d}')} {month} {fa_digits(j.year)} - {fa_digits(hm)} {d.day:02d} {EN_MONTHS[d.month - 1]} {d.year}"
    if site == "navashomal":
        age = clock - local
        if timedelta(0) <= age < timedelta(hours=1):
            return "دقایقی پیش"
        if timedelta(hours=1) <= age < timedelta(hours=24):
            return f"{fa_digits(int(age.total_seconds() // 3600))} ساعت پیش"
        return format_jalali_date(local.date())
    if site == "gilava":
        return format_jalali_date(local.date())
    if site == "sobherasht":
        return f"{WEEKDAYS_FA[local.weekday()]}، {j.day:02d} {month} {j.year} - {hm}"
    return format_jalali_date(local.date())


def _date_title(local: datetime) -> str:
    """«چهارشنبه ۵ آذر ۱۴۰۵ - ۱۸:۱۷»: the long form listings carry."""
    return f"{format_jalali_date(local.date(), weekday=True)} - {fa_digits(local.strftime('%H:%M'))}"


def rfc822(site: str, dt: datetime) -> str:
    """A feed pubDate in the site's style (sepidrud omits the weekday, as YJC does)."""
    utc = dt.astimezone(UTC)
    if site == "sepidrud":
        return f"{utc.day:02d} {EN_MON[utc.month - 1]} {utc.year} {utc.strftime('%H:%M:%S')} GMT"
    if site in ("navashomal", "sobherasht"):
        return format_datetime(dt.astimezone(TEHRAN))
    if site == "gilava":
        return format_datetime(utc)
    return format_datetime(utc, usegmt=True)


# ---------------------------------------------------------------------------------------------------
# placing articles: ids and URLs


def _path(spec: SiteSpec, code: int, title: str, local: datetime) -> str:
    slug = slugify(title)
    if spec.id == "payam":
        return f"/news/{code}/{slug}"
    if spec.id == "sepidrud":
        return f"/fa/news/{code}/{slug}"
    if spec.id == "navashomal":
        return f"/{SECTION_PATH}/{code}-{slug}"
    if spec.id == "gilava":
        j = jdatetime.date.fromgregorian(date=local.date())
        return f"/{j.year}/{j.month:02d}/{slug}/"
    if spec.id == "sobherasht":
        return f"/news.php?id={code}"
    return f"/post/{code}"


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
    """Title, lead, body… as the site serves them (sobherasht's CMS rewrites some characters)."""
    fix = oldcms_text if spec.id == "sobherasht" else (lambda s: s)
    return {
        "title": fix(a.title),
        "kicker": fix(a.kicker),
        "lead": fix(a.lead),
        "body": [fix(p) for p in a.body],
        "authors": [fix(x) for x in a.authors],
        "section_parts": [fix(p.strip()) for p in (a.section or "اخبار").split(">") if p.strip()],
    }


def _excerpt(text: str, limit: int = 160) -> str:
    """What a CMS puts in meta description when the article has no lead: the body's opening words."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def served_title(site: str, title: str) -> str:
    """The title exactly as `site` serves it."""
    return oldcms_text(title) if site == "sobherasht" else title


def _tag_href(spec: SiteSpec, tag: str) -> str:
    return enc(
        {
            "payam": f"/tag/{tag}",
            "sepidrud": f"/fa/tag/1/{tag}",
            "navashomal": f"/tag/{tag}",
            "gilava": f"/tag/{tag.replace(' ', '-')}/",
            "sobherasht": f"/search.php?tag={tag}",
            "goharrud": "/",
        }[spec.id]
    )


class _Renderer:
    def __init__(self, spec: SiteSpec, placed: list[Placed], base_url: str, day: date):
        self.spec, self.placed, self.base, self.day = spec, placed, base_url, day
        self.clock = datetime.combine(day, datetime.min.time(), TEHRAN).replace(hour=DEMO_CLOCK_HOUR)
        self.newest = sorted(placed, key=lambda p: (p.shown, p.code), reverse=True)
        self.env = _env()
        self.pages: dict[str, Page] = {}
        self._links: dict[tuple[int, bool], dict] = {}
        self._common: dict | None = None
        self.site_ctx = {"id": spec.id, "name": spec.name, "base": base_url, "nav": NAV[spec.id]}

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
        tracking = "&utm_source=archive&utm_campaign=list" if self.spec.id == "sobherasht" else ""
        return {
            "href": self.href(p, absolute=absolute, tracking=tracking),
            "title": _fields(self.spec, p.art)["title"],
            "lead": _fields(self.spec, p.art)["lead"],
            "iso": local.isoformat(timespec="seconds"),
            "date_title": _date_title(local),
            "date_short": (
                date_text("sobherasht", local, 0, self.clock)
                if self.spec.id == "sobherasht"
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
            "section_path": enc(SECTION_PATH),
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
            "date_text": date_text(spec.id, local, p.index, self.clock),
            "tags": [{"label": t, "href": _tag_href(spec, t)} for t in a.tags],
            "shortlink": f"{self.base}/x/{p.code:x}" if spec.id != "gilava" else f"{self.base}/?p={p.code}",
            "visits": 120 + (p.code * 37) % 900,
        }
        if spec.id in ("navashomal", "gilava"):
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
        suffix = {
            "payam": " - خبرگزاری پیام ملت",
            "sepidrud": " - باشگاه خبری سپیدرود",
            "navashomal": " | خبرگزاری نوای شمال",
            "gilava": " - گیل‌آوا",
            "sobherasht": " :: روزنامه صبح رشت",
            "goharrud": "",
        }[spec.id]
        text = self.html(
            f"{spec.family}/article.html",
            a=a,
            related=related,
            page_title=a["title"] + suffix,
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
                "items": [self.link(p, absolute=spec.id == "gilava") for p in chunk],
                "page": page,
                "pages": pages,
                "next_href": enc(self.listing_path(page + 1)) if page < n_pages else None,
                "prev_href": enc(self.listing_path(page - 1)) if page > 1 else None,
                "heading": "آرشیو اخبار" if page > 1 or spec.id != "gilava" else "آخرین مطالب",
                "page_title": f"آرشیو - صفحه {fa_digits(page)} - {spec.name}",
            }
            text = self.html(f"{spec.family}/listing.html", **ctx)
            self.add(self.listing_path(page), text)
            if page == 1:
                self.add(route_key(spec.listing), text)
        if spec.id == "gilava":
            self.pages["/page/1/"] = Page(
                301, "text/html; charset=utf-8", b"", (("Location", self.base + "/"),)
            )

    def listing_path(self, n: int) -> str:
        """The path of listing page n."""
        return {
            "payam": f"/archive?pi={n}",
            "sepidrud": f"/fa/archive?page={n}",
            "navashomal": f"/{SECTION_PATH}?page={n}",
            "gilava": "/" if n == 1 else f"/page/{n}/",
            "sobherasht": f"/archive.php?page={n}",
        }[self.spec.id]

    def render_home(self) -> None:
        """The home page: the latest items."""
        spec = self.spec
        if spec.id == "gilava":
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
        template = "goharrud/home.html" if spec.id == "goharrud" else f"{spec.family}/listing.html"
        text = self.html(template, **ctx)
        self.add("/", text)
        if spec.id == "sepidrud":
            self.add("/fa", text)
        if spec.id == "sobherasht":
            self.add("/index.php", text)

    def feed(self, key: str, items: list[Placed], *, title: str, dead: str | None = None) -> None:
        """One RSS feed with the newest items, ETag and Last-Modified."""
        spec = self.spec
        rows = []
        for p in items[:FEED_ITEMS]:
            f = _fields(spec, p.art)
            link = self.href(p, tracking="&utm_source=rss&utm_medium=feed" if spec.id == "sobherasht" else "")
            content = None
            if spec.id == "goharrud":
                content = "".join(f"<p>{escape(x)}</p>" for x in f["body"])
            elif spec.id == "gilava":
                content = f'<p>{escape(f["lead"])}</p><p><a href="{escape(link)}">ادامه مطلب</a></p>'
            rows.append(
                {
                    "title": f["title"],
                    "link": link,
                    "guid": link if spec.id != "gilava" else f"{self.base}/?p={p.code}",
                    "pub_date": rfc822(spec.id, p.shown),
                    "lead": f["lead"],
                    "kicker": f["kicker"],
                    "authors": f["authors"],
                    "categories": f["section_parts"][-1:] + list(p.art.tags[:2]),
                    "content_html": content,
                }
            )
        if dead:
            rows.insert(
                0,
                {
                    "title": "ادامه بارش‌ها در گیلان؛ هشدار زرد هواشناسی صادر شد",
                    "link": dead,
                    "guid": dead,
                    "pub_date": rfc822(spec.id, tehran_at(self.day - timedelta(days=1), 21, 10)),
                    "lead": "این خبر از روی سایت برداشته شده است.",
                    "kicker": "",
                    "authors": [],
                    "categories": ["استان‌ها"],
                    "content_html": None,
                },
            )
        visible = [p.shown for p in items if p.shown <= self.clock] or [self.clock]
        last_mod = format_datetime(max(visible).astimezone(UTC), usegmt=True)
        channel = {
            "title": title,
            "link": self.base + "/",
            "self": self.base + enc(key),
            "description": f"آخرین اخبار {spec.name}",
            "last_build": last_mod,
            "generator": "https://wordpress.org/?v=6.6" if spec.id == "gilava" else "",
        }
        text = self.env.get_template("feeds/rss.xml").render(
            channel=channel, items=rows, encoding=spec.encoding
        )
        self.add(key, text, content_type="application/rss+xml")
        page = self.pages[key]
        etag = '"' + hashlib.sha1(page.body).hexdigest()[:20] + '"'
        self.pages[key] = Page(
            200, page.content_type, page.body, (("ETag", etag), ("Last-Modified", last_mod))
        )

    def render_feeds(self) -> str:
        """The site's feeds (and navashomal's sitemap); returns the dead link's URL, if any."""
        spec = self.spec
        dead = ""
        if spec.id == "payam":
            self.feed("/rss", self.newest, title="خبرگزاری پیام ملت - همه اخبار")
            gilan = [p for p in self.newest if p.labels is not None and p.labels.gilan]
            self.feed("/rss/tp/41", gilan, title="خبرگزاری پیام ملت - استان گیلان")
        elif spec.id == "sepidrud":
            dead_path = f"/fa/news/{spec.code_base - 1}/{slugify('ادامه بارش‌ها در گیلان هشدار زرد هواشناسی')}"
            dead = self.base + dead_path
            self.feed(spec.feeds[0], self.newest, title=spec.name, dead=self.base + enc(dead_path))
        else:
            self.feed(spec.feeds[0], self.newest, title=spec.name)
        if spec.id == "navashomal":
            rows = [
                {"link": self.href(p), "iso": p.local.isoformat(timespec="seconds"), "title": p.art.title}
                for p in self.newest
            ]
            text = self.env.get_template("feeds/sitemap.xml").render(site=self.site_ctx, items=rows)
            self.add("/sitemap.xml", text, content_type="application/xml")
            page = self.pages["/sitemap.xml"]
            etag = '"' + hashlib.sha1(page.body).hexdigest()[:20] + '"'
            self.pages["/sitemap.xml"] = Page(200, page.content_type, page.body, (("ETag", etag),))
        return dead

    def render_robots(self) -> None:
        """robots.txt: /search and /admin disallowed; a crawl delay and a sitemap where the site has them."""
        lines = ["User-agent: *", "Disallow: /search", "Disallow: /admin"]
        if self.spec.id == "sepidrud":
            lines.append("Disallow: /fa/search")
        if self.spec.id == "gilava":
            lines += ["Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php"]
        if self.spec.crawl_delay:
            lines.append(f"Crawl-delay: {self.spec.crawl_delay}")
        for s in self.spec.sitemaps:
            lines += ["", f"Sitemap: {self.base}{s}"]
        self.pages["/robots.txt"] = Page(200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode())

    def render_extras(self) -> None:
        """Stylesheet, WordPress shortlinks, and the weekly's script and post API."""
        css = (STATIC / "site.css").read_text("utf-8")
        accent = {
            "payam": "#0b5e8c",
            "sepidrud": "#1d6b3a",
            "navashomal": "#7a2e8f",
            "gilava": "#b5532a",
            "sobherasht": "#4a4a4a",
            "goharrud": "#21656b",
        }[self.spec.id]
        sheet = f":root {{ --accent: {accent}; }}\n{css}".encode()
        for path in STYLESHEETS[self.spec.family]:
            self.pages[route_key(path)] = Page(200, "text/css; charset=utf-8", sheet)
        if self.spec.id == "gilava":  # WordPress shortlinks answer with a redirect to the permalink
            for p in self.placed:
                self.pages[f"/?p={p.code}"] = Page(
                    301, "text/html; charset=utf-8", b"", (("Location", self.href(p)),)
                )
        if self.spec.id == "goharrud":
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
