"""store.alerts: the rule's reads and the alert rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from mediawatch.records import Alert, Domain
from storage import Store
from tests.storage.factory import SOURCES, T0, analysis, article


def _alert(key: str = "s1", **kw) -> Alert:
    values = dict(key=key, rule="spread", critical=False, domain="urban_services", headline="<b>گلایه</b>",
                  article_ids=(1, 2, 3), outlets=("gilan_now", "rasht_news"),
                  figures={"outlets": 3, "window_hours": 6.0}, opened_at=T0, updated_at=T0,
                  last_article_at=T0, started_at=T0 - timedelta(hours=2))
    return Alert(**{**values, **kw})


def test_alerts_are_saved_once_per_key_updated_and_read_back(store: Store) -> None:
    a = _alert()
    store.alerts.save([a])
    assert a.id is not None
    a.article_ids = (1, 2, 3, 4)
    a.figures = {"outlets": 4, "window_hours": 6.0}
    a.updated_at = T0 + timedelta(hours=1)
    store.alerts.save([a])  # the same story: the same row
    got = store.alerts.current()
    assert [(g.id, g.key, g.article_ids, g.figures["outlets"], g.headline) for g in got] == [
        (a.id, "s1", (1, 2, 3, 4), 4, "<b>گلایه</b>")]
    assert got[0].updated_at == T0 + timedelta(hours=1) and got[0].sent_at is None

    store.alerts.mark_delivered("s1", email_at=T0, error="webhook: 500")
    got = store.alerts.get("s1")
    assert got is not None and got.sent_at == T0 and got.webhook_at is None and got.delivery_error == "webhook: 500"

    got.closed_at = T0 + timedelta(days=1)
    store.alerts.save([got])
    assert store.alerts.current() == []
    assert [x.key for x in store.alerts.current(closed_since=T0)] == ["s1"]
    # The digest of the morning after still lists it (updated in its period); a week later it does not.
    assert [x.key for x in store.alerts.between(T0, T0 + timedelta(days=1))] == ["s1"]
    assert store.alerts.between(T0 + timedelta(days=7), T0 + timedelta(days=8)) == []


def test_critical_alerts_come_first(store: Store) -> None:
    store.alerts.save([_alert("a"), _alert("b", critical=True, rule="critical", opened_at=T0 - timedelta(hours=3))])
    assert [a.key for a in store.alerts.between(T0 - timedelta(days=1), T0 + timedelta(days=1))] == ["b", "a"]


def test_items_and_concern_marks_for_the_rule(store: Store) -> None:
    store.sync_sources(SOURCES)
    ids = store.add_articles([
        article(1, published_at=T0, fetched_at=T0),
        article(2, source="rasht_news", published_at=T0 + timedelta(hours=1), fetched_at=T0),
        article(3, published_at=T0 - timedelta(days=3), fetched_at=T0),
    ])
    store.save_analyses([(ids[0], analysis(concern=True)), (ids[1], analysis(concern=False)),
                         (ids[2], analysis(concern=True, domain=Domain.civil_works_traffic))])
    items = store.alerts.items(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert [i.article_id for i in items] == [ids[0], ids[1]]
    assert [i.article_id for i in store.alerts.items(T0 - timedelta(hours=1), T0 + timedelta(hours=1),
                                                     source_ids=["rasht_news"])] == [ids[1]]
    marks = store.alerts.concern_marks(T0 - timedelta(days=28), T0 + timedelta(hours=2))
    assert sorted((m.article_id, m.domain, m.places) for m in marks) == [
        (ids[0], "urban_services", ("رشت",)), (ids[2], "civil_works_traffic", ("رشت",))]
