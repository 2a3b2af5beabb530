"""The crawler against the demo news sites (demo.server.DemoSites): six families, all on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mediawatch.timeutil import tehran_midnight
from scrapers.collect import collect_all
from scrapers.fetch import PoliteClient


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    from demo.server import DemoSites

    with DemoSites() as sites:
        yield sites


async def test_backfill_finds_exactly_what_the_demo_expects_then_nothing(demo, settings, memory_store_cls) -> None:  # type: ignore[no-untyped-def]
    store = memory_store_cls()
    since = tehran_midnight(demo.reference_day - timedelta(days=30))
    async with PoliteClient(settings) as client:  # demo sources live on 127.0.0.1: no flag needed
        reports = await collect_all(demo.sources(), state=store, sink=store, since=since, settings=settings, client=client)
    expected = {e.url: e for e in demo.expected()}
    assert set(store.articles) == set(expected)
    for url, e in expected.items():
        got = store.articles[url]
        assert (got.title, got.published_at) == (e.title, e.published_at), url
        assert got.body and got.source_id == e.site
    # Half-spaces survive (trafilatura would strip them).
    assert sum("\u200c" in a.body for a in store.articles.values()) > 0.8 * len(expected)
    assert all(r.fatal == "" for r in reports)
    broken = sum(r.failed for r in reports)
    assert broken >= 3 and all(r.errors for r in reports if r.failed)  # the demo's 500 and truncated pages

    # The next night: nothing new; only feeds (answered 304) and robots.txt are requested.
    events_before = len(store.events)
    async with PoliteClient(settings) as client:
        again = await collect_all(demo.sources(), state=store, sink=store, settings=settings, client=client)
    assert sum(r.new for r in again) == 0
    outcomes = {e.outcome for e in store.events[events_before:]}
    assert "new" not in outcomes or all(
        e.url in {f for s in demo.sources() for f in s.feeds} for e in store.events[events_before:] if e.outcome == "new"
    )
    assert "not_modified" in outcomes
