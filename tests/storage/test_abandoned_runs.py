"""A run left `running` by a process that is gone is marked `interrupted` at the next start; a live one is not."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import update

from mediawatch.records import SourceReport
from mediawatch.timeutil import utcnow
from storage import open_store
from storage.schema import runs


def _set_owner(store, run_id: int, owner: dict, started_ago: timedelta = timedelta(0)) -> None:
    with store.engine.begin() as c:
        c.execute(update(runs).where(runs.c.id == run_id)
                  .values(params={"sources": [], "owner": owner}, started_at=utcnow() - started_ago))


def _status(store, run_id: int) -> str:
    with store.engine.connect() as c:
        return c.execute(runs.select().where(runs.c.id == run_id)).one().status


def test_dead_local_process_is_interrupted_live_one_and_recent_remote_one_are_not(store_url):
    store = open_store(store_url)
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
        dead_pid = int(dead.stdout)
        done = store.start_run("nightly")
        store.finish_run(done, status="ok", reports=[SourceReport("x")])
        mine = store.start_run("nightly")  # this process: alive
        killed, remote, old_remote = (store.start_run(k) for k in ("nightly", "collect", "collect"))
        _set_owner(store, killed, {"host": _host(), "pid": dead_pid, "since": "1"})
        _set_owner(store, remote, {"host": "another-machine", "pid": 1, "since": "1"}, timedelta(hours=2))
        _set_owner(store, old_remote, {"host": "another-machine", "pid": 1, "since": "1"}, timedelta(days=2))

        assert sorted(store.mark_abandoned_runs()) == sorted([killed, old_remote])
        assert [_status(store, r) for r in (mine, killed, remote, old_remote, done)] == [
            "running", "interrupted", "running", "interrupted", "ok"]
        assert store.mark_abandoned_runs() == []  # done once
    finally:
        store.close()


def test_a_reused_process_id_does_not_keep_a_dead_run_alive(sqlite_url):
    import os

    store = open_store(sqlite_url)
    try:
        run = store.start_run("nightly")
        # Same host and pid as this live process, but it started at another time: another process.
        _set_owner(store, run, {"host": _host(), "pid": os.getpid(), "since": "1"})
        assert store.mark_abandoned_runs() == [run]
        assert "owner" not in store.last_run("nightly").params  # bookkeeping, not what the run was asked
    finally:
        store.close()


def test_long_messages_are_stored_short(sqlite_url):
    url = "https://example.ir/" + "a" * 100_000
    store = open_store(sqlite_url)
    try:
        run = store.start_run("collect")
        store.finish_run(run, status="partial", reports=[SourceReport("x", failed=1, errors=[f"{url}: HTTP 500"],
                                                                      fatal=f"feed {url} broke")])
        (rep,) = store.last_run("collect").reports
        assert len(rep.errors[0]) < 1000 and rep.errors[0].endswith(": HTTP 500") and "100,019 characters" in rep.errors[0]
        assert len(rep.fatal) < 1000 and rep.fatal.startswith("feed https://example.ir/aaa")
    finally:
        store.close()


def _host() -> str:
    import socket

    return socket.gethostname()


def test_last_collected_is_the_latest_night_that_reached_each_source(store_url):
    """The nightly catches a source up from here after missed nights: a fatal report (the site was down)
    does not count, another kind of run does not count, and a source never reached is absent."""
    store = open_store(store_url)
    try:
        old, new, down, pulse = (store.start_run(k) for k in ("nightly", "nightly", "nightly", "pulse"))
        base = utcnow().replace(microsecond=0)
        for run_id, days in ((old, 9), (new, 5), (down, 2), (pulse, 1)):
            with store.engine.begin() as c:
                c.execute(update(runs).where(runs.c.id == run_id).values(started_at=base - timedelta(days=days)))
        store.finish_run(old, status="ok", reports=[SourceReport("a"), SourceReport("b")])
        store.finish_run(new, status="partial", reports=[SourceReport("a"), SourceReport("b", fatal="HTTP 503")])
        store.finish_run(down, status="partial", reports=[SourceReport("a", fatal="cannot connect"), SourceReport("b", fatal="x")])
        store.finish_run(pulse, status="ok", reports=[SourceReport("a"), SourceReport("b"), SourceReport("c")])
        got = store.last_collected("nightly")
        assert got == {"a": base - timedelta(days=5), "b": base - timedelta(days=9)}
        assert all(v.tzinfo is not None for v in got.values())
    finally:
        store.close()


def test_catch_up_starts_from_the_last_night_within_limits():
    from datetime import UTC, datetime

    from flows.nightly import CATCH_UP_MARGIN, catch_up_since
    from mediawatch.records import Scope, Source, SourceKind

    now = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    sources = [Source(id=i, name=i, homepage=f"https://{i}.ir/", kind=SourceKind.news_site, scope=Scope.gilan)
               for i in ("late", "gone", "fresh", "new")]
    last = {"late": now - timedelta(hours=31), "gone": now - timedelta(days=60), "fresh": now - timedelta(hours=23)}
    assert catch_up_since(last, sources, now) == {"late": now - timedelta(hours=31) - CATCH_UP_MARGIN,
                                                  "gone": now - timedelta(days=14)}


def test_the_fetch_log_keeps_ninety_days(store_url):
    """One row per fetch, the hourly pulse's too: without pruning the table grew by ~a million rows a year."""
    from mediawatch.records import FetchEvent
    from storage.runs import FETCH_LOG_KEEP, FILTERED_MEMORY_DAYS

    assert timedelta(days=FILTERED_MEMORY_DAYS) < FETCH_LOG_KEEP  # the filtered-page memory reads inside it
    store = open_store(store_url)
    try:
        now = utcnow()
        for days in (200, 91, 89, 1):
            store.log_fetch(FetchEvent("a", f"https://a.ir/news/{days}", 200, "filtered", at=now - timedelta(days=days)))
        assert store.prune_fetch_log(now=now) == 2
        assert sorted(e.url for e in store.fetch_log()) == ["https://a.ir/news/1", "https://a.ir/news/89"]
        assert store.filtered_urls(["https://a.ir/news/1", "https://a.ir/news/89"]) == {"https://a.ir/news/1"}
    finally:
        store.close()
