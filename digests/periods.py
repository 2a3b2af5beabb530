"""The periods digests cover: the morning digest's (07:00 to 07:00 Tehran, over the weekend), the weekly
brief's Iranian week (Saturday to Saturday), and the period before a period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from mediawatch.records import DigestItem
from mediawatch.timeutil import tehran_at, tehran_midnight, week_start

# The morning digest is read at 07:00 Tehran time.
DIGEST_HOUR = 7
# The committee works Saturday–Wednesday (Python weekday(): Sat=5, Sun=6, Mon=0, Tue=1, Wed=2).
WORKING_WEEKDAYS = frozenset({5, 6, 0, 1, 2})


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


def window(items: Iterable[DigestItem], period: tuple[datetime, datetime]) -> list[DigestItem]:
    """The items seen within [start, end) of `period`."""
    start, end = period
    return [i for i in items if start <= i.seen_at < end]
