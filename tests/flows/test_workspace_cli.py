"""`mediawatch users …`, `mediawatch report monthly`, `mediawatch web` argument checks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from storage import open_store
from web.auth import verify_password


def _run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_users_add_list_disable(sqlite_url):
    r = _run("users", "add", "sara", "--role", "chair", "--group", "urban_services", "--password-stdin",
             "--db", sqlite_url, input="a long enough password\n")
    assert r.exit_code == 0, r.output
    assert "a long enough password" not in r.output
    store = open_store(sqlite_url)
    try:
        user = store.workspace.user("sara")
        assert user.role == "chair" and user.group == "urban_services"
        assert verify_password(user, "a long enough password") and not verify_password(user, "wrong")
    finally:
        store.close()
    r = _run("users", "list", "--db", sqlite_url)
    assert r.exit_code == 0 and "sara" in r.output and "urban_services" in r.output
    assert _run("users", "disable", "sara", "--db", sqlite_url).exit_code == 0
    r = _run("users", "add", "sara", "--role", "viewer", "--password-stdin", "--db", sqlite_url,
             input="another long password\n")
    assert r.exit_code == 2 and "exists already" in r.output
    r = _run("users", "disable", "nobody", "--db", sqlite_url)
    assert r.exit_code == 2 and "no user" in r.output


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "boss"], "Invalid value for '--role'"),
    (["--role", "chair"], "A chair needs --group"),
    (["--role", "viewer", "--group", "urban_services"], "Only a chair"),
    (["--role", "viewer"], "--password-stdin"),
])
def test_users_add_says_what_is_wrong(sqlite_url, args, message):
    r = _run("users", "add", "x", *args, "--db", sqlite_url)
    assert r.exit_code == 2 and message in r.output


def test_users_add_refuses_a_short_password(sqlite_url):
    r = _run("users", "add", "x", "--role", "viewer", "--password-stdin", "--db", sqlite_url, input="short\n")
    assert r.exit_code == 2 and "too short" in r.output


def test_report_monthly_formats(sqlite_url, tmp_path):
    r = _run("report", "monthly", "--month", "1405-09", "--format", "json", "--db", sqlite_url)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["month"] == "1405-09" and len(data["rows"]) == 5
    out = tmp_path / "r.html"
    assert _run("report", "monthly", "--month", "۱۴۰۵/۰۹", "--format", "html", "--out", str(out),
                "--db", sqlite_url).exit_code == 0
    assert 'dir="rtl"' in out.read_text(encoding="utf-8")
    assert _run("report", "monthly", "--month", "1405-13", "--db", sqlite_url).exit_code == 2
    assert _run("report", "monthly", "--format", "pdf", "--db", sqlite_url).exit_code == 2


def test_report_monthly_format_is_a_choice_listed_in_help():
    from web.report import FORMATS

    help_text = CliRunner().invoke(app, ["report", "monthly", "--help"], env={"COLUMNS": "200"}).output
    assert "html|md|json" in help_text
    assert set(FORMATS) == {"html", "md", "json"}  # the choice and the renderers agree
    typo = CliRunner().invoke(app, ["report", "monthly", "--format", "mdd"], env={"COLUMNS": "200"})
    assert typo.exit_code == 2 and "Invalid value for '--format'" in typo.output


def test_web_refuses_zero_workers(sqlite_url):
    r = _run("web", "--workers", "0", "--db", sqlite_url)
    assert r.exit_code == 2 and "--workers" in r.output
