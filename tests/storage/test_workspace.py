"""store.workspace on SQLite and PostgreSQL: accounts, sessions, throttling counts, referrals, audit, search."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mediawatch.records import Domain, Tone
from mediawatch.timeutil import utcnow
from storage import StoreError
from storage.workspace import Filters
from tests.storage.factory import SOURCES, T0, analysis, article


def test_users_and_sessions(store):
    ws = store.workspace
    uid = ws.add_user("sara", role="chair", group="urban_services", password_hash="$argon2id$x", who="cli")
    with pytest.raises(StoreError, match="exists already"):
        ws.add_user("sara", role="viewer", group=None, password_hash="h", who="cli")
    with pytest.raises(StoreError, match="unknown role"):
        ws.add_user("x", role="boss", group=None, password_hash="h", who="cli")
    with pytest.raises(StoreError, match="chair needs"):
        ws.add_user("y", role="chair", group=None, password_hash="h", who="cli")
    ws.create_session(uid, "a" * 64, "csrf-token", utcnow() + timedelta(hours=1))
    ws.create_session(uid, "b" * 64, "csrf-2", utcnow() - timedelta(seconds=1))  # already expired
    sess = ws.session("a" * 64)
    assert sess.user.name == "sara" and sess.user.group == "urban_services" and sess.csrf == "csrf-token"
    assert ws.session("b" * 64) is None and ws.session("c" * 64) is None
    ws.set_disabled("sara", True, who="cli")
    assert ws.session("a" * 64) is None and ws.user("sara").disabled
    with pytest.raises(StoreError, match="no user"):
        ws.set_disabled("nobody", True, who="cli")
    assert [e["action"] for e in ws.audit_entries(target="user:sara")] == ["user.disable", "user.add"]


def test_login_failures_counted_per_account_and_address(store):
    ws = store.workspace
    since = utcnow() - timedelta(minutes=1)
    for _ in range(3):
        ws.record_login("sara", "10.0.0.1", False)
    ws.record_login("omid", "10.0.0.1", False)
    ws.record_login("sara", "10.0.0.2", True)
    assert ws.login_failures("sara", "10.0.0.1", since) == (3, 4)
    assert ws.login_failures("omid", "10.0.0.9", since) == (1, 0)
    assert ws.login_failures("sara", "10.0.0.1", utcnow() + timedelta(seconds=1)) == (0, 0)
    # The login form records an attempt as failed first, then settles it: a success, or forgotten when throttled.
    ok, refused = ws.record_login("sara", "10.0.0.1", False), ws.record_login("sara", "10.0.0.1", False)
    assert ws.login_failures("sara", "10.0.0.1", since) == (5, 6)
    ws.login_succeeded(ok)
    ws.forget_login(refused)
    assert ws.login_failures("sara", "10.0.0.1", since) == (3, 4)


def test_referral_states_and_stamps(store):
    ws = store.workspace
    rid = ws.refer(cluster_key="c1", article_id=None, headline="زباله", group="urban_services", who="sec",
                   due_date=date(2026, 12, 1), manager="مدیر")
    r = ws.referral(rid)
    assert r.state == "referred" and r.referred_at and not r.answered_at and r.open
    assert r.overdue(date(2026, 12, 2)) and not r.overdue(date(2026, 12, 1))
    r = ws.update_referral(rid, who="chair", state="answered", answer_url="https://rasht.ir/a")
    assert r.answered_at and r.updated_by == "chair" and not r.open
    r = ws.update_referral(rid, who="sec", state="closed")
    assert r.closed_at and r.answered_at  # closing keeps the answer
    r = ws.update_referral(rid, who="sec", state="referred")  # reopened
    assert not r.closed_at and not r.answered_at and r.referred_at
    with pytest.raises(StoreError, match="unknown referral state"):
        ws.update_referral(rid, who="sec", state="done")
    with pytest.raises(StoreError, match="cannot change"):
        ws.update_referral(rid, who="sec", group="other")
    assert [x.id for x in ws.referrals(group="urban_services", states=["referred"])] == [rid]
    assert ws.referrals(group="civil_works_traffic") == []
    log = ws.audit_entries(target=f"referral:{rid}")
    assert log[0]["old"] == {"state": "closed"} and log[0]["new"] == {"state": "referred"}
    assert log[-1]["action"] == "refer" and log[-1]["new"]["due_date"] == "2026-12-01"


def test_search_with_filters_and_hostile_input(store):
    store.sync_sources(SOURCES)
    ids = store.add_articles([
        article(1, title="زباله در گلسار", body="انباشت زباله"),
        article(2, source="rasht_news", title="ترافیک میدان", body="ترافیک سنگین", published_at=T0 - timedelta(days=3)),
    ])
    store.save_analyses([(ids[0], analysis(concern=True, tone=Tone.negative)),
                         (ids[1], analysis(domain=Domain.civil_works_traffic))])
    ws = store.workspace
    hits, total = ws.search(Filters(query="زباله"))
    assert total == 1 and hits[0].article_id == ids[0] and "زباله" in hits[0].snippet
    assert ws.search(Filters(source_kind="news_site"))[1] == 1
    assert ws.search(Filters(concern=True, tone="negative"))[1] == 1
    assert ws.search(Filters(place="رشت"))[1] == 2 and ws.search(Filters(place="لاهیجان"))[1] == 0
    assert ws.search(Filters(since=T0 - timedelta(days=1)))[1] == 1
    assert ws.search(Filters(until=T0 - timedelta(days=1)))[1] == 1
    assert ws.search(Filters(domain="civil_works_traffic"))[0][0].article_id == ids[1]
    for q in ("' OR 1=1 --", '"', "*", "NEAR(", "title:", "\\", "%", "زباله' --"):
        ws.search(Filters(query=q, place=q))  # no error, on either backend
    assert ws.search_ids(Filters(query="ترافیک")) == [ids[1]]
    hits, total = ws.search(Filters(), offset=1, limit=1)
    assert total == 2 and [h.article_id for h in hits] == [ids[1]]  # newest first
    # Best match first: the article saying «زباله» twice outranks the one saying it once, though older.
    more = store.add_articles([article(3, title="زباله زباله", body="زباله و زباله", published_at=T0 - timedelta(days=9))])
    assert [h.article_id for h in ws.search(Filters(query="زباله"))[0]] == [ids[0], more[0]]
    assert [h.article_id for h in ws.search(Filters(query="زباله", sort="best"))[0]] == [more[0], ids[0]]


def test_search_counts_up_to_the_cap(store, monkeypatch):
    import storage.workspace

    store.sync_sources(SOURCES)
    store.add_articles([article(n) for n in range(5)])
    monkeypatch.setattr(storage.workspace, "COUNT_CAP", 3)
    hits, total = store.workspace.search(Filters(query="خبر"), limit=2)
    assert total == 4 and len(hits) == 2  # "more than 3"


def test_corrections_history_and_overlay(store):
    store.sync_sources(SOURCES)
    (aid,) = store.add_articles([article(1)])
    store.save_analyses([(aid, analysis())])
    ws = store.workspace
    ws.correct([aid], "domain", "civil_works_traffic", who="sec", note="n")
    ws.correct([aid], "domain", "urban_planning_legal", who="chair")
    hist = ws.corrections_for(aid)
    assert [(h["old"], h["value"], h["who"]) for h in hist] == [
        ("urban_services", "civil_works_traffic", "sec"), ("civil_works_traffic", "urban_planning_legal", "chair")]
    assert ws.current_values([aid])[aid]["domain"] == "urban_planning_legal"
    assert ws.latest_corrections() == {aid: {"domain": "urban_planning_legal"}}
    assert ws.audit_entries(target=f"article:{aid}")[0]["old"] == {"domain": "civil_works_traffic"}
    assert [r.article_id for r in store.review_queue()] == []  # corrected: out of the queue
