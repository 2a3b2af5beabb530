"""The workspace's pages and actions on a known newsroom: what each page shows, corrections, referrals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from tests.web.wfactory import csrf_of, live_day, login


def _live(client, ids) -> str:
    """Today's page for the morning whose digest holds the wfactory news (from the last few hours)."""
    from mediawatch.timeutil import jalali_iso

    return client.get("/", params={"date": jalali_iso(live_day(datetime.fromtimestamp(ids["base"], UTC)))}).text


def _post(client, url, **data):
    data["csrf"] = csrf_of(client.get("/").text)
    return client.post(url, data=data, follow_redirects=False)


def test_today_links_every_story_and_article(client, ids):
    login(client, "sec")
    html = _live(client, ids)
    assert 'lang="fa" dir="rtl"' in html
    assert 'href="/story/c-waste"' in html
    assert f'href="/article/{ids["waste1"]}"' in html and f'href="/article/{ids["traffic"]}"' in html
    assert "انباشت زباله در گلسار" in html
    assert "<svg" in html  # the charts, inline


def test_story_page_shows_outlets_timeline_places_tone(client, ids):
    login(client, "sec")
    html = client.get("/story/c-waste").text
    assert "گیلان امروز" in html and "خبر رشت" in html
    assert "گلسار" in html and "منفی" in html
    assert html.index("انباشت زباله در گلسار") < html.index("زباله گلسار جمع نشد")  # oldest first
    assert client.get("/story/nope").status_code == 404
    assert client.get(f"/story/a{ids['mgmt']}").status_code == 200  # an article in no story


def test_article_page_and_correction_history(client, ids, web_store):
    login(client, "sec")
    aid = ids["waste1"]
    html = client.get(f"/article/{aid}").text
    assert "خدمات شهری" in html and "ساکنان از زباله گلایه دارند" in html
    assert 'href="https://gilan_now.example/news/1"' in html
    r = _post(client, f"/article/{aid}/correct", field="domain", value="civil_works_traffic", note="جاده است")
    assert r.status_code == 303
    hist = web_store.workspace.corrections_for(aid)
    assert [(h["field"], h["old"], h["value"], h["who"]) for h in hist] == [
        ("domain", "urban_services", "civil_works_traffic", "sec")]
    html = client.get(f"/article/{aid}").text
    assert "جاده است" in html and "کارگروه عمرانی و ترافیکی" in html
    audit = web_store.workspace.audit_entries(target=f"article:{aid}")
    assert audit[0]["who"] == "sec" and audit[0]["old"] == {"domain": "urban_services"}
    # The correction feeds training (`mediawatch train` reads corrections_as_labels).
    labels = {r["id"]: r for r in web_store.corrections_as_labels()}
    assert labels[f"mw-{aid}"]["domain"] == "civil_works_traffic"
    # A bad value is refused with a message, not a crash.
    assert _post(client, f"/article/{aid}/correct", field="domain", value="nonsense").status_code == 400
    assert _post(client, f"/article/{aid}/correct", field="title", value="x").status_code == 400


def test_story_correction_moves_it_to_the_other_chairs_page(client, ids, web_store):
    login(client, "sec")
    assert _post(client, "/story/c-waste/correct", field="domain", value="civil_works_traffic").status_code == 303
    assert {h["field"] for aid in (ids["waste1"], ids["waste2"]) for h in web_store.workspace.corrections_for(aid)} \
        == {"domain"}
    assert "انباشت زباله در گلسار" in client.get("/group/civil_works_traffic").text
    assert "انباشت زباله در گلسار" not in client.get("/group/urban_services").text
    # Today shows it under the new group too.
    html = _live(client, ids)
    section = html[html.index('id="group-civil_works_traffic"'):html.index('id="group-urban_planning_legal"')]
    assert "انباشت زباله در گلسار" in section


def test_referral_workflow_on_the_chairs_page(client, web_store):
    login(client, "sec")
    r = _post(client, "/story/c-waste/refer", group="urban_services", manager="مدیر خدمات شهری منطقه ۲",
              due_date="۱۴۰۰-۰۱-۰۱", note="پیگیری شود")
    assert r.status_code == 303
    (ref,) = web_store.workspace.referrals()
    assert (ref.state, ref.group, ref.created_by, ref.headline) == ("referred", "urban_services", "sec",
                                                                   "انباشت زباله در گلسار")
    assert ref.due_date.isoformat() == "2021-03-21" and ref.referred_at is not None
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    login(client, "chair_us")
    html = client.get("/group/urban_services").text
    assert "مدیر خدمات شهری منطقه ۲" in html and "دیرکرد" in html  # open and overdue
    r = _post(client, f"/referral/{ref.id}", state="answered", answer_url="https://rasht.ir/answer/1",
              back="/group/urban_services")
    assert r.status_code == 303 and r.headers["location"] == "/group/urban_services"
    ref = web_store.workspace.referral(ref.id)
    assert ref.state == "answered" and ref.answered_at is not None and ref.updated_by == "chair_us"
    html = client.get("/group/urban_services").text
    assert 'href="https://rasht.ir/answer/1"' in html
    # Not an http(s) link: refused.
    assert _post(client, f"/referral/{ref.id}", answer_url="javascript:alert(1)").status_code == 400
    assert _post(client, f"/referral/{ref.id}", due_date="فردا").status_code == 400
    entries = web_store.workspace.audit_entries(target=f"referral:{ref.id}")
    assert [e["action"] for e in entries] == ["referral.update", "refer"]
    assert entries[0]["old"] == {"state": "referred", "answer_url": ""}


def test_search_filters_page_and_export(client, ids):
    login(client, "sec")
    html = client.get("/search", params={"q": "زباله"}).text
    assert "انباشت زباله در گلسار" in html
    html = client.get("/search", params={"q": "زباله", "group": "civil_works_traffic"}).text
    assert "انباشت زباله" not in html
    html = client.get("/search", params={"kind": "news_site", "concern": "yes"}).text
    assert "ترافیک میدان شهدا" in html and "انباشت زباله در گلسار" not in html
    html = client.get("/search", params={"place": "گلسار"}).text
    assert "انباشت زباله در گلسار" in html and "ترافیک میدان شهدا" not in html
    html = client.get("/search", params={"tone": "neutral", "from": "1390-01-01", "to": "۱۴۹۹-۰۱-۰۱"}).text
    assert "ترافیک میدان شهدا" in html and "انباشت زباله" not in html
    html = client.get("/search", params={"to": "1390-01-01"}).text
    assert "۰ خبر یافت شد" in html
    r = client.get("/search.csv", params={"q": "زباله"})
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {int(x["id"]) for x in rows} >= {ids["waste1"], ids["waste2"]}
    assert ids["traffic"] not in {int(x["id"]) for x in rows}
    assert "attachment" in r.headers["content-disposition"]
    r = client.get("/search.xlsx", params={"place": "گلسار"})
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.max_row == 3  # header + the two waste articles
    assert client.get("/search.pdf").status_code == 404


def test_search_pages(client, web_store, monkeypatch):
    from datetime import timedelta

    from mediawatch.records import Article
    from mediawatch.timeutil import utcnow

    now = utcnow()
    web_store.add_articles([Article(url=f"https://gilan_now.example/p/{n}", source_id="gilan_now",
                                    title=f"پسماند شماره {n}", body="پسماند", fetched_at=now - timedelta(minutes=n),
                                    published_at=None) for n in range(45)])
    login(client, "sec")
    html = client.get("/search", params={"q": "پسماند"}).text
    assert "۴۵ خبر یافت شد" in html and "صفحهٔ ۱ از ۳" in html and "page=2" in html
    assert "پسماند شماره 44" not in html
    assert "پسماند شماره 44" in client.get("/search", params={"q": "پسماند", "page": 3}).text
    import storage.workspace
    import web.pages.search

    for module in (storage.workspace, web.pages.search):
        module.COUNT_CAP = 30
    try:
        html = client.get("/search", params={"q": "پسماند", "sort": "best"}).text
        assert "بیش از ۳۰ خبر" in html and "صفحهٔ ۱ از ۲" in html
    finally:
        for module in (storage.workspace, web.pages.search):
            module.COUNT_CAP = 1000


def test_review_queue_least_certain_first_and_corrected_leave(client, ids, web_store):
    from sqlalchemy import update

    from storage.schema import analyses

    with web_store.engine.begin() as c:
        c.execute(update(analyses).where(analyses.c.article_id == ids["mgmt"]).values(uncertainty=0.9))
        c.execute(update(analyses).where(analyses.c.article_id == ids["waste2"]).values(uncertainty=0.1))
    order = [r.article_id for r in web_store.review_queue()]
    # uncertainty first (NULLs last), then concern score nearest 0.5 (traffic 0.55 before the 0.8s)
    assert order[:3] == [ids["mgmt"], ids["waste2"], ids["traffic"]]
    login(client, "sec")
    _post(client, f"/article/{ids['mgmt']}/correct", field="concern", value="false")
    assert ids["mgmt"] not in [r.article_id for r in web_store.review_queue()]
    assert "ترافیک میدان شهدا" in client.get("/review").text


def test_sources_page_shows_failures(client, web_store):
    from mediawatch.records import SourceReport

    run = web_store.start_run("nightly")
    web_store.finish_run(run, status="partial", reports=[
        SourceReport(source_id="gilan_now", found=10, new=4, failed=0),
        SourceReport(source_id="rasht_news", found=0, new=0, failed=0, fatal="HTTP 503 از سرور")])
    login(client, "sec")
    html = client.get("/sources").text
    assert "HTTP 503 از سرور" in html and "۱۰ / ۴ / ۰" in html and 'class="broken"' in html


def test_monthly_report(client, web_store):
    from mediawatch.timeutil import jalali, utcnow
    from web.report import month_bounds, monthly_report, parse_month, to_html, to_json, to_markdown

    rid = web_store.workspace.refer(cluster_key="c-waste", article_id=None, headline="زباله", group="urban_services",
                                    who="sec")
    web_store.workspace.update_referral(rid, who="sec", state="answered")
    web_store.workspace.refer(cluster_key="c-traffic", article_id=None, headline="ترافیک",
                              group="civil_works_traffic", who="sec")
    j = jalali(utcnow())
    rep = monthly_report(web_store, j.year, j.month)
    rows = {r.group: r for r in rep.rows}
    assert (rows["urban_services"].raised, rows["urban_services"].referred, rows["urban_services"].answered,
            rows["urban_services"].still_open) == (2, 1, 1, 0)  # waste and the evil article
    assert rows["urban_services"].median_days is not None and rows["urban_services"].median_days < 0.1
    assert (rows["civil_works_traffic"].referred, rows["civil_works_traffic"].still_open) == (1, 1)
    assert rep.total.referred == 2
    assert json.loads(to_json(rep))["total"]["answered"] == 1
    assert "| کارگروه خدمات شهری | ۲ | ۱ | ۱ |" in to_markdown(rep)
    assert "<style>" in to_html(rep) and "Vazirmatn" in to_html(rep)
    assert parse_month("۱۴۰۵/۰۹") == (1405, 9)
    start, end = month_bounds(1405, 12)
    assert (end - start).days in (29, 30)
    login(client, "sec")
    month = f"{j.year:04d}-{j.month:02d}"
    assert "کارگروه خدمات شهری" in client.get("/report", params={"month": month}).text
    assert client.get("/report.json", params={"month": month}).json()["total"]["referred"] == 2
    assert client.get("/report", params={"month": "13-40"}).status_code == 400


def test_static_assets_are_served_and_cacheable(client):
    r = client.get("/static/web.css")
    assert r.status_code == 200 and "Vazirmatn" in r.text and r.headers["cache-control"].startswith("public")
    assert client.get("/static/fonts/Vazirmatn-Regular.woff2").status_code == 200


def test_every_page_on_both_backends(store_url, settings):
    from starlette.testclient import TestClient

    from storage import open_store
    from tests.web.wfactory import add_users, populate
    from web.app import create_app

    store = open_store(store_url)
    try:
        ids = populate(store)
        add_users(store)
        with TestClient(create_app(store, settings)) as c:
            assert login(c, "sec").status_code == 303
            day = live_day(datetime.fromtimestamp(ids["base"], UTC))
            for path in ["/", f"/?date={day.isoformat()}", "/search?q=زباله&place=گلسار&tone=negative",
                         "/story/c-waste", f"/article/{ids['waste1']}", "/group/urban_services", "/sources",
                         "/archive", "/review", "/report", "/search.csv?q=' OR 1=1 --"]:
                r = c.get(path)
                assert r.status_code == 200, (path, r.text[-2000:])
            assert "انباشت زباله در گلسار" in c.get("/search", params={"q": "زباله", "place": "گلسار"}).text
            r = c.post("/story/c-waste/refer", data={"group": "urban_services", "due_date": "1405-09-20",
                                                     "csrf": csrf_of(c.get("/").text)}, follow_redirects=False)
            assert r.status_code == 303
            assert store.workspace.referrals()[0].due_date.isoformat() == "2026-12-11"
    finally:
        store.close()


def test_article_page_lists_similar_articles_by_stored_vectors(client, ids, web_store):
    import dataclasses

    import numpy as np

    from mediawatch.records import Domain, Tone
    from nlp.encoder import encode_vector
    from tests.web.wfactory import _analysis

    def unit(*parts: tuple[int, float]) -> bytes:
        v = np.zeros(384, dtype=np.float32)
        for k, w in parts:
            v[k] = w
        return encode_vector(v / np.linalg.norm(v))

    vectors = {"waste1": unit((0, 1.0), (1, 1.0)), "waste2": unit((0, 1.0), (1, 0.8)), "traffic": unit((9, 1.0))}
    web_store.save_analyses([
        (ids[name], dataclasses.replace(_analysis(Domain.urban_services, concern=True, tone=Tone.negative),
                                        model_version="test-v2", encoder="e5-test", embedding=vec))
        for name, vec in vectors.items()])
    login(client, "sec")
    html = client.get(f"/article/{ids['waste1']}").text
    section = html.split('id="similar"')[1].split("</section>")[0]
    assert section.index(f'href="/article/{ids["waste2"]}"') < section.index(f'href="/article/{ids["traffic"]}"')
    assert "شباهت" in section
    assert 'id="similar"' not in client.get(f"/article/{ids['mgmt']}").text  # no vector: no section
