"""The digest's documents: what the morning digest and the chairs' briefs hold, as renderers and JSON see them.

Plain records (`Digest`, `Brief`, `Story`, `ArticleRef`, …) built by `digests.select` and `digests.ranking`;
`article_ref` makes an article's reference and `safe_url` keeps only absolute http(s) links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from digests import text_fa as ui
from mediawatch.records import DigestItem
from mediawatch.text import display_fa
from mediawatch.timeutil import format_jalali_datetime


@dataclass(slots=True)
class ArticleRef:
    """One article as a reader sees it: title, outlet, Jalali date and a link."""

    article_id: int
    title: str
    url: str  # "" when the stored URL is not http(s): such a link is never rendered
    outlet: str
    outlet_kind: str
    published_at: datetime
    date_fa: str
    domain: str
    tone: str | None
    concern: bool
    rasht: bool
    is_duplicate: bool
    late: bool = False  # published before the period, collected after the previous digest went out


@dataclass(slots=True)
class OutletRef:
    """One outlet behind a story, with the link to its article."""

    name: str
    kind: str
    url: str


@dataclass(slots=True)
class Story:
    """A story (cluster) in a period: what it says, who reported it, and why it ranks where it does."""

    key: str
    domain: str
    headline: str
    key_sentence: str
    url: str
    articles: list[ArticleRef]
    outlets: list[OutletRef]
    article_count: int
    first_seen: datetime
    last_seen: datetime
    first_seen_fa: str
    new: bool
    rasht: bool
    negative_share: float
    score: float = 0.0
    score_parts: dict[str, float] = field(default_factory=dict)
    why: str = ""
    links: list[str] = field(default_factory=list)  # every article's http(s) URL, for machines


@dataclass(slots=True)
class GroupSection:
    """One working group in the morning digest."""

    domain: str
    title: str
    article_count: int
    concerns: list[Story]
    pr: list[ArticleRef]
    concerns_total: int = 0  # before the GROUP_CONCERNS cut; the chair's brief lists them all


@dataclass(slots=True)
class FailedOutlet:
    """An outlet that failed in the night's run, so the reader knows what is missing."""

    source_id: str
    name: str
    reason: str
    fatal: bool


@dataclass(slots=True)
class Figures:
    """Headline figures of a period."""

    articles: int
    outlets: int
    rasht: int
    rasht_share: float
    concerns: int
    by_group: dict[str, int]
    by_kind: dict[str, int]
    tone: dict[str, int]


@dataclass(slots=True)
class Charts:
    """Series for the charts: articles per working group per day, and the tone mix."""

    days: list[date]
    per_group: dict[str, list[int]]
    tone: dict[str, int]


@dataclass(slots=True)
class AlertRef:
    """An early-warning alert as a reader sees it (the alert e-mail, the digest's first section, the workspace)."""

    key: str
    rule: str
    rule_title: str
    critical: bool
    headline: str
    reason: str
    domain: str
    group_title: str
    opened_at: datetime
    opened_fa: str
    started_fa: str
    closed: bool
    outlets: list[str]
    articles: list[ArticleRef]
    story_key: str = ""  # the workspace's story page, when the alert is about one story
    workspace_url: str = ""


@dataclass(slots=True)
class Digest:
    """The secretariat's morning digest."""

    period_start: datetime
    period_end: datetime
    generated_at: datetime
    figures: Figures
    top_concerns: list[Story]
    groups: list[GroupSection]
    management: list[Story]
    failures: list[FailedOutlet]
    charts: Charts
    sources_total: int = 0
    # Whether a nightly collection run started within the period (None: not known to the builder).
    collection_ran: bool | None = None
    # The nightly run that fed the period is still marked running: it was killed (or has not finished yet).
    collection_unfinished: bool = False
    # Articles collected in the period but not analysed (a failed or interrupted analysis step): not in it.
    unanalysed: int = 0
    # Why the night's analysis ran on the sparse fallback without the encoder ("" when it did not).
    analysis_fallback: str = ""
    kind: str = "digest"
    workspace_url: str = ""  # the workspace's Today page, when MEDIAWATCH_PUBLIC_URL is set
    # Early-warning alerts raised or still open in the period (issue 14): shown first.
    alerts: list[AlertRef] = field(default_factory=list)

    @property
    def sources_note(self) -> str:
        """What the failed-sources section says when it lists nobody (never "all available" when unsure)."""
        if self.collection_unfinished:
            return ui.UNFINISHED_RUN
        if self.collection_ran is False:
            return ui.SOURCES_NO_RUN
        return ui.SOURCES_ALL_UP

    @property
    def all_sources_down(self) -> bool:
        """Every known source failed (or none is known and some failed) and nothing arrived."""
        fatal = sum(1 for f in self.failures if f.fatal)
        return self.figures.articles == 0 and fatal > 0 and fatal >= self.sources_total

    @property
    def title(self) -> str:
        return ui.digest_title(self.period_end)


@dataclass(slots=True)
class ReferralRef:
    """A concern story referred to a working group, as a brief lists it."""

    headline: str
    state: str  # new | referred | answered | closed
    manager: str
    due_fa: str  # "" without a due date
    overdue: bool
    answered_fa: str  # "" when not answered
    answer_url: str  # the municipality's published answer (http(s) only), or ""
    link: str  # the story in the workspace, or "" without MEDIAWATCH_PUBLIC_URL


@dataclass(slots=True)
class Trend:
    """This period against the previous one."""

    articles: int
    previous_articles: int
    concerns: int
    previous_concerns: int
    negative: int
    previous_negative: int

    @property
    def change(self) -> int:
        return self.articles - self.previous_articles


@dataclass(slots=True)
class Brief:
    """A working-group chair's brief, daily or weekly."""

    group: str
    group_title: str
    weekly: bool
    period_start: datetime
    period_end: datetime
    previous_start: datetime
    previous_end: datetime
    generated_at: datetime
    figures: Figures
    trend: Trend
    concerns: list[Story]
    recurring: list[Story]
    articles: list[ArticleRef]
    charts: Charts
    kind: str = "brief"
    # Concerns referred to this group (the workspace): open ones (overdue first), and those answered in the
    # period (the weekly brief). Filled by digests.run from the store; empty when nothing was referred.
    referrals_open: list[ReferralRef] = field(default_factory=list)
    referrals_answered: list[ReferralRef] = field(default_factory=list)
    workspace_url: str = ""  # this group's page in the workspace, when MEDIAWATCH_PUBLIC_URL is set

    @property
    def title(self) -> str:
        return ui.brief_title(self.group_title, self.period_end, weekly=self.weekly)


def safe_url(url: str | None) -> str:
    """The URL when it is an absolute http(s) link, else "" (javascript:, data:, relative … are dropped)."""
    if not url:
        return ""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if any(c in url for c in "\x00\r\n\t"):
        return ""
    return url


def article_ref(item: DigestItem) -> ArticleRef:
    """An article as a reader sees it (title, outlet, Jalali date, a safe link)."""
    return ArticleRef(
        article_id=item.article_id,
        title=display_fa(item.title) or ui.UNTITLED,
        url=safe_url(item.url),
        outlet=item.source_name,
        outlet_kind=str(item.source_kind),
        published_at=item.seen_at,
        date_fa=format_jalali_datetime(item.seen_at),
        domain=str(item.domain),
        tone=str(item.tone) if item.tone else None,
        concern=item.concern,
        rasht=item.rasht,
        is_duplicate=item.is_duplicate,
        late=item.late,
    )
