"""Late finds: published before a digest's period, collected after the previous digest went out (review #1)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from digests.run import LATE_GRACE, make_briefs, make_morning_digest
from mediawatch.timeutil import tehran_at, utcnow
from storage import open_store
from tests.digests.dg_factory import item
from tests.digests.dg_storefix import populate

TUE, WED = date(2026, 11, 24), date(2026, 11, 25)
TUE7, WED7 = tehran_at(TUE, 7), tehran_at(WED, 7)


@pytest.fixture
def st(store_url: str):
    s = open_store(store_url)
    yield s
    s.close()


def _late(title: str, *, published_hours_before: float, fetched_at) -> object:
    it = item(title, concern=True, score=0.9, end=TUE7, hours_before_end=published_hours_before,
              cluster=f"c-{title}")
    return dataclasses.replace(it, fetched_at=fetched_at)


def test_an_article_collected_after_its_digest_reaches_the_next_one(st, tmp_path: Path) -> None:
    on_time = _late("زباله در بلوار گیلان", published_hours_before=6, fetched_at=TUE7 - timedelta(hours=2))
    populate(st, [on_time])
    tue = make_morning_digest(st, TUE, out_dir=tmp_path)
    assert [s.headline for s in tue.doc.top_concerns] == ["زباله در بلوار گیلان"]
    after = utcnow() + timedelta(minutes=1)  # collected the next night, after Tuesday's digest was made
    populate(st, [
        _late("آبگرفتگی خیابان سعدی", published_hours_before=2, fetched_at=after),  # 05:00 Tuesday
        _late("ریزش دیوار در ساغریسازان", published_hours_before=24 * 2, fetched_at=after),  # a source down 2 nights
        _late("خبر کهنه بایگانی", published_hours_before=LATE_GRACE.total_seconds() / 3600 + 5, fetched_at=after),
    ])
    wed = make_morning_digest(st, WED, out_dir=tmp_path)
    assert wed.period == (TUE7, WED7)
    heads = {s.headline for s in wed.doc.top_concerns}
    assert heads == {"آبگرفتگی خیابان سعدی", "ریزش دیوار در ساغریسازان"}  # not the on-time one, not the archive
    assert all(a.late for s in wed.doc.top_concerns for a in s.articles)
    data = json.loads((wed.paths[0].parent / "digest.json").read_text(encoding="utf-8"))
    assert all(a["late"] is True for s in data["top_concerns"] for a in s["articles"])
    assert "دیرتر رسیده" in (wed.paths[0].parent / "digest.html").read_text(encoding="utf-8")
    assert "دیرتر رسیده" in (wed.paths[0].parent / "digest.md").read_text(encoding="utf-8")
    [brief] = make_briefs(st, WED, out_dir=tmp_path, groups=["urban_services"])
    assert {a.title for a in brief.doc.articles if a.late} == heads
    # a re-run of Wednesday's digest shows the same late finds
    again = make_morning_digest(st, WED, out_dir=tmp_path)
    assert {s.headline for s in again.doc.top_concerns} == heads


def test_no_late_finds_without_a_previous_digest(st, tmp_path: Path) -> None:
    populate(st, [_late("آبگرفتگی خیابان سعدی", published_hours_before=2, fetched_at=utcnow())])
    wed = make_morning_digest(st, WED, out_dir=tmp_path)
    assert wed.doc.top_concerns == [] and wed.doc.figures.articles == 0


def test_store_late_items(st) -> None:
    t0 = utcnow()
    populate(st, [_late("الف", published_hours_before=2, fetched_at=t0 + timedelta(seconds=1)),
                  _late("ب", published_hours_before=2, fetched_at=t0 - timedelta(seconds=1)),
                  _late("پ", published_hours_before=-1, fetched_at=t0 + timedelta(seconds=1))])
    got = st.late_items(TUE7 - LATE_GRACE, TUE7, t0)
    assert [i.title for i in got] == ["الف"] and got[0].late is True
    assert all(not i.late for i in st.digest_items(TUE7 - LATE_GRACE, WED7))
