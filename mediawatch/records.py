"""The records the stages exchange: scrapers → storage → nlp → storage → digests.

Every stage talks to another only through these records and the storage API; none reaches into
another's internals. Dataclasses with slots, frozen except the two filled in as work goes (SourceReport,
Alert): cheap to build by the thousand, compared by value, easy to test. Not all are hashable: Analysis,
Cluster and Alert carry dicts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    """The kinds of medium that sit on the committee."""

    agency = "agency"
    national_daily = "national_daily"
    local_daily = "local_daily"
    weekly = "weekly"
    news_site = "news_site"
    municipal_site = "municipal_site"


class Scope(StrEnum):
    """Where an outlet's coverage lies; national outlets are filtered down to Gilan items."""

    rasht = "rasht"
    gilan = "gilan"
    national = "national"


class Domain(StrEnum):
    """Working-group labels, spelt exactly as in the training labels."""

    culture_social_tourism = "culture_social_tourism"
    civil_works_traffic = "civil_works_traffic"
    urban_planning_legal = "urban_planning_legal"
    urban_services = "urban_services"
    economic_budget_it = "economic_budget_it"
    management = "management"
    other = "other"


# The five working groups (each has a chair and a brief); management goes to the secretariat.
WORKING_GROUPS: tuple[Domain, ...] = (
    Domain.culture_social_tourism,
    Domain.civil_works_traffic,
    Domain.urban_planning_legal,
    Domain.urban_services,
    Domain.economic_budget_it,
)

# One list each, shared by storage, digests, the workspace and the command line (whose options offer them
# as choices): the labels a person may correct, the workspace's account roles, the file formats.
CORRECTABLE_FIELDS = ("municipal", "domain", "secondary", "rasht", "concern", "tone")
ROLES = ("admin", "secretariat", "chair", "viewer")
DIGEST_FORMATS = ("html", "md", "json")
EXPORT_FORMATS = ("csv", "jsonl", "xlsx")

# Persian names as the committee's founding announcement words them.
DOMAIN_TITLES_FA: dict[str, str] = {
    "culture_social_tourism": "کارگروه فرهنگی، اجتماعی و گردشگری",
    "civil_works_traffic": "کارگروه عمرانی و ترافیکی",
    "urban_planning_legal": "کارگروه شهرسازی و حقوقی",
    "urban_services": "کارگروه خدمات شهری",
    "economic_budget_it": "کارگروه اقتصادی (سرمایه‌گذاری، درآمد، برنامه و بودجه، انفورماتیک)",
    "management": "دبیرخانه — مدیریت شهری",
    "other": "خارج از حوزه",
}

KIND_TITLES_FA: dict[str, str] = {
    "agency": "خبرگزاری",
    "national_daily": "روزنامه سراسری",
    "local_daily": "روزنامه محلی",
    "weekly": "هفته‌نامه",
    "news_site": "پایگاه خبری",
    "municipal_site": "پایگاه شهرداری",
}


class Tone(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


TONE_TITLES_FA: dict[str, str] = {"positive": "مثبت", "neutral": "خنثی", "negative": "منفی"}


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet as declared in sources.toml."""

    id: str
    name: str
    homepage: str
    kind: SourceKind
    scope: Scope
    feeds: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    parser: str = "generic"
    verified: bool = False
    enabled: bool = True
    # Hosts besides the homepage's that belong to the outlet (CDN, old domain); links elsewhere are not followed.
    domains: tuple[str, ...] = ()
    # Keep only items about Gilan; None means "yes when scope is national".
    gilan_filter: bool | None = None
    # Politeness overrides (None: the defaults in mediawatch.settings).
    min_interval_s: float | None = None
    max_pages: int | None = None
    # Feed items carry the full text (an RSS-only outlet): no article page is fetched.
    feed_fulltext: bool = False
    notes: str = ""
    # This source's time budget per run, seconds (None: MEDIAWATCH_SOURCE_BUDGET_S).
    budget_s: float | None = None

    @property
    def filters_gilan(self) -> bool:
        return self.scope is Scope.national if self.gilan_filter is None else self.gilan_filter


_WS = re.compile(r"\s+")


def content_hash(title: str, body: str) -> str:
    """SHA-1 of whitespace-folded title and body: the same text fetched twice hashes the same."""
    folded = _WS.sub(" ", f"{title}\n{body}").strip()
    return hashlib.sha1(folded.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Article:
    """One article as collected (scrapers → storage). Text is the original, not normalised."""

    url: str  # canonical URL, unique
    source_id: str
    title: str
    body: str  # paragraphs joined by "\n\n"
    fetched_at: datetime  # aware, UTC
    published_at: datetime | None = None  # aware, UTC
    published_raw: str = ""  # the date string as the page printed it
    kicker: str = ""
    lead: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body)


@dataclass(frozen=True, slots=True)
class FetchEvent:
    """One fetch and its outcome, for the fetch log and the run report."""

    source_id: str
    url: str
    status: int | None  # HTTP status, None when no response (DNS, timeout, refused)
    outcome: str  # "new" | "seen" | "not_modified" | "skipped" | "filtered" | "error"
    error: str = ""  # what went wrong, in words an IT officer can act on
    at: datetime | None = None
    elapsed_ms: int | None = None


@dataclass(slots=True)
class SourceReport:
    """What one source gave in one run: found, new, failed, and why."""

    source_id: str
    found: int = 0
    new: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    fatal: str = ""  # set when the whole source failed (dead site, broken feed)
    # Its time budget ran out and its work was stopped (the reason is `fatal` or the first error).
    budget_spent: bool = False

    @property
    def ok(self) -> bool:
        return not self.fatal

    @property
    def state(self) -> str:
        """"down" (nothing collected: `fatal` says why), "partial" (some pages failed or were not reached
        in time: `errors` say why) or "ok"."""
        if self.fatal:
            return "down"
        return "partial" if self.failed or self.budget_spent else "ok"


@dataclass(frozen=True, slots=True)
class Analysis:
    """What nlp concluded about one article (nlp → storage)."""

    norm_title: str
    norm_body: str
    municipal: bool
    municipal_score: float
    domain: Domain
    domain_scores: dict[str, float]
    secondary: Domain | None
    rasht: bool
    places: tuple[str, ...]
    concern: bool
    concern_score: float
    key_sentence: str
    tone: Tone | None  # None when not municipal
    model_version: str
    # Review priority (nlp.analyze.uncertainty): 0 = sure, 1 = a coin toss; the review queue sorts on it.
    uncertainty: float = 0.0
    # The encoder's vector of the article (float16 bytes, nlp.encoder.encode_vector) with the encoder's
    # name; None when the article was not encoded (encoder unavailable, or surely out of scope).
    embedding: bytes | None = field(default=None, repr=False, compare=False)
    encoder: str = ""


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """The slice of an article that duplicate detection and story clustering need."""

    article_id: int
    source_id: str
    published_at: datetime | None
    fetched_at: datetime
    norm_title: str
    norm_body: str
    # The stored encoder vector (float16 bytes) when the article has one; stories use it where present.
    embedding: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Cluster:
    """A story: the articles that report the same event, with the representative one."""

    key: str  # stable: derived from the representative article id
    representative_id: int
    member_ids: tuple[int, ...]
    # article id → id of the article it duplicates (exact or near-duplicate republication)
    duplicate_of: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One analysed article as the digest sees it (storage → digests)."""

    article_id: int
    url: str
    source_id: str
    source_name: str
    source_kind: SourceKind
    title: str
    lead: str
    published_at: datetime | None
    fetched_at: datetime
    municipal: bool
    domain: Domain
    secondary: Domain | None
    rasht: bool
    places: tuple[str, ...]
    concern: bool
    concern_score: float
    key_sentence: str
    tone: Tone | None
    cluster_key: str | None = None
    is_duplicate: bool = False
    # a late find: published before the digest's period but collected after the previous digest went out
    late: bool = False

    @property
    def seen_at(self) -> datetime:
        return self.published_at or self.fetched_at


@dataclass(frozen=True, slots=True)
class ConcernMark:
    """One concern article as the alert baseline counts it (storage → nlp.alerts)."""

    article_id: int
    source_id: str
    seen_at: datetime
    domain: str
    places: tuple[str, ...] = ()
    story: str = ""  # the story key ("a<id>" for an article in no story): a surge counts stories, not copies


# Why an alert was raised (nlp/alerts.py documents each rule).
ALERT_RULES: tuple[str, ...] = ("critical", "spread", "surge")


@dataclass(slots=True)
class Alert:
    """An early-warning alert (nlp.alerts → storage → digests/web): one per story (or per surging place
    or working group), updated by later articles, closed when the story goes quiet."""

    key: str  # the story key ("a<id>" for a lone article), or "place:<name>" / "group:<domain>" for a surge
    rule: str  # one of ALERT_RULES: the strongest rule that fired
    critical: bool  # critical alerts are never held by quiet hours
    domain: str  # the working group (or management) the story belongs to
    headline: str
    article_ids: tuple[int, ...]  # the articles behind the alert, oldest first
    outlets: tuple[str, ...]  # source ids, in the order they reported
    figures: dict[str, float | int | str]  # what the rule measured (outlets, counts, baseline, p)
    opened_at: datetime  # when the rule first fired
    updated_at: datetime  # last time a new article or figure was added
    last_article_at: datetime  # the newest article's time: the alert closes when this grows old
    started_at: datetime  # the first article's time (detection delay = opened_at − started_at)
    closed_at: datetime | None = None
    sent_at: datetime | None = None  # e-mailed, or no e-mail configured (None: held by quiet hours, or not yet)
    webhook_at: datetime | None = None  # POSTed to the webhook, or no webhook configured
    delivery_error: str = ""  # the last delivery failure, in words for the IT officer
    id: int | None = None  # set by storage

    @property
    def open(self) -> bool:
        return self.closed_at is None
