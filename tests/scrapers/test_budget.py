"""A slow site must not hold the night: each source's time budget, against loopback sites that hang."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from scrapers.collect import collect_all
from tests.scrapers.test_collect import article_html, make_source, rss

NOW = datetime.now(UTC)
BUDGET_S = 1.5
# Collection ends within the budget plus this: cancelling, writing the reports, closing connections.
MARGIN_S = 1.5


def hang(site):  # type: ignore[no-untyped-def]
    """A handler that never answers (until the test ends: the site's stop event, at most 60 s)."""
    def handler(req) -> None:  # type: ignore[no-untyped-def]
        site.stop.wait(60)
        req.close_connection = True
    return handler


def slow_settings(settings):  # type: ignore[no-untyped-def]
    # Without a budget each hanging page would cost 4 tries × 5 s, four pages at a time.
    return settings.model_copy(update={"request_timeout_s": 5.0, "retries": 3, "source_budget_s": BUDGET_S})


async def test_a_hanging_site_is_stopped_at_its_budget_and_reported_partial(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    slow, good = make_site(), make_site()
    d = NOW - timedelta(hours=1)
    slow.add("/rss", rss([("تازه", slow.url("/news/0"), d, "یک")]
                         + [(f"خبر {i}", slow.url(f"/news/{i}"), d, "دو") for i in range(1, 9)]),
             content_type="application/rss+xml")
    slow.add("/news/0", article_html("پیاده‌راه فرهنگی رشت", "شهردار رشت از پیاده‌راه بازدید کرد.", d))
    for i in range(1, 9):
        slow.handle(f"/news/{i}", hang(slow))
    good.add("/rss", rss([(f"زباله {i}", good.url(f"/n/{i}"), d, "سه") for i in range(3)]), content_type="application/rss+xml")
    for i in range(3):
        good.add(f"/n/{i}", article_html(f"زباله در گلسار {i}", "شهروندان از انباشت زباله گلایه دارند.", d))

    started = time.monotonic()
    reports = await collect_all([make_source(slow, "slow"), make_source(good, "good")], state=store, sink=store,
                                settings=slow_settings(settings))
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S + MARGIN_S, f"collection took {elapsed:.1f} s with a budget of {BUDGET_S} s"
    by_id = {r.source_id: r for r in reports}
    assert by_id["good"].state == "ok" and by_id["good"].new == 3
    late = by_id["slow"]
    assert late.state == "partial" and late.budget_spent and late.new == 1 and late.failed == 8
    assert "time budget of 1.5 s ran out" in late.errors[0] and "8 of 9 article page(s) not fetched" in late.errors[0]
    assert slow.url("/news/0") in store.articles  # what was collected before the budget ran out is kept
    not_fetched = {e.url for e in store.events if e.source_id == "slow" and "time budget" in e.error}
    assert not_fetched == {slow.url(f"/news/{i}") for i in range(1, 9)}  # in the fetch log, tried next night
    # The slow feed is read again in full next night (its validators are not saved); the good one's are.
    assert good.url("/rss") in store.validators and slow.url("/rss") not in store.validators


async def test_a_site_whose_feed_hangs_is_down_with_the_reason(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    stuck = make_site()
    stuck.handle("/rss", hang(stuck))
    source = make_source(stuck, "stuck", budget_s=0.8)  # its own budget in sources.toml wins over the setting
    started = time.monotonic()
    [report] = await collect_all([source], state=store, sink=store, settings=slow_settings(settings))
    assert time.monotonic() - started < 0.8 + MARGIN_S
    assert report.state == "down" and report.budget_spent
    assert "time budget of 0.8 s ran out before any feed" in report.fatal and "budget_s" in report.fatal
