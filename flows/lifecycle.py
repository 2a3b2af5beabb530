"""No leftovers: Prefect's temporary API server dies with the command that started it.

Without a Prefect server (`PREFECT_API_URL` unset), a flow run starts a temporary API server: Prefect's
`SubprocessASGIServer` runs `python -m uvicorn …` as a child process and stops it from an `atexit`
hook. A SIGKILL (or a SIGTERM with Python's default handler) skips `atexit`, so the child — about
200 MB, listening on loopback — was left running, orphaned. Two guards close that:

1. the child is started with `PR_SET_PDEATHSIG` (Linux): the kernel kills it when its parent dies,
   however the parent dies. The signal follows the *thread* that started the child, so
   `start_prefect_server()` starts the server from the main thread before any flow runs (Prefect
   would otherwise start it lazily from whichever thread first needs it, possibly a short-lived one);
2. SIGTERM becomes an exception (`Terminated`) in the main thread, so `finally` blocks record the run
   as interrupted and `atexit` stops the server the ordinary way; the exit code is 143 (128 + 15).

Measured (tests/flows/test_lifecycle.py): SIGKILL of `mediawatch demo` mid-run leaves no process;
before this module the uvicorn child was re-parented to init and kept running.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import types
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """SIGTERM arrived: unwind (finally blocks, atexit) and exit with 143."""

    def __init__(self) -> None:
        super().__init__(EXIT_TERMINATED)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def exit_on_sigterm() -> None:
    """SIGTERM raises `Terminated` in the main thread instead of killing the process outright."""
    with contextlib.suppress(ValueError):  # not the main thread (e.g. a test runner's worker): leave it be
        signal.signal(signal.SIGTERM, _raise_terminated)


def _die_with_parent_hook() -> Any:
    """A preexec_fn for Popen: the child gets SIGKILL when the thread that started it ends."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl  # resolved here, in the parent: the child only calls it
    parent = os.getpid()

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody would signal us
            os._exit(1)

    return hook


class _SubprocessDiesWithParent(types.ModuleType):
    """`subprocess` as Prefect's server module sees it: every Popen gets the die-with-parent hook."""

    def __init__(self) -> None:
        super().__init__("subprocess")
        self._hook = _die_with_parent_hook()

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def Popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        if self._hook is not None and kwargs.get("preexec_fn") is None:
            kwargs["preexec_fn"] = self._hook
        return subprocess.Popen(*args, **kwargs)


def server_dies_with_parent() -> None:
    """Make Prefect's temporary API server (and only it) a child that dies with this process."""
    from prefect.server.api import server as prefect_server

    if not isinstance(prefect_server.subprocess, _SubprocessDiesWithParent):
        prefect_server.subprocess = _SubprocessDiesWithParent()


def uses_temporary_server() -> bool:
    """True when flow runs here would start Prefect's temporary API server (no PREFECT_API_URL)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_ALLOW_EPHEMERAL_MODE.value())


def start_prefect_server() -> None:
    """Before running flows from the command line: guard the temporary server and start it now, from
    the main thread (see the module docstring). Does nothing when a Prefect server is configured.
    (`flows.cli.main` has already made SIGTERM unwind.)"""
    if not uses_temporary_server():
        return
    from prefect.settings import PREFECT_HOME

    from mediawatch.files import check_room

    # A full disk here would leave Prefect's temporary server unable to write its database, and the run
    # waiting out the start-up timeout before ~2,000 lines of traceback: say it in one line instead.
    check_room(PREFECT_HOME.value(), "Prefect's state folder (PREFECT_HOME)")
    server_dies_with_parent()
    from prefect.server.api.server import SubprocessASGIServer

    SubprocessASGIServer().start()  # the instance Prefect's clients reuse (one per process)
