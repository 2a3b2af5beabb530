"""Dates as Persian news sites print them → aware UTC datetimes.

Jalali (Persian or Latin digits, numeric or with month names, «دى» with Arabic yeh too, weekday
prefixes, «-», «|», «،» or «ساعت» before the time), relative («۳ ساعت پیش», «دیروز»), ISO 8601
and RFC 822. Wall-clock times without a zone are Asia/Tehran. A date in the future is an error.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta

import jdatetime

from mediawatch.text import persian_letters
from mediawatch.timeutil import JALALI_MONTHS, TEHRAN, latin_digits, utcnow
from scrapers.errors import DateError, FutureDate

# Clocks drift and sites stamp a few minutes ahead; beyond this a date is "in the future".
FUTURE_TOLERANCE = timedelta(minutes=15)

_MONTHS: dict[str, int] = {name: i + 1 for i, name in enumerate(JALALI_MONTHS)}
_MONTHS |= {"اردی بهشت": 2, "امرداد": 5}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))

_NAMED = re.compile(rf"(?<!\d)(\d{{1,2}})\s*({_MONTH_RE})\s*(?:ماه\s*)?(?:سال\s*)?(\d{{4}})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{4})\s*([/\-.])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?!\d)")
_NUMERIC_DMY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_RFC822 = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b", re.I)

_WORD_NUMBERS = {"یک": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "هفت": 7, "هشت": 8, "نه": 9, "ده": 10}
_UNITS = {
    "ثانیه": timedelta(seconds=1),
    "دقیقه": timedelta(minutes=1),
    "ساعت": timedelta(hours=1),
    "روز": timedelta(days=1),
    "هفته": timedelta(weeks=1),
    "ماه": timedelta(days=30),
    "سال": timedelta(days=365),
}
_RELATIVE = re.compile(
    r"(\d+|" + "|".join(_WORD_NUMBERS) + r")\s*(ثانیه|دقیقه|ساعت|روز|هفته|ماه|سال)\s*(?:پیش|قبل)"
)
# Vague relative phrases: the moment they most likely mean.
_VAGUE = {"لحظاتی": timedelta(0), "دقایقی": timedelta(minutes=5), "ساعاتی": timedelta(hours=2)}


def _clean(text: str) -> str:
    """Latin digits, Persian letters (mediawatch.text), ZWNJ and no-break space → space, one space between words."""
    text = persian_letters(latin_digits(text)).replace("\u200c", " ")
    return re.sub(r"\s+", " ", text).strip()


def _tehran(y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, *, jalali: bool) -> datetime:
    if jalali:
        g = jdatetime.date(y, mo, d).togregorian()
        y, mo, d = g.year, g.month, g.day
    return datetime(y, mo, d, hh, mm, ss, tzinfo=TEHRAN).astimezone(UTC)


def _time_in(text: str) -> tuple[int, int, int]:
    m = _TIME.search(text)
    if not m:
        return 0, 0, 0
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return 0, 0, 0
    return hh, mm, ss


def _parse(text: str, now: datetime) -> datetime | None:
    if _ISO.match(text):
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if dt.year < 1700:  # a Jalali date written the ISO way (IRNA archive: 1404-06-12 18:17)
            return _tehran(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, jalali=True)
        return (dt if dt.tzinfo else dt.replace(tzinfo=TEHRAN)).astimezone(UTC)
    m = _NAMED.search(text)
    if m:
        d, mo, y = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
        return _tehran(y, mo, d, *_time_in(text[m.end():] or text), jalali=True)
    m = _NUMERIC.search(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(3)), int(m.group(4))
        rest = text[: m.start()] + " " + text[m.end():]
        return _tehran(y, mo, d, *_time_in(rest), jalali=y < 1700)
    if _RFC822.search(text):
        try:
            rfc = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            rfc = None
        if rfc is not None:
            return (rfc if rfc.tzinfo else rfc.replace(tzinfo=UTC)).astimezone(UTC)
    m = _NUMERIC_DMY.search(text)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return _tehran(y, mo, d, *_time_in(text[m.end():]), jalali=y < 1700)
    m = _RELATIVE.search(text)
    if m:
        n = _WORD_NUMBERS.get(m.group(1)) or int(m.group(1))
        return now - n * _UNITS[m.group(2)]
    for word, delta in _VAGUE.items():
        if word in text:
            return now - delta
    for word, days in (("پریروز", 2), ("دیروز", 1), ("امروز", 0)):
        if word in text:
            local = now.astimezone(TEHRAN) - timedelta(days=days)
            hh, mm, ss = _time_in(text)
            if not _TIME.search(text):
                hh, mm, ss = local.hour, local.minute, local.second
                if days:
                    hh, mm, ss = 12, 0, 0  # «دیروز» alone: midday of that day, the least wrong guess
            return local.replace(hour=hh, minute=mm, second=ss, microsecond=0).astimezone(UTC)
    return None


def parse_date(text: str, *, now: datetime | None = None) -> datetime:
    """Parse a date as a Persian or international site prints it; aware UTC. Raises DateError
    (FutureDate when the date is readable but ahead of `now`)."""
    now = now or utcnow()
    cleaned = _clean(text or "")
    if not cleaned:
        raise DateError("empty date string")
    try:
        dt = _parse(cleaned, now)
    except ValueError as exc:  # e.g. 31 اسفند in a non-leap year, month 13
        raise DateError(f"«{text}» is not a valid date: {exc}") from exc
    if dt is None:
        raise DateError(f"«{text}» is not a date format we know")
    if dt > now + FUTURE_TOLERANCE:
        raise FutureDate(f"«{text}» is in the future ({dt.isoformat()}); the page's date is wrong")
    return dt


def try_parse_date(text: str, *, now: datetime | None = None) -> datetime | None:
    """Like parse_date, but None instead of an error."""
    try:
        return parse_date(text, now=now)
    except DateError:
        return None
