"""Errors an operator meets: one line naming the cause and the fix, the policy's exit code, nothing created,
and for `nightly` all checked before Prefect starts (flows/exitcodes.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import exitcodes
from flows.cli import app
from mediawatch.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return " ".join(lines[0].split())


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("MEDIAWATCH_RECIPIENTS", "notjson", "not valid JSON"),
    ("MEDIAWATCH_MIN_HOST_INTERVAL_S", "abc", "valid number"),
    ("MEDIAWATCH_REQUEST_TIMEOUT_S", "-1", "greater than 0"),
    ("MEDIAWATCH_MIN_HOST_INTERVAL_S", "0", "greater than 0"),
    ("MEDIAWATCH_GLOBAL_CONCURRENCY", "0", "greater than or equal to 1"),
    ("MEDIAWATCH_BACKOFF_BASE_S", "-2", "greater than or equal to 0"),
])
def test_an_impossible_setting_is_refused_at_start_with_its_name(variable, value, said, sqlite_url):
    r = _run("db", "info", "--db", sqlite_url, env={variable: value})
    assert r.exit_code == exitcodes.USAGE
    line = _one_line(r.output)
    assert variable in line and said in line and ".env" in line


def test_an_env_file_saved_in_windows_1256_is_named_with_its_line(sqlite_url, tmp_path, monkeypatch):
    """A .env edited in a Persian Windows editor (windows-1256, not UTF-8): one line naming the file and the
    line and saying how to save it, exit 2 — it was a 240-line traceback and exit 1."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes("MEDIAWATCH_SMTP_HOST=mail.rasht.ir\nMEDIAWATCH_MAIL_FROM=رسانه\n".encode("cp1256"))
    r = _run("db", "info", "--db", sqlite_url)
    assert r.exit_code == exitcodes.USAGE, r.output
    line = _one_line(r.output)
    assert f"{tmp_path / '.env'}, line 2: not UTF-8" in line and "save the file as UTF-8" in line


def test_a_bad_setting_does_not_hide_help():
    r = _run("db", "info", "--help", env={"MEDIAWATCH_RECIPIENTS": "notjson"})
    assert r.exit_code == 0 and "Usage" in r.output


def test_a_database_url_that_is_not_one_is_a_configuration_error():
    r = _run("db", "info", "--db", "notaurl")
    assert r.exit_code == exitcodes.USAGE
    line = _one_line(r.output)
    assert "'notaurl'" in line and "sqlite:///" in line and "MEDIAWATCH_DB_URL" in line


@pytest.fixture
def no_flow(monkeypatch):
    """Record whether `nightly` got as far as starting Prefect or the flow (it must not, on these errors)."""
    calls: list[str] = []
    monkeypatch.setattr("flows.lifecycle.start_prefect_server", lambda: calls.append("prefect"))

    def fake_nightly(**kwargs):
        calls.append(f"flow {kwargs.get('source_ids')}")
        raise AssertionError("stop here: the flow itself is tested elsewhere")

    monkeypatch.setattr("flows.nightly.nightly", fake_nightly)
    return calls


def test_nightly_with_postgresql_down_is_one_line_and_exit_3_before_prefect(no_flow):
    r = _run("nightly", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert r.exit_code == exitcodes.JOB_FAILED
    line = _one_line(r.output)
    assert "cannot reach the database" in line and "127.0.0.1:1" in line and "PostgreSQL server" in line
    assert no_flow == []


def test_nightly_with_an_unknown_source_is_a_usage_error_before_prefect(no_flow, sqlite_url):
    r = _run("nightly", "--source", "nosuch", "--db", sqlite_url)
    assert r.exit_code == exitcodes.USAGE
    assert "nosuch" in _one_line(r.output)
    assert no_flow == []


def test_nightly_names_a_disabled_source_it_was_asked_for_and_collects_it(no_flow, sqlite_url, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nid = "on"\nname = "روشن"\nhomepage = "https://on.example"\nkind = "news_site"\n'
        'scope = "gilan"\nfeeds = ["https://on.example/rss"]\n\n'
        '[[sources]]\nid = "off"\nname = "خاموش"\nhomepage = "https://off.example"\nkind = "news_site"\n'
        'scope = "gilan"\nfeeds = ["https://off.example/rss"]\nenabled = false\n', encoding="utf-8")
    r = _run("nightly", "--source", "off", "--sources", str(sources), "--db", sqlite_url)
    assert "off is disabled" in " ".join(r.output.split())
    assert no_flow == ["prefect", "flow ['off']"]  # checked first, then run as asked


@pytest.mark.parametrize("command", [["db", "info"], ["search", "رشت"], ["export", "--out", "{tmp}/e.csv"],
                                     ["digest", "--out", "{tmp}/d"], ["review-queue"], ["process"]])
def test_a_corrupt_database_gives_the_same_code_from_every_command(command, tmp_path):
    bad = tmp_path / "broken.sqlite"
    bad.write_bytes(b"this is a text file, not SQLite\n" * 200)
    r = _run(*[a.replace("{tmp}", str(tmp_path)) for a in command], "--db", f"sqlite:///{bad}")
    assert r.exit_code == exitcodes.JOB_FAILED, r.output
    assert "broken.sqlite" in _one_line(r.output).replace(" ", "")


@pytest.fixture
def read_only_db(sqlite_url):
    """The test's database file made read-only (0444) in a read-only folder (0555)."""
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        extra.unlink(missing_ok=True)
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        yield path
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)


@pytest.mark.parametrize("command", [["db", "info"], ["db", "info", "--json"], ["search", "آسفالت"],
                                     ["export", "--format", "jsonl", "--out", "{out}/e.jsonl"], ["review-queue"],
                                     ["users", "list"], ["report", "monthly", "--month", "1405-09"]])
def test_read_only_commands_work_on_a_read_only_file_and_write_nothing(command, read_only_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    before = (sorted(os.listdir(read_only_db.parent)), read_only_db.read_bytes(), read_only_db.stat().st_mtime_ns)
    r = _run(*[a.replace("{out}", str(out)) for a in command], "--db", f"sqlite:///{read_only_db}")
    assert r.exit_code == 0, r.output
    assert "server" not in r.output
    after = (sorted(os.listdir(read_only_db.parent)), read_only_db.read_bytes(), read_only_db.stat().st_mtime_ns)
    assert after == before
    assert not stat.S_IMODE(read_only_db.stat().st_mode) & 0o222


@pytest.mark.parametrize("command", [["db", "info"], ["search", "x"], ["export", "--out", "{tmp}/e.csv"],
                                     ["review-queue"], ["users", "list"]])
def test_a_mistyped_path_for_a_read_only_command_is_an_error_and_creates_nothing(command, tmp_path):
    typo = tmp_path / "no-such-dir" / "mediawtach.sqlite"
    r = _run(*[a.replace("{tmp}", str(tmp_path)) for a in command], "--db", f"sqlite:///{typo}")
    assert r.exit_code == exitcodes.USAGE
    line = _one_line(r.output)
    assert "no database at" in line and "mediawtach.sqlite" in line.replace(" ", "")
    assert "server" not in line
    assert not typo.parent.exists() and not (tmp_path / "e.csv").exists()
