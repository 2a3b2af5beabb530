"""The storage commands as a person runs them (SQLite files; PostgreSQL is covered by the API tests)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from storage import open_store
from storage.db import SCHEMA_HEAD
from tests.storage.factory import SOURCES, T0, analysis, article

runner = CliRunner()


@pytest.fixture
def app():
    """The real root app: its error handling (one line, the policy's exit code) is part of what is tested."""
    from flows.cli import app

    return app


@pytest.fixture
def db(sqlite_url):
    s = open_store(sqlite_url)
    s.sync_sources(SOURCES)
    ids = s.add_articles([article(1, title="آسفالت خیابان‌های رشت", body="کار آسفالت انجام می‌شود."),
                          article(2, title="جشنواره", body="برنامه فرهنگی")])
    s.save_analyses([(ids[0], analysis())])
    s.close()
    return sqlite_url


def run(app, *args, **kw):
    return runner.invoke(app, list(args), **kw)


def test_every_command_has_help(app):
    for args in (["db", "--help"], ["db", "upgrade", "--help"], ["db", "copy", "--help"], ["db", "info", "--help"],
                 ["search", "--help"], ["export", "--help"], ["corrections", "add", "--help"],
                 ["corrections", "export", "--help"]):
        r = run(app, *args)
        assert r.exit_code == 0, (args, r.output)
        assert "--db" in r.output or args == ["db", "--help"], (args, r.output)


def test_db_upgrade_info_and_env(app, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'new' / 'mw.sqlite'}"
    r = run(app, "db", "upgrade", "--db", url)
    assert r.exit_code == 0 and f"(empty) → {SCHEMA_HEAD}" in r.output
    assert f"already at schema revision {SCHEMA_HEAD}" in run(app, "db", "upgrade", "--db", url).output
    from mediawatch.settings import get_settings

    monkeypatch.setenv("MEDIAWATCH_DB_URL", url)
    get_settings.cache_clear()
    try:
        r = run(app, "db", "info")
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0 and f"schema revision: {SCHEMA_HEAD}" in r.output and "articles" in r.output


def test_db_info_json_is_one_object_on_stdout(app, db):
    r = run(app, "db", "info", "--json", "--db", db)
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["backend"] == "sqlite" and info["schema_revision"] == SCHEMA_HEAD
    assert info["tables"]["articles"] == 2 and info["tables"]["sources"] == len(SOURCES)


def test_search_json_is_an_array_of_hits_on_stdout(app, db):
    r = run(app, "search", "آسفالت", "--json", "--db", db)
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout)
    assert [h["title"] for h in hits] == ["آسفالت خیابان‌های رشت"]
    assert hits[0]["url"].endswith("news/1") and hits[0]["source_name"] == "گیلان امروز"
    assert hits[0]["domain"] == "urban_services" and hits[0]["seen_at"].startswith("2026-")
    none = run(app, "search", "هیچ‌چیز", "--json", "--db", db)
    assert none.exit_code == 0 and json.loads(none.stdout) == []


def test_search_prints_title_outlet_jalali_date_url(app, db):
    r = run(app, "search", "می شود", "--db", db)
    assert r.exit_code == 0, r.output
    assert "آسفالت" in r.output and "گیلان امروز" in r.output and "۴ آذر ۱۴۰۵" in r.output
    assert "news/1" in r.output
    assert "No article matches" in run(app, "search", "هیچ‌چیز", "--db", db).output
    assert "news/1" in run(app, "search", "آسفالت", "--domain", "urban_services", "--since", "1405-09-01",
                           "--db", db).output
    bad = run(app, "search", "x", "--since", "yesterday", "--db", db)
    assert bad.exit_code == 2 and "not a date" in bad.output
    bad = run(app, "search", "x", "--domain", "parks", "--db", db)
    assert bad.exit_code == 2 and "Invalid value for '--domain'" in bad.output


def test_export_formats(app, db, tmp_path):
    for fmt in ("csv", "jsonl", "xlsx"):
        out = tmp_path / f"e.{fmt}"
        r = run(app, "export", "--format", fmt, "--out", str(out), "--since", "2026-11-01", "--db", db)
        assert r.exit_code == 0 and "wrote 2 articles" in r.output, r.output
        assert out.stat().st_size > 0
    assert (tmp_path / "e.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    bad = run(app, "export", "--format", "pdf", "--db", db)
    assert bad.exit_code == 2 and "Invalid value for '--format'" in bad.output and "'xlsx'" in bad.output


def test_corrections_add_and_export(app, db, tmp_path):
    r = run(app, "corrections", "add", "1", "--field", "domain", "--value", "civil_works_traffic",
            "--who", "مریم", "--db", db)
    assert r.exit_code == 0 and "recorded" in r.output, r.output
    bad = run(app, "corrections", "add", "1", "--field", "domain", "--value", "parks", "--who", "x", "--db", db)
    assert bad.exit_code == 2 and "must be one of" in bad.output
    missing = run(app, "corrections", "add", "77", "--field", "rasht", "--value", "true", "--who", "x", "--db", db)
    assert missing.exit_code == 2 and "no article with id 77" in missing.output
    out = tmp_path / "labels.jsonl"
    assert run(app, "corrections", "export", "--out", str(out), "--db", db).exit_code == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["domain"], r["who"]) for r in rows] == [("mw-1", "civil_works_traffic", "مریم")]


def test_db_copy_between_files_is_idempotent(app, db, tmp_path):
    to = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    r = run(app, "db", "copy", "--to", to, "--db", db)
    assert r.exit_code == 0 and "articles +2" in r.output, r.output
    r = run(app, "db", "copy", "--to", to, "--db", db)
    assert r.exit_code == 0 and "articles +0" in r.output
    s = open_store(to)
    try:
        assert s.count_articles() == 2 and s.search("جشنواره")[0].url == article(2).url
        assert len(s.digest_items(T0.replace(hour=0), T0.replace(hour=23))) == 1
    finally:
        s.close()


def test_unreachable_database_is_a_clear_error(app):
    r = run(app, "search", "x", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert r.exit_code == 3 and "cannot reach the database" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("content", [b"this is a text file, not SQLite\n" * 200, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_corrupt_database_file_is_a_clear_error(app, tmp_path, content):
    """A corrupt or non-SQLite file names the file and says what to do, no traceback (review #16)."""
    bad = tmp_path / "broken.sqlite"
    bad.write_bytes(content)
    r = run(app, "search", "رشت", "--db", f"sqlite:///{bad}")
    assert r.exit_code == 3  # storage unusable: the same code from every command (flows/exitcodes.py)
    out = " ".join(r.output.split())
    assert str(bad) in out.replace(" ", "") or "broken.sqlite" in out
    assert "backup" in out and "Traceback" not in r.output
    from storage import open_store
    from storage.errors import StoreError

    with pytest.raises(StoreError, match="not a readable mediawatch database"):
        open_store(f"sqlite:///{bad}")


def test_search_shows_markup_in_titles_as_text(app, sqlite_url):
    """A scraped title with Rich markup ("[/b]") is printed as it is, not parsed (review #4)."""
    s = open_store(sqlite_url)
    s.sync_sources(SOURCES)
    s.add_articles([article(7, title="خبر [/b] شهرداری [red]رشت", body="متن")])
    s.close()
    r = run(app, "search", "شهرداری", "--db", sqlite_url)
    assert r.exit_code == 0, r.output
    assert "[/b]" in r.output and "[red]رشت" in r.output
    r = run(app, "search", "[/x]", "--db", sqlite_url)
    assert r.exit_code == 0 and "[/x]" in r.output, r.output
