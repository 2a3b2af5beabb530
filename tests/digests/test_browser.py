"""The digest in a real headless Chromium: RTL, Vazirmatn loaded, fits a 390-px phone, prints on A4."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digests.periods import digest_period, window
from digests.records import Digest
from digests.render import render_html
from digests.select import build_brief, build_digest
from tests.browser import ARTIFACTS, outside_cards
from tests.digests.dg_factory import PERIOD_END, PERIOD_START, demo_items, evil_digest, night

pytestmark = pytest.mark.browser

A4_WIDTH_PX = 794  # 210 mm at 96 dpi


def _open(browser, html: str, tmp_path: Path, width: int = 390):
    file = tmp_path / "page.html"
    file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 844}, device_scale_factor=1)
    # Offline: any request that is not the file itself fails the test.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(file.as_uri())
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, requests, dialogs


def test_digest_on_a_phone_and_on_a4(browser, digest: Digest, tmp_path: Path) -> None:
    page, requests, _ = _open(browser, render_html(digest), tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "digest-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert family.split(",")[0].strip().strip('"') == "Vazirmatn"
    assert page.evaluate("document.fonts.check('16px Vazirmatn', 'نگرانی')") is True
    assert page.evaluate("document.fonts.check('bold 16px Vazirmatn', 'نگرانی')") is True
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded')"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391"
        " || e.getBoundingClientRect().left < -1).map(e => e.tagName)"
    )
    assert wide == []
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    # Print: A4 portrait at 96 dpi; the printed content must not be wider than the page.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH_PX
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (ARTIFACTS / "digest.pdf").write_bytes(pdf)
    page.close()


def test_brief_on_a_phone(browser, tmp_path: Path) -> None:
    items, history = night()
    brief = build_brief(
        "urban_services", items, period=(PERIOD_START, PERIOD_END), previous_period_items=[], history=history
    )
    page, _, _ = _open(browser, render_html(brief), tmp_path)
    page.screenshot(path=str(ARTIFACTS / "brief-urban_services-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_scraped_scripts_do_not_run(browser, tmp_path: Path) -> None:
    page, requests, dialogs = _open(browser, render_html(evil_digest()), tmp_path)
    for el in page.query_selector_all("h3, li")[:20]:  # would fire any onmouseover that slipped through
        el.hover()
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.evaluate("document.scripts.length") == 0
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_demo_digest_reads_well_on_a_phone(browser, tmp_path: Path) -> None:
    """The demo sites' three days (Wednesday–Friday) with our gold labels: a realistic Saturday digest."""
    saturday = date(2026, 11, 28)
    items = demo_items(saturday)
    period = digest_period(saturday)
    now_items = window(items, period)
    history = [i for i in items if i.seen_at < period[0]]
    doc = build_digest(now_items, period=period, history=history, now=period[1])
    assert doc.figures.articles > 20 and len(doc.top_concerns) >= 5
    page, _, _ = _open(browser, render_html(doc), tmp_path)
    page.screenshot(path=str(ARTIFACTS / "demo-digest-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
    brief = build_brief("urban_services", now_items, period=period, previous_period_items=[], history=history)
    page, _, _ = _open(browser, render_html(brief), tmp_path)
    page.screenshot(path=str(ARTIFACTS / "demo-brief-urban_services-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_an_alert_card_fits_a_phone(browser, tmp_path: Path) -> None:
    """Every line of an alert card (the badge, the reason, the dates, the outlets) stays inside the card."""
    from digests.alerts import alert_ref
    from tests.digests.test_alerts import _alert, _item

    doc = build_digest([_item(1, "a"), _item(2, "b")], period=(PERIOD_START, PERIOD_END))
    doc.alerts = [alert_ref(_alert(rule="spread", critical=False, closed_at=PERIOD_END,
                                   figures={"outlets": 4, "window_hours": 4.0, "hours": 1.62, "share": 0.0087,
                                            "baseline_days": 28}),
                            [_item(1, "a", title="گلایهٔ شهروندان از " + "آبگرفتگی‌های پی‌درپی " * 6), _item(2, "b")])]
    page, _, _ = _open(browser, render_html(doc), tmp_path)
    page.screenshot(path=str(ARTIFACTS / "alert-card-390.png"), full_page=True)
    outside = outside_cards(page, "article.alert")
    assert outside == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
