"""Time as the committee reads it: stored in UTC, shown in Asia/Tehran, in the Jalali calendar.

The Iranian week starts on Saturday. Persian digits in everything a person reads.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)
_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)

JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)
# Python weekday() numbering: Monday=0 … Sunday=6.
WEEKDAYS_FA = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")


def fa_digits(value: object) -> str:
    """Any value as text with Persian digits."""
    return str(value).translate(_TO_PERSIAN)


def latin_digits(text: str) -> str:
    """Persian and Arabic-Indic digits → ASCII digits."""
    return text.translate(_TO_LATIN)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_tehran(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: store and pass aware datetimes only")
    return dt.astimezone(TEHRAN)


def jalali(d: date | datetime) -> jdatetime.date:
    if isinstance(d, datetime):
        d = to_tehran(d).date()
    return jdatetime.date.fromgregorian(date=d)


def format_jalali_date(d: date | datetime, *, weekday: bool = False) -> str:
    """«۵ آذر ۱۴۰۵» (or «چهارشنبه ۵ آذر ۱۴۰۵»), in Tehran time for datetimes."""
    g = to_tehran(d).date() if isinstance(d, datetime) else d
    j = jdatetime.date.fromgregorian(date=g)
    text = f"{fa_digits(j.day)} {JALALI_MONTHS[j.month - 1]} {fa_digits(j.year)}"
    return f"{WEEKDAYS_FA[g.weekday()]} {text}" if weekday else text


def format_jalali_datetime(dt: datetime) -> str:
    """«۵ آذر ۱۴۰۵، ساعت ۰۹:۴۱» in Tehran time."""
    local = to_tehran(dt)
    return f"{format_jalali_date(local)}، ساعت {fa_digits(local.strftime('%H:%M'))}"


def jalali_iso(d: date | datetime) -> str:
    """«1405-09-05» with Latin digits: archive folder names and machine output."""
    j = jalali(d)
    return f"{j.year:04d}-{j.month:02d}-{j.day:02d}"


_DATE_ARG = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*$")


def parse_date_arg(text: str) -> date:
    """A date typed by a person: Gregorian (2026-11-26) or Jalali (1405-09-05), either digit set."""
    m = _DATE_ARG.match(latin_digits(text))
    if not m:
        raise ValueError(f"«{text}» is not a date: write 2026-11-26 (Gregorian) or 1405-09-05 (Jalali)")
    y, mo, d = (int(g) for g in m.groups())
    try:
        if y < 1700:  # Jalali years are ~1400; Gregorian ~2000
            return jdatetime.date(y, mo, d).togregorian()
        return date(y, mo, d)
    except ValueError as exc:
        raise ValueError(f"«{text}» is not a valid date: {exc}") from exc


def week_start(d: date) -> date:
    """The Saturday on or before d (the Iranian week starts on Saturday)."""
    return d - timedelta(days=(d.weekday() - 5) % 7)


def tehran_midnight(d: date) -> datetime:
    """Start of a Tehran calendar day, as an aware UTC datetime."""
    return datetime.combine(d, time(0, 0), TEHRAN).astimezone(UTC)


def tehran_at(d: date, hour: int, minute: int = 0) -> datetime:
    """A Tehran wall-clock time on day d, as an aware UTC datetime."""
    return datetime.combine(d, time(hour, minute), TEHRAN).astimezone(UTC)


def tehran_today(now: datetime | None = None) -> date:
    return to_tehran(now or utcnow()).date()
