"""Each part of the store works alone: built over an engine, without `Store`, on SQLite and PostgreSQL.

The data a part reads comes from the part that writes it (articles from `ArticleStore`, analyses from
`AnalysisStore`), never from `Store`. The last test checks that `Store` is exactly its parts.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mediawatch.records import Alert, Cluster, Domain, FetchEvent, SourceReport
from storage import Store, db
from storage.alerts import Alerts
from storage.analyses import AnalysisStore
from storage.articles import ArticleStore
from storage.base import StoreBase
from storage.corrections import CorrectionStore
from storage.digests import DigestStore
from storage.export import ExportReader, write_export
from storage.runs import RunLog
from storage.search import SearchIndex
from storage.workspace import Workspace
from tests.storage.factory import SOURCES, T0, analysis, article

PARTS = (ArticleStore, RunLog, AnalysisStore, DigestStore, SearchIndex, CorrectionStore, ExportReader)


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = db.make_engine(store_url)
    yield eng
    eng.dispose()


def _stored(engine: Engine, n: int = 3) -> list[int]:
    part = ArticleStore(engine)
    part.sync_sources(SOURCES)
    return [i for i in part.add_articles([article(k, published_at=T0 + timedelta(hours=k)) for k in range(n)])
            if i is not None]


def _analysed(engine: Engine, n: int = 3) -> list[int]:
    ids = _stored(engine, n)
    AnalysisStore(engine).save_analyses([(i, analysis(concern=k == 0)) for k, i in enumerate(ids)])
    return ids


def test_article_store(engine: Engine) -> None:
    part = ArticleStore(engine)
    part.sync_sources(SOURCES)
    assert set(part.sources()) == {s.id for s in SOURCES}
    first, again, second = part.add_articles([article(1), article(1), article(2)])
    assert first is not None and again is None and second is not None
    assert part.add_article(article(2)) is None
    assert part.article(first) == article(1)
    assert part.known_urls([article(1).url, article(3).url]) == {article(1).url}
    assert part.count_articles() == 2
    part.save_feed_validators("https://f.example/rss", "e1", None)
    assert part.feed_validators("https://f.example/rss") == ("e1", None)
    assert not hasattr(part, "search") and not hasattr(part, "start_run")  # this part only


def test_run_log(engine: Engine) -> None:
    part = RunLog(engine)
    run = part.start_run("nightly", {"since": "yesterday"})
    part.log_fetch(FetchEvent(source_id="gilan_now", url="https://x.example/1", status=200, outcome="filtered"),
                   run_id=run)
    part.finish_run(run, status="ok", reports=[SourceReport(source_id="gilan_now", found=2, new=1, failed=1)])
    last = part.last_run("nightly")
    assert last is not None and (last.id, last.status, last.params) == (run, "ok", {"since": "yesterday"})
    assert [r.source_id for r in part.failed_sources(T0 - timedelta(days=3650), T0 + timedelta(days=3650))] == [
        "gilan_now"]
    assert [e.url for e in part.fetch_log(run_id=run)] == ["https://x.example/1"]
    assert part.filtered_urls(["https://x.example/1", "https://x.example/2"]) == {"https://x.example/1"}


def test_analysis_store(engine: Engine) -> None:
    ids = _stored(engine)
    part = AnalysisStore(engine)
    assert [i for i, _ in part.articles_to_analyse("v1")] == ids
    assert part.save_analyses([(i, analysis()) for i in ids]) == 3
    assert part.save_analyses([(ids[0], analysis())]) == 0  # once per (article, model version)
    assert list(part.articles_to_analyse("v1")) == []
    part.save_clusters([Cluster(key="c1", representative_id=ids[0], member_ids=(ids[0], ids[1]))])
    assert part.cluster_keys(ids) == {ids[0]: "c1", ids[1]: "c1"}
    assert part.cluster_key_set() == {"c1"}
    items = part.cluster_items(T0, T0 + timedelta(days=1))
    assert [(c.article_id, c.norm_title) for c in items] == [(i, "عنوان نرمال") for i in ids]


def test_digest_store(engine: Engine) -> None:
    ids = _analysed(engine)
    part = DigestStore(engine)
    got = part.digest_items(T0, T0 + timedelta(hours=2))
    assert [(i.article_id, i.domain, i.concern) for i in got] == [(ids[0], Domain.urban_services, True),
                                                                  (ids[1], Domain.urban_services, False)]
    assert part.domain_counts(T0, T0 + timedelta(days=1)) == {"urban_services": 3}
    end = T0 + timedelta(days=1)
    first = part.save_digest("morning", group=None, period_start=T0, period_end=end, content={"n": 1}, paths=[])
    again = part.save_digest("morning", group=None, period_start=T0, period_end=end, content={"n": 2}, paths=["a"])
    last = part.last_digest("morning")
    assert first == again and last is not None and (last.content, last.paths) == ({"n": 2}, ("a",))


def test_search_index(engine: Engine) -> None:
    ids = _stored(engine)
    part = SearchIndex(engine)
    hits = part.search("شماره 1")  # every word, as a prefix, folded: «1» finds «1.» in the body
    assert [h.article_id for h in hits] == [ids[1]]
    assert hits[0].source_name == SOURCES[0].name and "شماره" in hits[0].snippet
    assert part.search("") == [] and part.similar_articles(ids[0]) == []  # no vector stored: no neighbours


def test_correction_store(engine: Engine) -> None:
    ids = _analysed(engine)
    part = CorrectionStore(engine)
    part.add_correction(ids[1], field="domain", value="other", who="M. Ahmadi")
    (row,) = part.corrections_as_labels()
    assert (row["id"], row["domain"], row["municipal"], row["who"]) == (f"mw-{ids[1]}", "other", False, "M. Ahmadi")
    assert ids[1] not in {r.article_id for r in part.review_queue()}  # corrected: someone has looked at it
    assert {r.article_id for r in part.review_queue()} == {ids[0], ids[2]}


def test_export_reader(engine: Engine, tmp_path: Path) -> None:
    ids = _analysed(engine)
    out = tmp_path / "x.jsonl"
    assert write_export(ExportReader(engine), "jsonl", out, ids=ids[1:]) == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["domain"]) for r in rows] == [(ids[1], "urban_services"), (ids[2], "urban_services")]


def test_alerts_and_workspace(engine: Engine) -> None:
    ids = _analysed(engine)
    alerts = Alerts(engine)
    alerts.save([Alert(key=f"a{ids[0]}", rule="spread", critical=False, domain="urban_services", headline="h",
                       article_ids=(ids[0],), outlets=("gilan_now",), figures={}, opened_at=T0, updated_at=T0,
                       last_article_at=T0, started_at=T0)])
    assert [i.article_id for i in alerts.articles(alerts.current()[0].article_ids)] == [ids[0]]
    ws = Workspace(engine)
    assert ws.correct([ids[2]], "tone", "negative", who="chair") == 1
    assert ws.current_values([ids[2]])[ids[2]]["tone"] == "negative"
    assert [e["action"] for e in ws.audit_entries(target=f"article:{ids[2]}")] == ["correct"]
    assert [i.article_id for i in ws.story_items(f"a{ids[1]}")] == [ids[1]]


def test_store_is_its_parts_and_no_part_hides_another() -> None:
    own = {p: {n for n, v in vars(p).items() if inspect.isfunction(v) or isinstance(v, property)} for p in PARTS}
    for p in PARTS:
        for q in PARTS:
            if p is not q:
                assert not own[p] & own[q], f"{p.__name__} and {q.__name__} both define {own[p] & own[q]}"
        assert not own[p] & set(vars(StoreBase)), f"{p.__name__} redefines StoreBase"
    assert set(Store.__mro__) >= {*PARTS, StoreBase}
    public = {n for n in dir(Store) if not n.startswith("_")}
    from_parts = {n for p in (*PARTS, StoreBase) for n in vars(p) if not n.startswith("_")}
    # What Store adds itself: the crawler's sink for one run and the whole database's maintenance.
    assert public - from_parts == {"bind_run", "check_integrity", "optimize", "revision", "table_counts"}
