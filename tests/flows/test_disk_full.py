"""A full disk during `digest` or `collect`: one line naming the file and the fix, exit 3, no partial or
temporary file, and nothing stored before lost.

The disk is filled honestly for the command alone: it runs in a subprocess whose file-size limit
(RLIMIT_FSIZE, with SIGXFSZ ignored) makes every write past the limit fail with EFBIG, as a full disk
fails it with ENOSPC.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from storage import open_store

pytestmark = pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE (POSIX)")


def _run_with_file_limit(limit_bytes: int, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    env = {**os.environ, "MEDIAWATCH_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200",
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=limit, check=False)


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr[-3000:]
    assert "Traceback" not in stderr
    return lines[0]


def test_digest_on_a_full_disk_is_one_line_exit_3_and_leaves_no_file(tmp_path):
    db = tmp_path / "mw.sqlite"
    open_store(f"sqlite:///{db}").close()
    out = tmp_path / "archive"
    out.mkdir()
    # The digest's HTML embeds its font (>100 KB): it cannot be written under a 64 KB limit.
    r = _run_with_file_limit(64_000, "digest", "--db", f"sqlite:///{db}", "--out", str(out),
                             "--date", "2026-11-25", tmp_path=tmp_path)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr[-2000:]
    line = _one_error_line(r.stderr)
    assert "digest.html" in line and "no space" in line
    left = sorted(p.name for p in out.rglob("*") if p.is_file())
    assert not [n for n in left if n.endswith(".tmp") or n.startswith("digest.html")], left

    # The same command with room writes the digest: the failure was the disk, nothing else.
    ok = CliRunner().invoke(app, ["digest", "--db", f"sqlite:///{db}", "--out", str(out), "--date", "2026-11-25",
                                  "--format", "json"])
    assert ok.exit_code == 0, ok.output


def test_collect_on_a_full_disk_keeps_what_it_stored_and_says_so_in_one_line(demo_sites, tmp_path):
    sources = demo_sites.write_sources_toml(tmp_path / "sources.toml")
    db = tmp_path / "mw.sqlite"
    open_store(f"sqlite:///{db}").close()
    # Room for the database as it is plus a little of its write-ahead log: a few articles, not all.
    limit = db.stat().st_size + 160_000
    r = _run_with_file_limit(limit, "collect", "--sources", str(sources), "--db", f"sqlite:///{db}",
                             "--since", "2026-10-25", tmp_path=tmp_path)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr[-2000:]
    line = _one_error_line(r.stderr)
    assert str(db) in line and "full" in line

    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = c.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored > 0  # what was committed before the disk filled is kept

    # With room again, collecting completes the work without storing anything twice.
    again = CliRunner().invoke(app, ["collect", "--sources", str(sources), "--db", f"sqlite:///{db}",
                                     "--since", "2026-10-25"])
    assert again.exit_code == 0, again.output
    with sqlite3.connect(db) as c:
        total = c.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert c.execute("SELECT count(DISTINCT url) FROM articles").fetchone()[0] == total
        statuses = [s for (s,) in c.execute("SELECT status FROM runs WHERE kind = 'collect' ORDER BY id")]
    assert total > stored
    assert statuses[0] in ("failed", "interrupted") and statuses[-1] in ("ok", "partial")


def test_nightly_on_a_full_disk_says_so_in_one_line_before_prefect_starts(tmp_path):
    """Without the check, Prefect's temporary server cannot write its database and the night waits out the
    server's start-up timeout, then prints ~2,000 lines (found by bench/soak.py)."""
    db = tmp_path / "mw.sqlite"
    open_store(f"sqlite:///{db}").close()
    r = _run_with_file_limit(256_000, "nightly", "--db", f"sqlite:///{db}", tmp_path=tmp_path)
    assert r.returncode == 3, r.stdout[-2000:] + r.stderr[-2000:]
    line = _one_error_line(r.stderr)
    assert "data folder" in line and "no space" in line
    assert not list((tmp_path / "data").glob(".*.tmp")) and not list((tmp_path / "data").glob(".mediawatch-room*"))
