"""Select and rank what the committee reads: the morning digest and the chairs' briefs.

Pure functions over `DigestItem` lists: no storage, no I/O, no clock unless `now` is omitted.
Every ranked concern carries the parts of its score, so the digest can say why it ranks where it does.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from digests import text_fa as ui
from mediawatch.records import (
    DOMAIN_TITLES_FA,
    KIND_TITLES_FA,
    WORKING_GROUPS,
    DigestItem,
    Domain,
    Source,
    SourceKind,
    SourceReport,
)
from mediawatch.text import display_fa
from mediawatch.timeutil import (
    TEHRAN,
    fa_digits,
    format_jalali_date,
    format_jalali_datetime,
    tehran_at,
    tehran_midnight,
    to_tehran,
    utcnow,
    week_start,
)

# --- tunables: every number that shapes the ranking, with its reason -------------------------------
# The morning digest is read at 07:00 Tehran time.
DIGEST_HOUR = 7
# The committee works Saturday–Wednesday (Python weekday(): Sat=5, Sun=6, Mon=0, Tue=1, Wed=2).
WORKING_WEEKDAYS = frozenset({5, 6, 0, 1, 2})
# Charts look back a month: long enough to see a trend, short enough to stay legible on a phone.
CHART_DAYS = 30
# How many concerns the "top concerns" list shows: one screen on a phone.
TOP_CONCERNS = 10
# Per working group: more than this is noise for a chair reading the morning digest.
GROUP_CONCERNS = 8
# Score weights. Story size grows with log2 so one story republished 20 times does not drown the rest.
W_SIZE = 1.0
# Distinct outlets count more than articles: independent outlets mean independent attention.
W_OUTLETS = 1.0
# Fresh items matter more in a morning digest; half-life 12 h (last night vs. yesterday morning).
W_RECENCY = 1.0
RECENCY_HALF_LIFE_H = 12.0
# The committee serves Rasht; a concern named in Rasht outranks one elsewhere in Gilan.
W_RASHT = 1.0
# Negative coverage is what the municipality must answer; share of negative toned articles.
W_NEGATIVE = 1.0
# A story not seen before the period is news to the reader; continuing stories still rank, lower.
W_NEW = 0.5
# How much each kind of outlet weighs: the municipality's own site does not make a citizen's concern larger.
KIND_WEIGHT: dict[str, float] = {
    "agency": 1.0,
    "national_daily": 1.2,
    "local_daily": 1.0,
    "weekly": 0.8,
    "news_site": 0.7,
    "municipal_site": 0.3,
}


# --- the documents ----------------------------------------------------------------------------------
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


# --- periods -----------------------------------------------------------------------------------------
def previous_working_day(day: date) -> date:
    """The working day (Saturday–Wednesday) before `day`."""
    d = day - timedelta(days=1)
    while d.weekday() not in WORKING_WEEKDAYS:
        d -= timedelta(days=1)
    return d


def digest_period(day: date, *, last_digest_end: datetime | None = None) -> tuple[datetime, datetime]:
    """The morning digest of `day` covers [start, 07:00 Tehran of `day`), start = the previous digest's end.

    Without a previous digest, since 07:00 of the previous working morning: Saturday's digest
    therefore covers Wednesday's day, Thursday and Friday.
    """
    end = tehran_at(day, DIGEST_HOUR)
    if last_digest_end is not None and last_digest_end < end:
        return last_digest_end, end
    return tehran_at(previous_working_day(day), DIGEST_HOUR), end


def weekly_period(day: date) -> tuple[datetime, datetime]:
    """The last complete Iranian week (Saturday 00:00 to Saturday 00:00 Tehran) before `day`'s week."""
    this_week = week_start(day)
    start = this_week - timedelta(days=7)
    return tehran_midnight(start), tehran_midnight(this_week)


def previous_period(period: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """The period of the same length right before `period`."""
    start, end = period
    return start - (end - start), start


# --- helpers ------------------------------------------------------------------------------------------
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


def _ref(item: DigestItem) -> ArticleRef:
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


def _story_key(item: DigestItem) -> str:
    return item.cluster_key or f"a{item.article_id}"


def _in_group(item: DigestItem, group: str) -> bool:
    return item.domain == group or (item.secondary is not None and item.secondary == group)


def _figures(items: Sequence[DigestItem]) -> Figures:
    rasht = sum(1 for i in items if i.rasht)
    by_group = Counter(str(i.domain) for i in items)
    return Figures(
        articles=len(items),
        outlets=len({i.source_id for i in items}),
        rasht=rasht,
        rasht_share=rasht / len(items) if items else 0.0,
        concerns=sum(1 for i in items if i.concern),
        by_group={d: by_group.get(d, 0) for d in DOMAIN_TITLES_FA},
        by_kind=dict(Counter(str(i.source_kind) for i in items).most_common()),
        tone={t: sum(1 for i in items if i.tone == t) for t in ("positive", "neutral", "negative")},
    )


def _first_seen_before(history: Iterable[DigestItem], start: datetime) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for h in history:
        if h.cluster_key is None:
            continue
        seen = h.seen_at
        if seen < start and (h.cluster_key not in first or seen < first[h.cluster_key]):
            first[h.cluster_key] = seen
    return first


def _why(story: Story) -> str:
    """The score explained in one Persian line."""
    kinds = Counter(o.kind for o in story.outlets)
    kind_text = "، ".join(f"{fa_digits(n)} {KIND_TITLES_FA.get(k, k)}" for k, n in kinds.most_common())
    parts = [f"{fa_digits(story.article_count)} خبر از {fa_digits(len(story.outlets))} رسانه ({kind_text})"]
    if story.rasht:
        parts.append("درباره رشت")
    if story.negative_share > 0:
        parts.append(f"{fa_digits(round(story.negative_share * 100))}٪ با لحن منفی")
    parts.append("تازه" if story.new else f"ادامه‌دار از {story.first_seen_fa}")
    return "؛ ".join(parts)


def build_stories(
    items: Sequence[DigestItem],
    *,
    period_end: datetime,
    first_before: Mapping[str, datetime],
    only_concerns: bool,
) -> list[Story]:
    """Group items into stories by cluster, score each and rank them (highest score first)."""
    groups: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        groups[_story_key(item)].append(item)
    stories = []
    for key, members in groups.items():
        if only_concerns and not any(m.concern for m in members):
            continue
        members.sort(key=lambda m: (m.is_duplicate, -m.concern_score, m.seen_at, m.article_id))
        lead = members[0]
        domain = Counter(str(m.domain) for m in members).most_common(1)[0][0]
        with_sentence = [m for m in members if m.key_sentence.strip()]
        sentence = display_fa(
            max(with_sentence, key=lambda m: m.concern_score).key_sentence if with_sentence else lead.lead
        )
        title, lead_text = display_fa(lead.title), display_fa(lead.lead)
        if sentence.split() == title.split():  # saying the headline twice says nothing
            sentence = lead_text if lead_text.split() != title.split() else ""
        by_time = sorted(members, key=lambda m: (m.seen_at, m.article_id))
        outlets: dict[str, OutletRef] = {}
        for m in by_time:
            outlets.setdefault(m.source_id, OutletRef(m.source_name, str(m.source_kind), safe_url(m.url)))
        first = by_time[0].seen_at
        before = first_before.get(key)
        new = before is None
        if before is not None:
            first = min(first, before)
        toned = [m for m in members if m.tone is not None]
        negative = sum(1 for m in toned if m.tone == "negative") / len(toned) if toned else 0.0
        last = by_time[-1].seen_at
        age_h = max(0.0, (period_end - last).total_seconds() / 3600)
        parts = {
            "size": round(W_SIZE * math.log2(1 + len(members)), 3),
            "outlets": round(W_OUTLETS * sum(KIND_WEIGHT.get(o.kind, 0.7) for o in outlets.values()), 3),
            "recency": round(W_RECENCY * 0.5 ** (age_h / RECENCY_HALF_LIFE_H), 3),
            "rasht": W_RASHT if any(m.rasht for m in members) else 0.0,
            "negative": round(W_NEGATIVE * negative, 3),
            "new": W_NEW if new else 0.0,
        }
        story = Story(
            key=key,
            domain=domain,
            headline=display_fa(lead.title) or ui.UNTITLED,
            key_sentence=sentence,
            url=safe_url(lead.url),
            articles=[_ref(m) for m in by_time],
            outlets=list(outlets.values()),
            article_count=len(members),
            first_seen=first,
            last_seen=last,
            first_seen_fa=format_jalali_date(first),
            new=new,
            rasht=parts["rasht"] > 0,
            negative_share=negative,
            score=round(sum(parts.values()), 3),
            score_parts=parts,
        )
        story.why = _why(story)
        story.links = [a.url for a in story.articles if a.url]
        stories.append(story)
    stories.sort(key=lambda s: (-s.score, -s.article_count, s.first_seen, s.key))
    return stories


def _charts(
    items: Sequence[DigestItem], history: Sequence[DigestItem], end: datetime, *, only: str | None = None
) -> Charts:
    """Per-day counts over the last CHART_DAYS days (all working groups, or every item under `only`)."""
    last_day = to_tehran(end - timedelta(microseconds=1)).date()
    days = [last_day - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    index = {d: n for n, d in enumerate(days)}
    per_group = {only: [0] * len(days)} if only else {str(g): [0] * len(days) for g in WORKING_GROUPS}
    seen: set[int] = set()
    for item in (*history, *items):
        group = only or str(item.domain)
        if item.article_id in seen or group not in per_group:
            continue
        seen.add(item.article_id)
        n = index.get(item.seen_at.astimezone(TEHRAN).date())
        if n is not None:
            per_group[group][n] += 1
    tone = {t: sum(1 for i in items if i.tone == t) for t in ("positive", "neutral", "negative")}
    return Charts(days=days, per_group=per_group, tone=tone)


def _failures(failures: Sequence[SourceReport], sources: Mapping[str, Source]) -> list[FailedOutlet]:
    # The store lists only sources whose latest report in the period failed; a source listed twice keeps its latest.
    latest = {rep.source_id: rep for rep in failures}
    out = []
    for rep in latest.values():
        if rep.ok and not rep.failed:
            continue
        name = sources[rep.source_id].name if rep.source_id in sources else rep.source_id
        if rep.fatal:
            reason = rep.fatal
        else:
            first = rep.errors[0] if rep.errors else ""
            reason = f"{fa_digits(rep.failed)} صفحه خوانده نشد" + (f": {first}" if first else "")
        out.append(FailedOutlet(rep.source_id, name, reason, fatal=bool(rep.fatal)))
    out.sort(key=lambda f: (not f.fatal, f.name))
    return out


def _window(items: Iterable[DigestItem], start: datetime, end: datetime) -> list[DigestItem]:
    return [i for i in items if start <= i.seen_at < end]


# --- the public builders --------------------------------------------------------------------------------
def build_digest(
    items: Sequence[DigestItem],
    *,
    period: tuple[datetime, datetime],
    failures: Sequence[SourceReport] = (),
    history: Sequence[DigestItem] = (),
    now: datetime | None = None,
    sources: Mapping[str, Source] | None = None,
    collection_ran: bool | None = None,
    collection_unfinished: bool = False,
    current_sources: Collection[str] | None = None,
    unanalysed: int = 0,
    analysis_fallback: str = "",
) -> Digest:
    """The secretariat's morning digest of `items` (the period's analysed articles).

    `current_sources`: the ids of the sources the night's run was given (the current registry); sources
    removed from sources.toml stay in the store but are not counted as sources that could have failed.
    """
    start, end = period
    items = list(items)
    sources = sources or {}
    first_before = _first_seen_before(history, start)
    relevant = [i for i in items if i.domain != Domain.other]
    concerns = build_stories(
        [i for i in relevant if i.domain != Domain.management],
        period_end=end,
        first_before=first_before,
        only_concerns=True,
    )
    groups = []
    for g in WORKING_GROUPS:
        gid = str(g)
        in_group = [i for i in items if i.domain == gid]
        group_concerns = [s for s in concerns if s.domain == gid]
        pr = [
            _ref(i)
            for i in sorted(in_group, key=lambda i: (i.seen_at, i.article_id))
            if i.source_kind == SourceKind.municipal_site
        ]
        groups.append(
            GroupSection(
                domain=gid,
                title=DOMAIN_TITLES_FA[gid],
                article_count=len(in_group),
                concerns=group_concerns[:GROUP_CONCERNS],
                pr=pr,
                concerns_total=len(group_concerns),
            )
        )
    management = build_stories(
        [i for i in items if i.domain == Domain.management],
        period_end=end,
        first_before=first_before,
        only_concerns=False,
    )
    return Digest(
        period_start=start,
        period_end=end,
        generated_at=now or utcnow(),
        figures=_figures(items),
        top_concerns=concerns[:TOP_CONCERNS],
        groups=groups,
        management=management,
        failures=_failures(failures, sources),
        charts=_charts(items, history, end),
        sources_total=sum(
            1 for s in sources.values() if s.enabled and (current_sources is None or s.id in current_sources)
        )
        or len({f.source_id for f in failures}),
        collection_ran=collection_ran,
        collection_unfinished=collection_unfinished,
        unanalysed=unanalysed,
        analysis_fallback=analysis_fallback,
    )


def build_brief(
    group: str,
    items: Sequence[DigestItem],
    *,
    period: tuple[datetime, datetime],
    previous_period_items: Sequence[DigestItem] = (),
    history: Sequence[DigestItem] = (),
    weekly: bool = False,
    now: datetime | None = None,
) -> Brief:
    """A chair's brief: only `group`'s articles (primary domain, or secondary), trend, recurring issues."""
    if group not in {str(g) for g in WORKING_GROUPS}:
        raise ValueError(f"«{group}» is not a working group: one of {', '.join(map(str, WORKING_GROUPS))}")
    start, end = period
    prev = previous_period(period)
    mine = [i for i in items if _in_group(i, group)]
    before = [i for i in previous_period_items if _in_group(i, group)]
    past = [i for i in history if _in_group(i, group)]
    first_before = _first_seen_before((*past, *before), start)
    concerns = build_stories(mine, period_end=end, first_before=first_before, only_concerns=True)
    recurring = [
        s
        for s in build_stories(mine, period_end=end, first_before=first_before, only_concerns=False)
        if not s.new
    ]
    trend = Trend(
        articles=len(mine),
        previous_articles=len(before),
        concerns=sum(1 for i in mine if i.concern),
        previous_concerns=sum(1 for i in before if i.concern),
        negative=sum(1 for i in mine if i.tone == "negative"),
        previous_negative=sum(1 for i in before if i.tone == "negative"),
    )
    charts = _charts(mine, (*past, *before), end, only=group)
    return Brief(
        group=group,
        group_title=DOMAIN_TITLES_FA[group],
        weekly=weekly,
        period_start=start,
        period_end=end,
        previous_start=prev[0],
        previous_end=prev[1],
        generated_at=now or utcnow(),
        figures=_figures(mine),
        trend=trend,
        concerns=concerns,
        recurring=recurring,
        articles=[_ref(i) for i in sorted(mine, key=lambda i: (i.seen_at, i.article_id))],
        charts=charts,
    )


def window(items: Iterable[DigestItem], period: tuple[datetime, datetime]) -> list[DigestItem]:
    """The items seen within [start, end) of `period`."""
    return _window(items, *period)
