"""End to end: `mediawatch demo` from the command line, checked against what the demo sites published."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 25)  # a Wednesday: the digest covers Tuesday's news


def _run_demo(out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo", "--out", str(out), "--day", DAY.isoformat()],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    first = _run_demo(out)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return out, first


def test_demo_exits_0_and_says_its_broken_outlets_are_broken_on_purpose(demo_run):
    """The demo sites break a few pages on purpose: reported, not fatal, and said to be deliberate."""
    _, proc = demo_run
    out = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    assert "broken on purpose" in out and "nothing to fix" in out
    assert not [line for line in proc.stdout.splitlines() if line.startswith("! ")]  # nothing failed otherwise


def test_demo_digest_names_concerns_with_links_in_persian(demo_run):
    from demo.server import DemoSites

    out, proc = demo_run
    digest_dir = next((out / "digests").iterdir())
    html = (digest_dir / "digest.html").read_text(encoding="utf-8")
    data = json.loads((digest_dir / "digest.json").read_text(encoding="utf-8"))
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "آذر ۱۴۰۵" in html  # Jalali date, Persian digits
    assert str(out / "digests") in proc.stdout

    sites = DemoSites(reference_day=DAY)
    expected = {e.url: e for e in sites.expected()}
    # Each top concern links to demo articles, and most of those were written as concerns.
    concerns = data["top_concerns"]
    assert concerns
    linked = [link for c in concerns for link in c["links"]]
    assert all(_path(u) in {_path(e) for e in expected} for u in linked)
    concern_links = [u for u in linked if expected[_match(u, expected)].labels.concern]
    assert len(concern_links) >= 0.8 * len(linked)
    for link in linked[:5]:
        assert link in html


def test_demo_shows_the_alert_the_burst_raised_first_in_the_digest(demo_run):
    from demo.server import DemoSites

    out, proc = demo_run
    assert "Early-warning alerts raised by the pulse" in proc.stdout and "spread" in proc.stdout
    digest_dir = next((out / "digests").iterdir())
    data = json.loads((digest_dir / "digest.json").read_text(encoding="utf-8"))
    (alert,) = data["alerts"]  # the demo's one burst, and nothing else in its 24 days of news
    assert alert["rule"] == "spread" and "سعدی" in alert["headline"]
    burst = {e.url for e in DemoSites(reference_day=DAY).expected() if e.story == "w4-s01"}
    assert {_path(a["url"]) for a in alert["articles"]} <= {_path(u) for u in burst}
    assert len(alert["articles"]) >= 4
    html = (digest_dir / "digest.html").read_text(encoding="utf-8")
    assert html.index('id="alerts"') < html.index('id="top-concerns"')


def test_demo_prepares_the_workspace_with_a_printed_password(demo_run):
    import re

    from storage import open_store
    from web.auth import verify_password

    out, proc = demo_run
    assert f"mediawatch web --db sqlite:///{out / 'demo.sqlite'}" in proc.stdout
    password = re.search(r"log in as demo, password: (\S+)", proc.stdout).group(1)
    store = open_store(f"sqlite:///{out / 'demo.sqlite'}")
    try:
        user = store.workspace.user("demo")
        assert user.role == "secretariat" and verify_password(user, password)
    finally:
        store.close()


def test_demo_twice_duplicates_nothing(demo_run):
    out, _ = demo_run
    db = out / "demo.sqlite"

    def count() -> int:
        with sqlite3.connect(db) as con:
            return con.execute("select count(*) from articles").fetchone()[0]

    before = count()
    again = _run_demo(out)
    assert again.returncode == 0, again.stderr[-3000:]
    assert count() == before > 100


def _path(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return unquote(parts.path) + ("?" + parts.query if parts.query else "")


def _match(url: str, expected: dict) -> str:
    by_path = {_path(u): u for u in expected}
    return by_path[_path(url)]
