"""The workspace's Today page shows the early-warning alerts first, linked to their story, escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediawatch.records import Alert
from tests.web.wfactory import EVIL_TITLE, live_day, login


def test_today_shows_the_alert_first_with_its_story_and_articles(client, ids, web_store):
    from mediawatch.timeutil import jalali_iso

    base = datetime.fromtimestamp(ids["base"], UTC)
    at = base + timedelta(minutes=40)
    web_store.alerts.save([Alert(
        key="c-waste", rule="spread", critical=False, domain="urban_services", headline=EVIL_TITLE,
        article_ids=(ids["waste1"], ids["waste2"]), outlets=("gilan_now", "rasht_news"),
        figures={"outlets": 3, "window_hours": 4.0, "articles": 3}, opened_at=at, updated_at=at,
        last_article_at=base, started_at=base)])
    login(client, "sec")
    html = client.get("/", params={"date": jalali_iso(live_day(base)), "fresh": "1"}).text
    assert 'id="alerts"' in html and html.index('id="alerts"') < html.index('id="top-concerns"')
    section = html[html.index('id="alerts"'):html.index('id="top-concerns"')]
    assert 'href="/story/c-waste"' in section
    assert f'href="/article/{ids["waste1"]}"' in section and f'href="/article/{ids["waste2"]}"' in section
    assert "۳ رسانهٔ مختلف در ۴ ساعت" in section
    assert "<script>alert('t')" not in html and "&lt;script&gt;" in section
