"""The shared time helpers: Jalali dates, Persian digits, Tehran time, the Saturday week."""

from datetime import UTC, date, datetime

import pytest

from mediawatch.timeutil import (
    fa_digits,
    format_jalali_date,
    format_jalali_datetime,
    jalali_iso,
    latin_digits,
    parse_date_arg,
    tehran_at,
    week_start,
)


def test_digits_round_trip():
    assert fa_digits(1405) == "۱۴۰۵"
    assert latin_digits("۱۴۰۵/٠٩/05") == "1405/09/05"


def test_jalali_formatting_uses_tehran_time():
    # 22:00 UTC on 25 Nov is already 26 Nov (5 Azar) in Tehran (UTC+3:30).
    dt = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert format_jalali_date(dt) == "۵ آذر ۱۴۰۵"
    assert format_jalali_date(dt, weekday=True) == "پنجشنبه ۵ آذر ۱۴۰۵"
    assert format_jalali_datetime(dt) == "۵ آذر ۱۴۰۵، ساعت ۰۱:۳۰"
    assert jalali_iso(date(2026, 11, 26)) == "1405-09-05"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-11-26", date(2026, 11, 26)), ("1405-09-05", date(2026, 11, 26)), ("۱۴۰۵/۰۹/۰۵", date(2026, 11, 26))],
)
def test_parse_date_arg_accepts_gregorian_and_jalali(text, expected):
    assert parse_date_arg(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "1405-13-01", "2026-02-30"])
def test_parse_date_arg_rejects_with_a_clear_message(text):
    with pytest.raises(ValueError, match="date"):
        parse_date_arg(text)


def test_week_starts_on_saturday():
    assert week_start(date(2026, 11, 26)) == date(2026, 11, 21)  # Thursday → the Saturday before
    assert week_start(date(2026, 11, 21)) == date(2026, 11, 21)


def test_tehran_at_is_aware_utc():
    assert tehran_at(date(2026, 11, 26), 7) == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)
