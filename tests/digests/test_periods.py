"""Which period a morning digest covers when digests are regenerated or re-run (review #6, #18)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digests.run import make_briefs, make_morning_digest
from mediawatch.timeutil import tehran_at
from storage import open_store

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)


def _at7(day: date):
    return tehran_at(day, 7)


@pytest.fixture
def st(store_url: str):
    s = open_store(store_url)
    yield s
    s.close()


def _digest(st, day: date, out: Path):
    return make_morning_digest(st, day, out_dir=out, formats=("json",))


def test_regenerating_an_old_digest_does_not_move_the_next_start(st, tmp_path: Path) -> None:
    _digest(st, MON, tmp_path)
    _digest(st, TUE, tmp_path)
    old = _digest(st, date(2026, 11, 16), tmp_path)
    assert old.period == (_at7(date(2026, 11, 15)), _at7(date(2026, 11, 16)))
    assert _digest(st, WED, tmp_path).period == (_at7(TUE), _at7(WED))
    assert st.last_digest("morning").period_end == _at7(WED)


def test_a_same_day_rerun_covers_what_the_first_run_did(st, tmp_path: Path) -> None:
    _digest(st, MON, tmp_path)  # Tuesday's digest was missed
    first = _digest(st, WED, tmp_path)
    assert first.period == (_at7(MON), _at7(WED))
    _digest(st, TUE, tmp_path)  # made late, after Wednesday's
    again = _digest(st, WED, tmp_path)
    assert again.period == first.period
    [brief] = make_briefs(st, WED, out_dir=tmp_path, groups=["urban_services"], formats=("json",))
    assert brief.period == first.period


def test_rerunning_a_digest_keeps_one_row(st, tmp_path: Path) -> None:
    first = _digest(st, TUE, tmp_path)
    again = _digest(st, TUE, tmp_path)
    make_briefs(st, TUE, out_dir=tmp_path, formats=("json",))
    make_briefs(st, TUE, out_dir=tmp_path, formats=("json",))
    assert again.digest_id == first.digest_id
    counts = st.table_counts()
    assert counts["digests"] == 6  # one morning digest and five briefs
    assert st.last_digest("morning").paths == tuple(str(p) for p in again.paths)
