"""The demo's seams for soak tests: articles published over time, a site taken down, a slow site."""

from __future__ import annotations

import time
from datetime import date

import httpx
import pytest

from demo.server import DemoSites

DAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def sites():
    s = DemoSites(reference_day=DAY).start()
    try:
        yield s
    finally:
        s.stop()


def test_published_until_serves_the_older_articles_under_the_same_urls(sites):
    everything = {a.id: a for a in sites.expected()}
    times = sorted(a.published_at for a in everything.values())
    middle = times[len(times) // 2]
    sites.published_until = middle
    try:
        early = {a.id: a for a in sites.expected()}
        feed = httpx.get(sites.sources()[0].feeds[0], timeout=10).text
    finally:
        sites.published_until = None
    assert early and len(early) < len(everything)
    assert all(a.published_at <= middle for a in early.values())
    assert all(everything[i].url == a.url for i, a in early.items())  # the cut never moves an article
    newest_hidden = max((a for a in everything.values() if a.published_at > middle and a.site == "payam"),
                        key=lambda a: a.published_at)
    assert newest_hidden.url_encoded not in feed


def test_a_site_taken_down_refuses_connections_and_comes_back_on_the_same_port(sites):
    url = sites.base_urls["gilava"] + "/"
    sites.take_down("gilava")
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)
    finally:
        sites.bring_up("gilava")
    assert httpx.get(url, timeout=5).status_code == 200


def test_a_slow_site_answers_late(sites):
    url = sites.base_urls["payam"] + "/"
    sites.slow_down("payam", 1.0)
    try:
        t = time.monotonic()
        assert httpx.get(url, timeout=5).status_code == 200
        assert time.monotonic() - t >= 1.0
    finally:
        sites.slow_down("payam", 0)
    t = time.monotonic()
    httpx.get(url, timeout=5)
    assert time.monotonic() - t < 1.0
