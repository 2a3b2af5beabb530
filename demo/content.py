"""The demo as data: its outlets (`demo/sites.toml`) and their articles (`demo/content/*.jsonl` +
`*.labels.jsonl`), loaded and validated.

Each content line is one article of one demo site; each labels line is our annotation of it (same id,
same order). A malformed line fails with the file, the line number and the field named; a malformed
outlet with the file, the outlet and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from mediawatch.jsonl import read_objects
from mediawatch.records import Domain, Scope, SourceKind, Tone

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SITES_FILE = Path(__file__).resolve().parent / "sites.toml"

Broken = Literal["http_500", "truncated", "future_date"]

# The writers spread articles over the 24 days before the demo's reference day.
MAX_DAY_OFFSET = 24

_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
_Text = Annotated[str, Field(min_length=1)]


class ContentError(ValueError):
    """A demo content file is malformed; the message names file, line and field."""


def hour_minute(time: str) -> tuple[int, int]:
    """«21:10» → (21, 10)."""
    h, m = time.split(":")
    return int(h), int(m)


@dataclass(frozen=True, slots=True)
class DeadItem:
    """A feed item whose page is gone (the server answers 404 for it)."""

    path: str
    title: str
    lead: str
    day_offset: Annotated[int, Field(ge=0)]  # published this many days before the reference day…
    time: Annotated[str, Field(pattern=_TIME)]  # …at this time in Tehran
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Feed:
    """One RSS feed of an outlet: its newest articles."""

    path: str
    title: str = ""  # empty: the outlet's name
    gilan_only: bool = False  # only the articles our labels place in Gilan (a provincial bureau's feed)
    dead_item: DeadItem | None = None


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One demo outlet (an entry of demo/sites.toml): identity, CMS family and the shape of its URLs."""

    id: str
    name: str
    family: str  # template folder (demo/templates/<family>/) and markup in demo/sites.py
    parser: str  # scrapers parser family name
    kind: SourceKind
    scope: Scope
    notes: str
    accent: str  # the colour of its stylesheet
    title_suffix: str  # after the headline in an article page's <title>
    article_path: str  # pattern: {code} {slug} {jyear} {jmonth}
    tag_path: str  # pattern: {tag} {tag_slug}
    feeds: tuple[Feed, ...]
    nav: tuple[tuple[str, str], ...]  # (label, decoded path) of its menu
    per_page: int  # items per listing page
    listing: str | None = None  # first listing page (path); None: no listing
    listing_pages: str = ""  # pattern: {n}
    sitemaps: tuple[str, ...] = ()
    home_aliases: tuple[str, ...] = ()  # other paths that serve the home page
    robots: tuple[str, ...] = ()  # robots.txt lines after the common ones
    link_tracking: str = ""  # appended to the article links of its listings
    feed_tracking: str = ""  # appended to the article links of its feeds
    feed_fulltext: bool = False  # the feed carries the whole text (the article pages need JavaScript)
    crawl_delay: int | None = None
    encoding: str = "utf-8"
    code_base: int = 1000
    code_step: int = 1


def load_sites(path: Path = SITES_FILE) -> dict[str, SiteSpec]:
    """The outlets of a sites file by id, in file order; ContentError names the outlet and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    sites: dict[str, SiteSpec] = {}
    for n, entry in enumerate(data.get("sites", []), 1):
        where = f"{path}: site #{n} ({entry.get('id', '?')})"
        unknown = sorted(set(entry) - set(SiteSpec.__dataclass_fields__))
        for feed in entry.get("feeds", []):
            unknown += sorted(f"feeds.{k}" for k in set(feed) - set(Feed.__dataclass_fields__))
            unknown += sorted(f"feeds.dead_item.{k}" for k in set(feed.get("dead_item") or {}) - set(DeadItem.__dataclass_fields__))
        if unknown:
            raise ContentError(f"{where}: unknown field(s) {unknown}")
        spec: SiteSpec = _validate(_SITE, entry, where)
        if spec.id in sites:
            raise ContentError(f"{where}: field «id»: {spec.id!r} already used")
        sites[spec.id] = spec
    if not sites:
        raise ContentError(f"{path}: no [[sites]] entries")
    return sites


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """One article of one demo site, as the writers wrote it."""

    id: _Text
    site: str  # the id of an outlet in demo/sites.toml
    day_offset: Annotated[int, Field(ge=1, le=MAX_DAY_OFFSET)]
    time: Annotated[str, Field(pattern=_TIME)]
    title: _Text
    lead: str  # may be empty: a republication that merged the lead into the body
    body: Annotated[tuple[_Text, ...], Field(min_length=1)]
    section: str = ""
    kicker: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    story: str | None = None
    copy_of: str | None = None
    broken: Broken | None = None

    @property
    def hour_minute(self) -> tuple[int, int]:
        """(hour, minute) of `time`."""
        return hour_minute(self.time)


@dataclass(frozen=True, slots=True)
class DemoLabels:
    """Our annotation of one demo article (the fields and values of the training labels)."""

    id: _Text
    municipal: bool
    domain: Domain
    rasht: bool
    gilan: bool
    concern: bool
    secondary: Domain | None = None
    tone: Tone | None = None
    places: tuple[str, ...] = ()
    key_sentence: str | None = None


_ARTICLE = TypeAdapter(DemoArticle)
_LABELS = TypeAdapter(DemoLabels)
_SITE = TypeAdapter(SiteSpec)


def _content_files(content_dir: Path | None) -> list[Path]:
    folder = Path(content_dir) if content_dir is not None else CONTENT_DIR
    return sorted(p for p in folder.glob("*.jsonl") if not p.name.endswith(".labels.jsonl"))


def _read_lines(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line; a line that is not a JSON object fails."""
    return list(read_objects(path, ContentError))


def _validate(adapter: TypeAdapter, obj: dict, where: str) -> Any:
    try:
        return adapter.validate_python(obj, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(line)"
        extra = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ContentError(f"{where}: field «{field}»: {err['msg']}; got {err.get('input')!r}{extra}") from exc


def _check_unknown(obj: dict, allowed: set[str], path: Path, n: int) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ContentError(f"{path}: line {n}: unknown field(s) {unknown}; allowed: {sorted(allowed)}")


_ARTICLE_FIELDS = set(DemoArticle.__dataclass_fields__)
_LABEL_FIELDS = set(DemoLabels.__dataclass_fields__)


def load_articles(content_dir: Path | None = None) -> list[DemoArticle]:
    """Every article of every `*.jsonl` in content_dir (default demo/content), files in sorted order."""
    articles: list[DemoArticle] = []
    where: dict[str, str] = {}
    for path in _content_files(content_dir):
        for n, obj in _read_lines(path):
            _check_unknown(obj, _ARTICLE_FIELDS, path, n)
            art: DemoArticle = _validate(_ARTICLE, obj, f"{path}: line {n}")
            if art.site not in SITES:
                raise ContentError(
                    f"{path}: line {n}: field «site»: {art.site!r} is not a demo outlet; known: {', '.join(SITES)}"
                )
            if art.id in where:
                raise ContentError(
                    f"{path}: line {n}: field «id»: {art.id!r} already used at {where[art.id]}"
                )
            where[art.id] = f"{path.name} line {n}"
            articles.append(art)
    ids = set(where)
    for art in articles:
        if art.copy_of is not None and art.copy_of not in ids:
            raise ContentError(
                f"{where[art.id]}: field «copy_of»: {art.copy_of!r} is not the id of any demo article"
            )
    return articles


def load_labels(content_dir: Path | None = None) -> dict[str, DemoLabels]:
    """Labels by article id from every `*.labels.jsonl` beside the content files."""
    labels: dict[str, DemoLabels] = {}
    for content in _content_files(content_dir):
        path = content.with_name(content.name.removesuffix(".jsonl") + ".labels.jsonl")
        if not path.exists():
            continue
        ids = [str(obj.get("id")) for _, obj in _read_lines(content)]
        for n, obj in _read_lines(path):
            _check_unknown(obj, _LABEL_FIELDS, path, n)
            lab: DemoLabels = _validate(_LABELS, obj, f"{path}: line {n}")
            if lab.id in labels:
                raise ContentError(f"{path}: line {n}: field «id»: labels for {lab.id!r} given twice")
            if (lab.domain is Domain.other) == lab.municipal:
                raise ContentError(
                    f"{path}: line {n}: field «domain»: must be 'other' exactly when municipal is false"
                )
            if (lab.tone is None) == lab.municipal:
                raise ContentError(
                    f"{path}: line {n}: field «tone»: must be null exactly when municipal is false"
                )
            if lab.id not in ids:
                raise ContentError(
                    f"{path}: line {n}: field «id»: {lab.id!r} is not an article of {content.name}"
                )
            labels[lab.id] = lab
    return labels


_SLUG_DROP = re.compile(r"[^\w\u200c]+")


def slugify(title: str, max_words: int = 8) -> str:
    """A Persian URL slug as the CMSs make one: words joined by «-», punctuation dropped."""
    words = [w for w in _SLUG_DROP.sub(" ", title.replace("\u200c", " ")).split() if w]
    return "-".join(words[:max_words]) or "news"


SITES: dict[str, SiteSpec] = load_sites()
SITE_IDS: tuple[str, ...] = tuple(SITES)
