"""The workspace in a real headless Chromium, served by uvicorn on loopback: log in, search, open a story,
correct its working group, refer it, see it on the chair's page; every page fits a 390-px phone; the CSP
blocks nothing the pages need and no request leaves the application."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from mediawatch.timeutil import jalali_iso
from tests.browser import ARTIFACTS, outside_cards
from tests.web.wfactory import PASSWORD, live_day

pytestmark = pytest.mark.browser

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(app) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


class Watch:
    """What a page did that it should not: requests off the application, console errors (CSP), dialogs."""

    def __init__(self, page, base: str) -> None:
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(base) else self.foreign.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def clean(self) -> None:
        assert self.foreign == [] and self.dialogs == []
        assert self.errors == [], self.errors


def _fits(page, name: str) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    width = page.evaluate("document.documentElement.scrollWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}-390.png"), full_page=True)
    assert width <= 390, f"{name}: {width}px wide on a 390px phone"


def _login(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button")
    page.wait_for_url(f"{base}/")


def test_secretariat_corrects_and_refers_and_the_chair_sees_it(browser, server, ids, web_store):
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    watch = Watch(page, server)
    _login(page, server, "sec")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("document.fonts.check('16px Vazirmatn', 'نگرانی')") is True
    assert page.evaluate("getComputedStyle(document.body).fontFamily").split(',')[0].strip('" ') == 'Vazirmatn'
    _fits(page, "today")
    # The morning that holds the newsroom's news, with every story clickable.
    day = jalali_iso(live_day(datetime.fromtimestamp(ids["base"], UTC)))
    page.goto(f"{server}/?date={day}")
    _fits(page, "today-live")
    assert page.locator("a[href='/story/c-waste']").count() >= 1
    # Search, then open the story from the article.
    page.fill("input[name=q]", "زباله") if page.locator("input[name=q]").count() else None
    page.goto(f"{server}/search")
    page.fill("input[name=q]", "زباله")
    page.click("form[role=search] button")
    assert page.locator("ol.hits li").count() >= 2
    _fits(page, "search")
    page.click(f"a[href='/article/{ids['waste1']}']")
    _fits(page, "article")
    page.click("a[href='/story/c-waste']")
    assert "انباشت زباله در گلسار" in page.inner_text("h1")
    _fits(page, "story")
    # Correct the working group of the whole story.
    form = page.locator("#correct form").filter(has=page.locator("input[name=field][value=domain]"))
    form.locator("select[name=value]").select_option("civil_works_traffic")
    form.locator("button").click()
    page.wait_for_load_state()
    assert "کارگروه عمرانی و ترافیکی" in page.inner_text("p.meta")
    # Refer it to that group with a manager and a Jalali due date.
    page.select_option("#refer-form select[name=group]", "civil_works_traffic")
    page.fill("#refer-form input[name=manager]", "معاون عمرانی")
    page.fill("#refer-form input[name=due_date]", "۱۴۰۰-۰۱-۰۱")
    page.click("#refer-form button")
    page.wait_for_load_state()
    assert "ارجاع‌شده" in page.inner_text("#referrals")
    _fits(page, "story-referred")
    page.click("header.bar form button")  # log out
    page.wait_for_url(f"{server}/login")
    watch.clean()
    # The chair of civil works sees the referral (overdue) on their page and answers it.
    _login(page, server, "chair_cw")
    page.goto(f"{server}/groups")
    assert page.url.endswith("/group/civil_works_traffic")
    refs = page.inner_text("#referrals")
    assert "انباشت زباله در گلسار" in refs and "معاون عمرانی" in refs and "دیرکرد" in refs
    _fits(page, "group")
    row = page.locator("#referrals form").first
    row.locator("select[name=state]").select_option("answered")
    row.locator("input[name=answer_url]").fill("https://rasht.ir/answer/7")
    row.locator("button").click()
    page.wait_for_load_state()
    assert "پاسخ منتشرشده" in page.inner_text("#done")
    (ref,) = web_store.workspace.referrals()
    assert ref.state == "answered" and ref.updated_by == "chair_cw"
    for path in ("/sources", "/archive", "/review", "/report", "/groups"):
        page.goto(server + path)
        _fits(page, path.strip("/"))
    watch.clean()
    page.close()


def test_scraped_scripts_do_not_run_in_the_workspace(browser, server, ids):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    watch = Watch(page, server)
    _login(page, server, "sec")
    page.goto(f"{server}/article/{ids['evil']}")
    for el in page.query_selector_all("h1, p")[:20]:
        el.hover()
    page.goto(f"{server}/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    page.wait_for_timeout(200)
    assert page.evaluate("document.scripts.length") == 0
    watch.clean()
    page.close()


def test_an_alert_on_the_today_page_fits_a_phone(browser, server, ids, web_store):
    from mediawatch.records import Alert

    base = datetime.fromtimestamp(ids["base"], UTC)
    at = base + timedelta(minutes=40)
    web_store.alerts.save([Alert(
        key="c-waste", rule="spread", critical=False, domain="urban_services",
        headline="گلایهٔ شهروندان از " + "آبگرفتگی‌های پی‌درپی " * 6,
        article_ids=(ids["waste1"], ids["waste2"]), outlets=("gilan_now", "rasht_news"),
        figures={"outlets": 4, "window_hours": 4.0, "hours": 1.62, "share": 0.0087, "baseline_days": 28},
        opened_at=at, updated_at=at, last_article_at=base, started_at=base, closed_at=at + timedelta(hours=30))])
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    _login(page, server, "sec")
    page.goto(f"{server}/?date={jalali_iso(live_day(base))}&fresh=1")
    assert page.locator("article.alert").count() == 1
    _fits(page, "today-alert")
    assert outside_cards(page, "article.alert") == []
    page.close()
