"""Real processes against the real database: a SIGKILL mid-batch, and two writers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from storage import open_store
from tests.storage.factory import article

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")


def _spawn(*args: str, pause_at: int | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if pause_at is not None:
        env["MW_PAUSE_AT"] = str(pause_at)
    return subprocess.Popen([sys.executable, str(WORKER), *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_mid_batch_loses_nothing_committed_and_rerun_completes(store_url):
    total, batch = 200, 50  # worker.BATCH
    proc = _spawn(store_url, "collect", "0", str(total), pause_at=120)  # in the third batch (100..149)
    committed: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("committed"):
            committed.append(line.split()[1])
        if line.strip() == "MID":
            break
    else:
        raise AssertionError(f"worker ended before the kill: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert committed == [article(49).url, article(99).url]

    store = open_store(store_url)
    try:
        assert store.check_integrity() == []
        # everything committed before the kill is there; nothing of the killed batch is
        assert store.count_articles() == 2 * batch
        assert store.known_urls([article(n).url for n in range(total)]) == {article(n).url for n in range(100)}
        assert len(store.fetch_log()) == 2 * batch
        assert store.last_run("nightly").status == "running"
    finally:
        store.close()

    rerun = _spawn(store_url, "collect", "0", str(total))
    _, errs = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, errs
    store = open_store(store_url)
    try:
        assert store.check_integrity() == []
        assert store.count_articles() == total
        assert store.known_urls([article(n).url for n in range(total)]) == {article(n).url for n in range(total)}
        assert [h.url for h in store.search("شماره 150")] == [article(150).url]  # indexed as well
        assert store.last_run("nightly").status == "ok"
    finally:
        store.close()


def test_two_writers_lose_nothing_and_never_see_locked(store_url):
    n_collect = 200
    collector = _spawn(store_url, "collect", "1000", str(n_collect))
    analyser = _spawn(store_url, "analyse", str(n_collect))
    _, c_err = collector.communicate(timeout=90)
    a_out, a_err = analyser.communicate(timeout=90)
    assert "locked" not in c_err + a_err
    assert collector.returncode == 0, c_err
    assert analyser.returncode == 0, a_out + a_err
    store = open_store(store_url)
    try:
        counts = store.table_counts()
        assert counts["articles"] == n_collect
        assert counts["analyses"] == n_collect
        assert counts["fetch_log"] == n_collect
        assert counts["digests"] >= 1 and counts["runs"] >= 2
        assert list(store.articles_to_analyse("v1")) == []
        assert store.check_integrity() == []
    finally:
        store.close()
