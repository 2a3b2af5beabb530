"""One nightly run at a time on a database: a second, in another process, is refused naming the first; the
lock dies with its holder (SIGKILL included), so a crashed night never blocks the next (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from storage import open_store
from storage.errors import RunInProgress

# Another process: open the store, take the nightly lock, record its run, say so, then wait to be killed.
HOLDER = """
import sys, time
from storage import open_store
store = open_store(sys.argv[1])
lock = store.run_lock("nightly")
run = store.start_run("nightly", {"sources": []})
print(run, flush=True)
time.sleep(600)
"""


def test_a_second_nightly_is_refused_while_the_first_lives_and_runs_once_it_is_killed(store_url):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, store_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        first = int(holder.stdout.readline())
        store = open_store(store_url)
        try:
            with pytest.raises(RunInProgress, match=rf"another nightly run is in progress .*run #{first}, .*process "
                                                    rf"{holder.pid}\).*did nothing"):
                store.run_lock("nightly")
            with store.run_lock("pulse"):  # another kind of run is not held up
                pass
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=30)
            # No stale lock: the kernel (SQLite's lock file) or the server (PostgreSQL's session) let it go.
            for _ in range(50):
                try:
                    lock = store.run_lock("nightly")
                    break
                except RunInProgress:  # PostgreSQL notices the closed connection within moments
                    time.sleep(0.1)
            else:
                pytest.fail("the killed process's lock was never released")
            with lock:
                run = store.start_run("nightly", {"sources": []})
                with pytest.raises(RunInProgress):  # held again, by this process's run now
                    store.run_lock("nightly")
                assert store.last_run("nightly").id == run
            store.run_lock("nightly").release()  # released at the end of the block
        finally:
            store.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
