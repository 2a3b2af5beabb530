"""Select what the committee reads: the morning digest and the chairs' briefs.

Pure functions over `DigestItem` lists: no storage, no I/O, no clock unless `now` is omitted. The documents
they build are in `digests.records`, the periods in `digests.periods`, the stories' scores in
`digests.ranking`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from digests.periods import previous_period
from digests.ranking import build_stories, first_seen_before
from digests.records import (
    Brief,
    Charts,
    Digest,
    FailedOutlet,
    Figures,
    GroupSection,
    Trend,
    article_ref,
)
from mediawatch.records import (
    DOMAIN_TITLES_FA,
    WORKING_GROUPS,
    DigestItem,
    Domain,
    Source,
    SourceKind,
    SourceReport,
)
from mediawatch.timeutil import TEHRAN, fa_digits, to_tehran, utcnow

# --- tunables: how much the digest shows, with the reason ----------------------------------------------
# Charts look back a month: long enough to see a trend, short enough to stay legible on a phone.
CHART_DAYS = 30
# How many concerns the "top concerns" list shows: one screen on a phone.
TOP_CONCERNS = 10
# Per working group: more than this is noise for a chair reading the morning digest.
GROUP_CONCERNS = 8


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
    first_before = first_seen_before(history, start)
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
            article_ref(i)
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
    first_before = first_seen_before((*past, *before), start)
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
        articles=[article_ref(i) for i in sorted(mine, key=lambda i: (i.seen_at, i.article_id))],
        charts=charts,
    )
