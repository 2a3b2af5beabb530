"""Finding and ending every process a test started, orphans included.

A test puts a unique tag in the environment of each process it starts; children inherit it (Prefect's
workers start flow runs in sessions of their own, so a process group would miss them), and /proc shows
it even after a child has been re-parented to init.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

TAG_VAR = "MEDIAWATCH_TEST_PROCESS_TAG"


def tagged_pids(tag: str) -> set[int]:
    """Live processes whose environment carries TAG_VAR=tag (zombies have no environment and don't count)."""
    needle = f"{TAG_VAR}={tag}".encode()
    found: set[int] = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if needle in (d / "environ").read_bytes().split(b"\0"):
                found.add(int(d.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def kill_tagged(tag: str, also: Iterable[int] = (), grace_s: float = 10.0) -> set[int]:
    """SIGTERM every tagged process (and `also`), SIGKILL what is left after grace_s; the survivors."""
    pids = tagged_pids(tag) | set(also)
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            pids = {p for p in pids if _alive(p)} | tagged_pids(tag)
            if not pids:
                return set()
            time.sleep(0.2)
    return pids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state != b"Z"
    except OSError:
        return False
