"""The nightly steps without Prefect: demo sites → real SQLite store → analyses → stories."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from flows import steps
from mediawatch.records import Scope, Source, SourceKind
from mediawatch.timeutil import tehran_midnight
from tests.flows.conftest import DEMO_DAY


@pytest.fixture()
def store(tmp_path):
    from storage import open_store

    s = open_store(f"sqlite:///{tmp_path / 'mw.sqlite'}")
    yield s
    s.close()


def _night(store, sources, since):
    """Collect as the nightly flow does: every source at once, each through collect_one with its own
    connection to the database, all sharing one set of request slots."""
    from concurrent.futures import ThreadPoolExecutor

    from mediawatch.settings import Settings
    from scrapers.slots import Slots
    from storage import open_store

    run_id = store.start_run("nightly")
    settings = Settings()
    slots = Slots(settings.global_concurrency)

    def one(source):
        own = open_store(store.url)
        try:
            return steps.collect_one(source, own, run_id=run_id, since=since, settings=settings,
                                     allow_private=True, slots=slots)
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        reports = list(pool.map(one, sources))
    return run_id, reports


def test_collect_analyse_cluster_on_demo_sites(store, demo_sites):
    from nlp.analyze import Analyzer

    sources = demo_sites.sources()
    store.sync_sources(sources)
    since = tehran_midnight(DEMO_DAY) - timedelta(days=30)
    _, reports = _night(store, sources, since)
    expected = {e.url for e in demo_sites.expected()}
    stored = store.known_urls(expected)
    # Every article a correct crawler should collect is stored; nothing fatal on healthy sites.
    assert not [r for r in reports if r.fatal]
    assert len(stored) >= 0.97 * len(expected), sorted(expected - stored)[:5]
    # Broken pages are reported as failures of their source, not silently dropped.
    assert sum(r.failed for r in reports) >= 1

    analyzer = Analyzer.load()
    assert steps.analyse_step(store, analyzer) == sum(r.new for r in reports)
    assert steps.analyse_step(store, analyzer) == 0  # idempotent: nothing left to analyse
    n_stories = steps.cluster_step(store, now=tehran_midnight(DEMO_DAY))
    assert 0 < n_stories < len(stored)  # republished copies share a story

    # A second night finds nothing new and stores nothing twice.
    _, again = _night(store, sources, since)
    assert sum(r.new for r in again) == 0
    assert store.known_urls(expected) == stored


def test_a_dead_source_is_reported_and_the_rest_is_collected(store, demo_sites):
    sources = demo_sites.sources()[:1]
    dead = Source("dead", "سایت خاموش", "http://127.0.0.1:9", SourceKind.news_site, Scope.rasht,
                  feeds=("http://127.0.0.1:9/feed/",), min_interval_s=0.0)
    store.sync_sources([*sources, dead])
    _, reports = _night(store, [*sources, dead], tehran_midnight(DEMO_DAY) - timedelta(days=30))
    by_id = {r.source_id: r for r in reports}
    assert by_id["dead"].fatal  # says why
    assert by_id[sources[0].id].new > 0


def test_analysis_crash_fails_the_night_and_the_report_says_so():
    from datetime import UTC, datetime

    from mediawatch.records import SourceReport

    result = steps.NightlyResult(run_id=8, started_at=datetime(2026, 11, 25, 22, 30, tzinfo=UTC))
    result.reports = [SourceReport("ok", found=5, new=3)]
    assert result.status == "ok"
    result.error = "EOFError: model file ended early"
    assert result.status == "failed" and result.summary()["error"].startswith("EOFError")
    assert "failed after collecting" in steps.run_report_markdown(result)


def test_remote_text_in_the_run_report_is_inert():
    from datetime import UTC, datetime

    from mediawatch.records import SourceReport

    result = steps.NightlyResult(run_id=9, started_at=datetime(2026, 11, 25, 22, 30, tzinfo=UTC))
    result.reports = [SourceReport("bad", failed=1, errors=["http://x/a|b: <img src=x onerror=alert(1)> [x](javascript:1)"])]
    md = steps.run_report_markdown(result)
    row = next(line for line in md.splitlines() if line.startswith("| bad |"))
    assert row.count(" | ") == 6  # the pipe in the URL did not open a new column (7 columns)
    assert "\\<img" in md and not re.search(r"(?<!\\)<img", md)  # shown as text, not an HTML tag
    assert "](javascript" not in md


def test_run_report_names_each_source_and_why(demo_sites):
    from datetime import UTC, datetime

    from mediawatch.records import SourceReport

    result = steps.NightlyResult(run_id=7, started_at=datetime(2026, 11, 25, 22, 30, tzinfo=UTC))
    result.reports = [SourceReport("ok", found=5, new=3),
                      SourceReport("dead", fatal="connection refused: is the site down?")]
    md = steps.run_report_markdown(result, demo_sites.sources())
    assert "| dead |" in md and "connection refused" in md
    assert result.status == "partial"
    assert md.index("| dead |") < md.index("| ok |")  # failures first
