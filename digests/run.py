"""What flows and the CLI call: read the store, build, archive, record and (optionally) e-mail."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from digests.alerts import alerts_for
from digests.deliver import FORMATS, archive, recipients_for, send_email
from digests.periods import digest_period, previous_period, weekly_period, window
from digests.records import Brief, Digest
from digests.render import to_dict
from digests.select import CHART_DAYS, build_brief, build_digest
from mediawatch.records import WORKING_GROUPS, DigestItem
from mediawatch.settings import Settings, get_settings

if TYPE_CHECKING:
    from storage import RunRecord, Store
    from storage.workspace import Referral

DIGEST_KIND = "morning"
NIGHTLY_KIND = "nightly"  # the run kind flows/nightly.py records
# Runs that collect: the nightly flow, or `mediawatch collect` (then `process`) run by hand instead.
COLLECTION_KINDS = (NIGHTLY_KIND, "collect")
# A collection still "running" (not finished yet, or killed), or marked "interrupted" by the next start.
UNFINISHED = ("running", "interrupted")
# A nightly run started up to 12 h after the digest's 07:00 (a catch-up after a failed night, or the demo
# run in the afternoon) still counts as the night that fed that digest: its failures are reported in it.
CATCH_UP = timedelta(hours=12)
# Late finds: an article published up to LATE_GRACE before a morning's period but collected only after the
# previous digest was made (published at 03:00 and collected the next night at 02:00, or a source that was
# down for a night, or a Thursday–Friday weekend, and caught up later) is shown in the next morning's digest
# and daily briefs, marked «دیرتر رسیده». Three days cover a source down over the weekend; anything older is
# a backfill of the archive, not news for the morning (it stays searchable and in the charts and trends).
LATE_GRACE = timedelta(days=3)
BRIEF_KIND = "brief"
WEEKLY_KIND = "weekly_brief"


@dataclass(slots=True)
class DigestResult:
    """One built document: what it is, where its files are, who it was sent to."""

    kind: str  # "morning" | "brief" | "weekly_brief"
    group: str | None
    period: tuple[datetime, datetime]
    doc: Digest | Brief
    paths: list[Path] = field(default_factory=list)
    digest_id: int | None = None
    sent_to: list[str] = field(default_factory=list)


# The digest and the five briefs of one morning read the same 30 days; a flow makes them one after the
# other on one store, so the last reads are kept for a short while and reused when nothing was added since.
_READ_CACHE_S = 600.0
_reads: weakref.WeakKeyDictionary[
    Store, dict[tuple[datetime, datetime], tuple[float, int, list[DigestItem]]]
] = weakref.WeakKeyDictionary()


def _items(store: Store, since: datetime, until: datetime) -> list[DigestItem]:
    """store.digest_items(since, until), reused within one run when the store's article count is unchanged."""
    cache = _reads.setdefault(store, {})
    count = store.count_articles()
    hit = cache.get((since, until))
    now = time.monotonic()
    if hit is not None and hit[1] == count and now - hit[0] < _READ_CACHE_S:
        return hit[2]
    items = store.digest_items(since, until)
    for key in [k for k, v in cache.items() if now - v[0] >= _READ_CACHE_S or v[1] != count]:
        del cache[key]
    cache[(since, until)] = (now, count, items)
    return items


def _daily_period(store: Store, day: date) -> tuple[datetime, datetime]:
    """The period of `day`'s morning digest (and daily briefs), the same however often it is made.

    A digest already recorded for this morning keeps its period (a re-run covers what the first run did);
    otherwise it starts where the latest digest ending at or before this morning ended (regenerating an old
    digest does not move that), or at the previous working morning when there is none.
    """
    end = digest_period(day)[1]
    last = store.last_digest(DIGEST_KIND, group=None, ending_by=end)
    if last is None:
        return digest_period(day)
    if last.period_end == end:
        return last.period_start, end
    return digest_period(day, last_digest_end=last.period_end)


def _late_finds(store: Store, period: tuple[datetime, datetime]) -> list[DigestItem]:
    """Articles published within LATE_GRACE before the period but fetched after the previous digest was made.

    Without a previous digest there are none (a first run's backfill is history, not late news).
    """
    start = period[0]
    prev = store.last_digest(DIGEST_KIND, group=None, ending_by=start)
    if prev is None:
        return []
    return store.late_items(start - LATE_GRACE, start, prev.created_at)


def _with_late(
    store: Store, period: tuple[datetime, datetime], history_start: datetime
) -> tuple[list[DigestItem], list[DigestItem]]:
    """(the period's items plus late finds, the history before the period without them)."""
    late = _late_finds(store, period)
    ids = {i.article_id for i in late}
    items = [*_items(store, *period), *late]
    history = [i for i in _items(store, history_start, period[0]) if i.article_id not in ids]
    return items, history


def _night(run: RunRecord | None, period: tuple[datetime, datetime]) -> tuple[bool | None, datetime, bool]:
    """Given the latest nightly run: (did it start in the period or as a catch-up after it, until when to
    read run reports, is it still marked running — killed, or not finished yet)."""
    start, end = period
    if run is None:
        return False, end, False
    unfinished = run.status in UNFINISHED
    if end <= run.started_at < end + CATCH_UP:  # a late or manual run that fed this morning's digest
        return True, run.started_at + timedelta(seconds=1), unfinished
    if run.started_at >= end + CATCH_UP:  # a later night: regenerating an old digest; its night is unknown
        return None, end, False
    ran = start <= run.started_at
    return ran, end, unfinished and ran


def _current_sources(run: RunRecord | None, ran: bool | None) -> list[str] | None:
    """The source ids the nightly run that fed the digest was given (its registry), when known."""
    if not ran:
        return None
    ids = (run.params or {}).get("sources") if run is not None else None
    return [str(i) for i in ids] if isinstance(ids, list) else None


def _add_referrals(store: Store, doc: Brief, public_url: str) -> None:
    """The group's open referrals (overdue first) and, in a weekly brief, those answered in the week."""
    from digests.records import ReferralRef, safe_url
    from mediawatch.timeutil import format_jalali_date, to_tehran

    base = public_url.rstrip("/")
    today = to_tehran(doc.period_end).date()
    refs = store.workspace.referrals(group=doc.group)

    def ref(r: Referral) -> ReferralRef:
        return ReferralRef(
            headline=r.headline, state=r.state, manager=r.manager,
            due_fa=format_jalali_date(r.due_date) if r.due_date else "", overdue=r.overdue(today),
            answered_fa=format_jalali_date(r.answered_at) if r.answered_at else "",
            answer_url=safe_url(r.answer_url), link=f"{base}/story/{quote(r.cluster_key, safe='')}" if base else "")

    doc.referrals_open = [ref(r) for r in sorted((r for r in refs if r.open and r.created_at < doc.period_end),
                                                 key=lambda r: (not r.overdue(today), r.due_date or today))]
    if doc.weekly:
        doc.referrals_answered = [ref(r) for r in refs
                                  if r.answered_at and doc.period_start <= r.answered_at < doc.period_end]
    if base:
        doc.workspace_url = f"{base}/group/{doc.group}"


def _save(store: Store, result: DigestResult) -> None:
    start, end = result.period
    result.digest_id = store.save_digest(
        result.kind,
        group=result.group,
        period_start=start,
        period_end=end,
        content=to_dict(result.doc),
        paths=[str(p) for p in result.paths],
    )


def build_morning(store: Store, day: date, *, adjust: Callable[[list[DigestItem]], list[DigestItem]] | None = None
                  ) -> tuple[tuple[datetime, datetime], Digest]:
    """`day`'s morning digest built from the store (nothing archived or recorded): (period, digest).

    `adjust` may rewrite the items before selection (the workspace overlays people's corrections).
    """
    period = _daily_period(store, day)
    start, end = period
    items, history = _with_late(store, period, end - timedelta(days=CHART_DAYS))
    if adjust is not None:
        items, history = adjust(items), adjust(history)
    run = store.last_run(COLLECTION_KINDS)
    ran, reports_until, unfinished = _night(run, period)
    doc = build_digest(
        items,
        period=period,
        failures=store.failed_sources(start, reports_until),
        history=history,
        sources=store.sources(),
        collection_ran=ran,
        collection_unfinished=unfinished,
        current_sources=_current_sources(run, ran),
        unanalysed=store.count_unanalysed(start, end),
        analysis_fallback=str((run.summary or {}).get("analysis_fallback", "")) if run is not None and ran else "",
    )
    doc.alerts = alerts_for(store, start, end, public_url=get_settings().public_url)
    return period, doc


def make_morning_digest(
    store: Store,
    day: date,
    *,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    send: bool = False,
    settings: Settings | None = None,
) -> DigestResult:
    """Build the morning digest of `day` from the store, archive it, record it, e-mail it when asked."""
    settings = settings or get_settings()
    out_dir = Path(out_dir) if out_dir else settings.digest_root
    period, doc = build_morning(store, day)
    if settings.public_url:
        doc.workspace_url = settings.public_url.rstrip("/") + "/"
    result = DigestResult(DIGEST_KIND, None, period, doc, archive(doc, out_dir, formats))
    _save(store, result)
    if send:
        result.sent_to = recipients_for(settings, "secretariat")
        send_email(doc, result.sent_to, settings)
    return result


def make_briefs(
    store: Store,
    day: date,
    *,
    out_dir: Path | None = None,
    weekly: bool = False,
    groups: Sequence[str] | None = None,
    formats: Sequence[str] = FORMATS,
    send: bool = False,
    settings: Settings | None = None,
) -> list[DigestResult]:
    """Each chair's brief (daily: the digest's period; weekly: the last Saturday–Friday week)."""
    settings = settings or get_settings()
    out_dir = Path(out_dir) if out_dir else settings.digest_root
    valid = [str(g) for g in WORKING_GROUPS]
    groups = list(groups) if groups else valid
    bad = [g for g in groups if g not in valid]
    if bad:
        raise ValueError(f"unknown working group(s) {', '.join(bad)}: use one of {', '.join(valid)}")
    kind = WEEKLY_KIND if weekly else BRIEF_KIND
    period = weekly_period(day) if weekly else _daily_period(store, day)
    prev = previous_period(period)
    # One read for all groups: history (30 days before the period, which covers the previous period too).
    history_start = min(prev[0], period[1] - timedelta(days=CHART_DAYS))
    if weekly:
        items, history = _items(store, *period), _items(store, history_start, period[0])
    else:
        items, history = _with_late(store, period, history_start)
    previous = window(history, prev)
    results = []
    for group in groups:
        doc = build_brief(
            group, items, period=period, previous_period_items=previous, history=history, weekly=weekly
        )
        _add_referrals(store, doc, settings.public_url)
        result = DigestResult(kind, group, period, doc, archive(doc, out_dir, formats))
        _save(store, result)
        if send:
            result.sent_to = recipients_for(settings, group)
            if result.sent_to:  # a group without a chair's address is skipped, not an error
                send_email(doc, result.sent_to, settings)
        results.append(result)
    return results
