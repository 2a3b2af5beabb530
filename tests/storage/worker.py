"""A separate process that writes to the store, for the kill and two-writer tests.

    python worker.py URL collect START COUNT   # add articles in batches (add_articles), print progress
    python worker.py URL analyse COUNT         # analyse until COUNT analyses are saved, with runs and digests

MW_PAUSE_AT=n makes `collect` stop (sleep) inside the transaction holding article n, after its rows
are inserted but before the commit, printing "MID", so that the test can SIGKILL it mid-batch.
"""

from __future__ import annotations

import os
import sys
import time

from mediawatch.records import FetchEvent, SourceReport
from storage import open_store
from storage.store import Store
from tests.storage.factory import SOURCES, T0, analysis, article

BATCH = 50


def collect(url: str, start: int, count: int) -> None:
    store = open_store(url)
    store.sync_sources(SOURCES)
    pause_at = int(os.environ.get("MW_PAUSE_AT", "-1"))
    if pause_at >= 0:
        original = Store._add_batch

        def slow(self, c, batch, run_id):  # type: ignore[no-untyped-def]
            out = original(self, c, batch, run_id)  # inserted, not yet committed
            if article(pause_at).url in {a.url for a in batch}:
                print("MID", flush=True)
                time.sleep(60)
            return out

        Store._add_batch = slow  # type: ignore[method-assign]
    run = store.start_run("nightly")
    sink = store.bind_run(run)
    for lo in range(start, start + count, BATCH):
        batch = [article(n) for n in range(lo, min(lo + BATCH, start + count))]
        store.add_articles(batch, run_id=run)
        for a in batch:
            sink.log_fetch(FetchEvent(a.source_id, a.url, 200, "new"))
        print(f"committed {batch[-1].url}", flush=True)
    store.finish_run(run, status="ok", reports=[SourceReport("gilan_now", found=count, new=count)])
    store.close()


def analyse(url: str, count: int) -> None:
    store = open_store(url)
    store.sync_sources(SOURCES)
    saved, deadline = 0, time.monotonic() + 60
    while saved < count and time.monotonic() < deadline:
        run = store.start_run("analyse")
        batch = [(i, analysis()) for i, _ in store.articles_to_analyse("v1", limit=20)]
        saved += store.save_analyses(batch)
        store.finish_run(run, status="ok", reports=[], summary={"saved": len(batch)})
        store.save_digest("daily", group=None, period_start=T0, period_end=T0, content={"n": saved}, paths=[])
        if not batch:
            time.sleep(0.01)
    print(f"analysed {saved}", flush=True)
    store.close()
    sys.exit(0 if saved >= count else 3)


if __name__ == "__main__":
    url, mode = sys.argv[1], sys.argv[2]
    if mode == "collect":
        collect(url, int(sys.argv[3]), int(sys.argv[4]))
    else:
        analyse(url, int(sys.argv[3]))
