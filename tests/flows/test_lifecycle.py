"""No leftovers: a killed `mediawatch nightly` leaves no process behind, and its run is marked interrupted.

A real `mediawatch nightly` in a subprocess (its own session) against the demo sites on loopback, a real
SQLite file, Prefect's real temporary API server; killed once it is collecting.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# Starting the CLI and Prefect's temporary server takes 10-40 s on 2 busy cores.
START_DEADLINE_S = 150
# After the kill, the kernel delivers PR_SET_PDEATHSIG at once; allow for a loaded machine.
GONE_DEADLINE_S = 15


def _proc_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    state = _proc_status(pid).get("State", "")
    return bool(state) and not state.startswith(("Z", "X"))


def _session_members(sid: int) -> list[int]:
    """Live processes whose session is `sid` (the killed command and everything it started)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid and _alive(int(entry.name)):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def _children(pid: int) -> list[tuple[int, str]]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _proc_status(int(entry.name)).get("PPid", "").strip() == str(pid):
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            kids.append((int(entry.name), cmd))
    return kids


def _run_status(db: Path) -> list[tuple[int, str]]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            return c.execute("SELECT id, status FROM runs WHERE kind = 'nightly' ORDER BY id").fetchall()
    except sqlite3.Error:  # not created yet
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
def test_sigkill_mid_night_leaves_no_process_and_the_next_start_marks_the_run_interrupted(demo_sites, tmp_path):
    sources = demo_sites.write_sources_toml(tmp_path / "sources.toml")
    db = tmp_path / "mw.sqlite"
    env = {**os.environ, "MEDIAWATCH_DATA_DIR": str(tmp_path / "data"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)  # the temporary server, as on a machine without a Prefect server
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "nightly", "--sources", str(sources), "--db", f"sqlite:///{db}",
         "--since", "2026-10-25"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        server = None
        while time.monotonic() < deadline and proc.poll() is None:
            server = server or next((p for p, cmd in _children(proc.pid) if "prefect.server.api.server" in cmd), None)
            if server and any(status == "running" for _, status in _run_status(db)):
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the night ended before it could be killed"
        assert server is not None, "Prefect's temporary API server was not started as a child"
        assert [s for _, s in _run_status(db)] == ["running"], "no nightly run started in time"

        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + GONE_DEADLINE_S
        while time.monotonic() < deadline and _session_members(proc.pid):
            time.sleep(0.1)
        assert not _alive(server), "Prefect's temporary API server outlived the killed command"
        assert _session_members(proc.pid) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pid in _session_members(proc.pid):  # never leave one behind, even when the test fails
            os.kill(pid, signal.SIGKILL)

    from storage import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        (killed_id, _), = _run_status(db)
        store.start_run("nightly", {"sources": []})  # the next start
        assert dict(_run_status(db))[killed_id] == "interrupted"
        assert store.last_run("nightly").status == "running"  # the new run is untouched: its process lives
    finally:
        store.close()
