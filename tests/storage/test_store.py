"""The Store API on both backends: idempotent writes, crawl state, runs, nlp, digests, corrections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mediawatch.records import Cluster, Domain, FetchEvent, SourceReport
from storage import StoreError
from tests.storage.factory import SOURCES, T0, analysis, article


@pytest.fixture
def st(store):
    store.sync_sources(SOURCES)
    return store


def test_sources_upsert_by_id(st):
    changed = SOURCES[0].__class__(**{**{f: getattr(SOURCES[0], f) for f in SOURCES[0].__slots__}, "name": "نو"})
    st.sync_sources([changed])
    st.sync_sources([changed])
    got = st.sources()
    assert set(got) == {"gilan_now", "rasht_news"}
    assert got["gilan_now"].name == "نو"
    assert got["gilan_now"].feeds == ("https://gilan-now.example/rss",)
    assert got["rasht_news"] == SOURCES[1]


def test_same_article_twice_changes_nothing(st):
    a = article(1)
    first = st.add_article(a)
    before = st.table_counts()
    assert isinstance(first, int)
    assert st.add_article(a) is None
    again, second, twice = st.add_articles([a, article(2), article(2)])
    assert again is None and isinstance(second, int) and second > first  # (PostgreSQL ids may have gaps)
    assert twice is None  # the same URL twice in one batch is stored once
    after = st.table_counts()
    assert after["articles"] == before["articles"] + 1
    assert after["article_search"] == after["articles"] == after["article_texts"]
    stored = st.article(first)
    assert stored == a  # original text, dates (aware UTC), authors and tags come back unchanged
    assert stored.published_at.tzinfo is not None


def test_unknown_source_is_a_clear_error(st):
    with pytest.raises(StoreError, match=r"unknown source id.*nowhere.*sync_sources"):
        st.add_article(article(1, source="nowhere"))
    assert st.count_articles() == 0


def test_known_urls_and_feed_validators(st):
    st.add_article(article(1))
    urls = [article(1).url, article(2).url]
    assert st.known_urls(urls) == {article(1).url}
    assert st.known_urls([]) == set()
    feed = "https://gilan-now.example/rss"
    assert st.feed_validators(feed) == (None, None)
    st.save_feed_validators(feed, '"abc"', "Wed, 25 Nov 2026 06:00:00 GMT")
    st.save_feed_validators(feed, '"def"', None)
    assert st.feed_validators(feed) == ('"def"', None)


def test_run_sink_passes_run_id_and_runs_are_reported(st):
    run = st.start_run("nightly", {"since": "2026-11-24"})
    sink = st.bind_run(run)
    assert sink.add_article(article(1)) is not None
    assert sink.add_article(article(1)) is None
    sink.log_fetch(FetchEvent("gilan_now", article(1).url, 200, "new", elapsed_ms=12))
    sink.log_fetch(FetchEvent("rasht_news", "https://rasht-news.example/", None, "error", error="timeout"))
    assert [e.outcome for e in st.fetch_log(run_id=run)] == ["new", "error"]
    reports = [SourceReport("gilan_now", found=3, new=1), SourceReport("rasht_news", failed=2, errors=["timeout"]),
               SourceReport("dead", fatal="DNS: no such host")]
    st.finish_run(run, status="partial", reports=reports, summary={"new": 1})
    st.finish_run(run, status="partial", reports=reports, summary={"new": 1})  # idempotent
    last = st.last_run("nightly")
    assert last is not None and last.id == run and last.status == "partial"
    assert last.params == {"since": "2026-11-24"} and last.summary == {"new": 1}
    assert {r.source_id for r in last.reports} == {"gilan_now", "rasht_news", "dead"}
    assert st.last_run("digest") is None
    with pytest.raises(StoreError, match="no run with id"):
        st.finish_run(99999, status="ok", reports=[])


def test_failed_sources_window(st):
    run = st.start_run("nightly")
    st.finish_run(run, status="partial", reports=[
        SourceReport("ok_one", found=5, new=5), SourceReport("flaky", failed=1, errors=["HTTP 503"]),
        SourceReport("dead", fatal="connection refused")])
    now = datetime.now(UTC)
    failed = st.failed_sources(now - timedelta(hours=1), now + timedelta(hours=1))
    assert [(r.source_id, r.fatal, r.errors) for r in failed] == [
        ("dead", "connection refused", []), ("flaky", "", ["HTTP 503"])]
    assert st.failed_sources(now + timedelta(hours=1), now + timedelta(hours=2)) == []
    assert st.failed_sources(now - timedelta(hours=2), now - timedelta(hours=1)) == []


def test_a_later_success_clears_an_earlier_failure(st):
    """Only sources whose latest report in the window failed are listed (review #8)."""
    first = st.start_run("nightly")
    st.finish_run(first, status="failed", reports=[SourceReport("x", fatal="down"), SourceReport("y", fatal="down")])
    again = st.start_run("nightly")
    st.finish_run(again, status="partial", reports=[SourceReport("x", found=3, new=3),
                                                    SourceReport("y", failed=2, errors=["HTTP 500"])])
    now = datetime.now(UTC)
    failed = st.failed_sources(now - timedelta(hours=1), now + timedelta(hours=1))
    assert [(r.source_id, r.fatal, r.failed) for r in failed] == [("y", "", 2)]


def test_articles_to_analyse_and_idempotent_analyses(st):
    ids = st.add_articles([article(n) for n in range(1, 6)])
    todo = list(st.articles_to_analyse("v1"))
    assert [i for i, _ in todo] == ids
    assert todo[0][1].body == article(1).body
    assert [i for i, _ in st.articles_to_analyse("v1", limit=2)] == ids[:2]
    assert st.save_analyses([(ids[0], analysis()), (ids[1], analysis()), (ids[1], analysis())]) == 2
    before = st.table_counts()
    assert st.save_analyses([(ids[0], analysis()), (ids[1], analysis())]) == 0
    assert st.table_counts() == before
    assert [i for i, _ in st.articles_to_analyse("v1")] == ids[2:]
    assert [i for i, _ in st.articles_to_analyse("v2")] == ids  # a new model version redoes all
    with pytest.raises(StoreError, match=r"no such article.*999999"):
        st.save_analyses([(ids[4], analysis()), (999_999, analysis())])
    assert [i for i, _ in st.articles_to_analyse("v1")] == ids[2:]  # the failed batch left nothing


def test_articles_to_analyse_streams_beyond_one_chunk(st, monkeypatch):
    import storage.analyses as mod

    monkeypatch.setattr(mod, "STREAM_CHUNK", 3)
    ids = st.add_articles([article(n) for n in range(10)])
    assert [i for i, _ in st.articles_to_analyse("v1")] == ids
    assert [i for i, _ in st.articles_to_analyse("v1", limit=7)] == ids[:7]


def test_digest_items_window_domain_and_clusters(st):
    day = T0.replace(hour=0)
    ids = st.add_articles([
        article(1, published_at=day),                                   # first instant: in
        article(2, published_at=day + timedelta(hours=23, minutes=59)),  # in
        article(3, published_at=day + timedelta(days=1)),               # until is exclusive: out
        article(4, published_at=None, fetched_at=day + timedelta(hours=5)),  # no date: fetched_at counts
        article(5, published_at=day - timedelta(seconds=1)),            # before: out
        article(6, published_at=day + timedelta(hours=3)),              # not analysed: left out
    ])
    st.save_analyses([(ids[0], analysis(concern=True)), (ids[1], analysis(domain=Domain.civil_works_traffic)),
                      (ids[2], analysis()), (ids[3], analysis()), (ids[4], analysis())])
    st.save_clusters([Cluster(key="c-1", representative_id=ids[0], member_ids=(ids[0], ids[3]),
                              duplicate_of={ids[3]: ids[0]})])
    items = st.digest_items(day, day + timedelta(days=1))
    assert [i.article_id for i in items] == [ids[0], ids[3], ids[1]]
    by_id = {i.article_id: i for i in items}
    assert by_id[ids[0]].concern and by_id[ids[0]].cluster_key == "c-1" and not by_id[ids[0]].is_duplicate
    assert by_id[ids[3]].is_duplicate and by_id[ids[3]].published_at is None
    assert by_id[ids[1]].cluster_key is None
    assert by_id[ids[0]].source_name == "گیلان امروز" and by_id[ids[0]].source_kind == "local_daily"
    assert st.domain_counts(day, day + timedelta(days=1)) == {"urban_services": 2, "civil_works_traffic": 1}
    only = st.digest_items(day, day + timedelta(days=1), domain="civil_works_traffic")
    assert [i.article_id for i in only] == [ids[1]]
    # the latest analysis wins
    st.save_analyses([(ids[1], analysis(domain=Domain.urban_services, version="v2"))])
    assert st.digest_items(day, day + timedelta(days=1), domain="civil_works_traffic") == []
    assert [c.article_id for c in st.cluster_items(day, day + timedelta(days=1))] == [ids[0], ids[3], ids[1]]


def test_save_clusters_idempotent_and_replaces_membership(st):
    ids = st.add_articles([article(n) for n in range(4)])
    st.save_analyses([(i, analysis()) for i in ids])
    first = [Cluster(key="a", representative_id=ids[0], member_ids=(ids[0], ids[1])),
             Cluster(key="b", representative_id=ids[2], member_ids=(ids[2], ids[3]))]
    st.save_clusters(first)
    counts = st.table_counts()
    st.save_clusters(first)
    assert st.table_counts() == counts
    # article 1 and 3 regrouped with 0: cluster b keeps only 2, which moves too → b disappears
    st.save_clusters([Cluster(key="a", representative_id=ids[0], member_ids=tuple(ids))])
    keys = {i.article_id: i.cluster_key for i in st.digest_items(T0 - timedelta(1), T0 + timedelta(1))}
    assert keys == dict.fromkeys(ids, "a")
    assert st.table_counts()["clusters"] == 1


def test_digests_saved_and_last(st):
    p0 = T0
    st.save_digest("daily", group=None, period_start=p0, period_end=p0 + timedelta(1), content={"n": 1},
                   paths=["a.html"])
    second = st.save_digest("daily", group=None, period_start=p0 + timedelta(1), period_end=p0 + timedelta(2),
                            content={"n": 2}, paths=["b.html", "b.md"])
    st.save_digest("daily", group="urban_services", period_start=p0, period_end=p0 + timedelta(1),
                   content={"brief": True}, paths=[])
    last = st.last_digest("daily")
    assert last is not None and last.id == second and last.paths == ("b.html", "b.md")
    assert last.period_start == p0 + timedelta(1) and last.content == {"n": 2}
    brief = st.last_digest("daily", "urban_services")
    assert brief is not None and brief.content == {"brief": True}
    assert st.last_digest("weekly") is None


def test_last_digest_is_the_latest_period_not_the_latest_made(st):
    st.save_digest("morning", group=None, period_start=T0, period_end=T0 + timedelta(1), content={"n": 1}, paths=[])
    st.save_digest("morning", group=None, period_start=T0 - timedelta(8), period_end=T0 - timedelta(7),
                   content={"n": "regenerated"}, paths=[])
    assert st.last_digest("morning").content == {"n": 1}
    assert st.last_digest("morning", ending_by=T0).content == {"n": "regenerated"}
    assert st.last_digest("morning", ending_by=T0 + timedelta(1)).content == {"n": 1}
    assert st.last_digest("morning", ending_by=T0 - timedelta(9)) is None


def test_corrections_become_labels(st):
    ids = st.add_articles([article(1, lead="لید خبر"), article(2)])
    st.save_analyses([(ids[0], analysis(domain=Domain.urban_services, tone=None))])
    st.add_correction(ids[0], field="domain", value="civil_works_traffic", who="مریم", note="آسفالت است")
    st.add_correction(ids[0], field="tone", value="negative", who="مریم")
    st.add_correction(ids[1], field="municipal", value="false", who="Ali")
    with pytest.raises(StoreError, match="cannot correct"):
        st.add_correction(ids[0], field="colour", value="x", who="Ali")
    with pytest.raises(StoreError, match="domain must be one of"):
        st.add_correction(ids[0], field="domain", value="parks", who="Ali")
    with pytest.raises(StoreError, match="no article with id"):
        st.add_correction(999_999, field="rasht", value=True, who="Ali")
    with pytest.raises(StoreError, match="who"):
        st.add_correction(ids[0], field="rasht", value=True, who=" ")
    rows = {r["id"]: r for r in st.corrections_as_labels()}
    a, b = rows[f"mw-{ids[0]}"], rows[f"mw-{ids[1]}"]
    assert a["domain"] == "civil_works_traffic" and a["tone"] == "negative" and a["municipal"] is True
    assert a["text"].startswith("لید خبر") and a["title"] == article(1).title and a["who"] == "مریم"
    assert b["municipal"] is False and b["domain"] == "other" and b["tone"] is None


def test_naive_datetimes_are_refused(st):
    naive = datetime(2026, 11, 25, 6, 0)
    with pytest.raises(Exception, match="naive datetime"):
        st.add_article(article(1, published_at=naive))
    assert st.count_articles() == 0


def test_pages_dropped_as_not_about_gilan_are_remembered_for_the_crawler(st):
    sink = st.bind_run(st.start_run("nightly"))
    out, kept, err = ("https://gilan-now.example/news/9/tehran", "https://gilan-now.example/news/10/rasht",
                      "https://gilan-now.example/news/11/x")
    sink.log_fetch(FetchEvent("gilan_now", out, 200, "filtered", error="not about Gilan"))
    sink.log_fetch(FetchEvent("gilan_now", kept, 200, "new"))
    sink.log_fetch(FetchEvent("gilan_now", err, 500, "error", error="HTTP 500"))
    assert sink.filtered_urls([out, kept, err, "https://other.example/"]) == {out}
    # An old verdict is forgotten: the page may be fetched again.
    old = "https://gilan-now.example/news/8/old"
    sink.log_fetch(FetchEvent("gilan_now", old, 200, "filtered", at=T0 - timedelta(days=400)))
    assert st.filtered_urls([old]) == set()
