"""Export formats and SQLite → PostgreSQL copy."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest

from mediawatch.records import Cluster, Domain, FetchEvent, SourceReport
from storage import open_store
from storage.copy import copy_database
from storage.export import COLUMNS, write_export
from tests.storage.factory import SOURCES, T0, analysis, article


def _fill(store):
    store.sync_sources(SOURCES)
    run = store.start_run("nightly")
    ids = store.add_articles([article(1, title="آسفالت خیابان‌های رشت", body="متن «نقل‌قول»,\nبا ویرگول و\"گیومه\""),
                              article(2, published_at=T0 - timedelta(days=40)),
                              article(3, source="rasht_news", published_at=None)], run_id=run)
    store.bind_run(run).log_fetch(FetchEvent("gilan_now", article(1).url, 200, "new"))
    store.finish_run(run, status="ok", reports=[SourceReport("gilan_now", found=2, new=2)])
    store.save_analyses([(ids[0], analysis(domain=Domain.civil_works_traffic, concern=True)),
                         (ids[1], analysis())])
    store.save_clusters([Cluster(key="k", representative_id=ids[0], member_ids=(ids[0], ids[1]),
                                 duplicate_of={ids[1]: ids[0]})])
    store.add_correction(ids[1], field="concern", value=True, who="Ali")
    store.save_digest("daily", group=None, period_start=T0, period_end=T0, content={"x": "ی"}, paths=["a"])
    store.save_feed_validators("https://gilan-now.example/rss", "e", None)
    return ids


def test_csv_has_bom_and_round_trips(store, tmp_path):
    ids = _fill(store)
    out = tmp_path / "x.csv"
    assert write_export(store, "csv", out) == 3
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert list(rows[0]) == list(COLUMNS)
    assert [int(r["id"]) for r in rows] == ids
    assert rows[0]["title"] == "آسفالت خیابان‌های رشت" and rows[0]["body"] == article(1, body="متن «نقل‌قول»,\nبا ویرگول و\"گیومه\"").body
    assert rows[0]["domain"] == "civil_works_traffic" and rows[0]["published_jalali"] == "1405-09-04"
    assert rows[2]["domain"] == "" and rows[1]["is_duplicate"] == "True"
    assert write_export(store, "csv", tmp_path / "d.csv", domain="civil_works_traffic") == 1
    assert write_export(store, "csv", tmp_path / "s.csv", since=T0 - timedelta(days=1)) == 2


def test_jsonl_and_xlsx(store, tmp_path):
    _fill(store)
    jl = tmp_path / "x.jsonl"
    assert write_export(store, "jsonl", jl) == 3
    rows = [json.loads(line) for line in jl.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["title"] == "آسفالت خیابان‌های رشت" and rows[0]["places"] == ["رشت"]
    assert rows[2]["published_at"] is None and rows[2]["fetched_at"].startswith("2026-11-25T06:00:00")

    from openpyxl import load_workbook

    xl = tmp_path / "x.xlsx"
    assert write_export(store, "xlsx", xl, domain="urban_services") == 1
    ws = load_workbook(xl, read_only=True)["articles"]
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    assert table[0] == list(COLUMNS) and len(table) == 2
    assert table[1][COLUMNS.index("domain")] == "urban_services"
    assert table[1][COLUMNS.index("authors")] == "خبرنگار"


DANGEROUS = ('=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1")


def test_export_neutralises_formulas(store, tmp_path):
    """Scraped text starting with = + - @ tab or CR comes out as inert text in CSV and XLSX (review #3)."""
    from openpyxl import load_workbook

    store.sync_sources(SOURCES)
    store.add_articles([article(n, title=t, body="-متن") for n, t in enumerate(DANGEROUS, 1)])
    out = tmp_path / "x.csv"
    write_export(store, "csv", out)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert [r["title"] for r in rows] == ["'" + t for t in DANGEROUS]
    assert all(r["body"] == "'-متن" for r in rows)
    # Every field is quoted, so a spreadsheet splitting on «;» or a tab cannot cut «x;=cmd» into a formula.
    store.add_articles([article(len(DANGEROUS) + 1, title="عنوان;=HYPERLINK(1)\tدوم", body="متن")])
    write_export(store, "csv", out)
    last = out.read_text(encoding="utf-8-sig").splitlines()[-1]
    assert '"عنوان;=HYPERLINK(1)\tدوم"' in last
    assert last.startswith('"') and last.endswith('"') and last.count('","') == len(COLUMNS) - 1
    xl = tmp_path / "x.xlsx"
    write_export(store, "xlsx", xl)
    ws = load_workbook(xl)["articles"]
    col = COLUMNS.index("title") + 1
    cells = [ws.cell(row=i, column=col) for i in range(2, len(DANGEROUS) + 2)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == ["'" + t for t in DANGEROUS]


@pytest.mark.postgres
def test_copy_sqlite_to_postgresql_is_complete_and_idempotent(sqlite_url, pg_url):
    src, dst = open_store(sqlite_url), open_store(pg_url)
    try:
        ids = _fill(src)
        counts = src.table_counts()
        added = copy_database(src, dst)
        assert added == counts
        assert dst.table_counts() == counts
        assert copy_database(src, dst) == dict.fromkeys(counts, 0)  # rerun adds nothing
        assert dst.table_counts() == counts
        # the same answers from the copy
        day = (T0 - timedelta(days=1), T0 + timedelta(days=1))
        assert dst.digest_items(*day) == src.digest_items(*day)
        assert dst.article(ids[0]) == src.article(ids[0])
        assert [h.article_id for h in dst.search("خیابانهای")] == [ids[0]]
        assert dst.last_run("nightly") == src.last_run("nightly")
        assert list(dst.corrections_as_labels()) == list(src.corrections_as_labels())
        assert dst.last_digest("daily").content == {"x": "ی"}
        # ids continue after the copied ones
        new = dst.add_article(article(99))
        assert new is not None and new > max(ids)
    finally:
        src.close()
        dst.close()
