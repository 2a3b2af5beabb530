"""The review queue on both backends: least certain first, unscored last, corrected articles left out."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from mediawatch.records import Domain
from tests.storage.factory import SOURCES, T0, analysis, article


def test_review_queue_least_certain_first(store):
    store.sync_sources(SOURCES)
    ids = store.add_articles([article(n, published_at=T0 + timedelta(hours=n)) for n in range(6)])
    doubt = {0: 0.2, 1: 0.9, 2: None, 3: 0.5, 4: 0.9, 5: 0.95}
    store.save_analyses([(ids[n], dataclasses.replace(
        analysis(domain=Domain.civil_works_traffic if n == 3 else Domain.urban_services, concern=n == 1),
        uncertainty=u)) for n, u in doubt.items() if u is not None] + [(ids[2], analysis())])
    # ids[2] got an analysis without a score: stored as NULL (as before migration 0002) → last.
    with store.engine.begin() as c:
        from storage.schema import analyses

        c.execute(analyses.update().where(analyses.c.article_id == ids[2]).values(uncertainty=None))
    store.add_correction(ids[5], field="concern", value=True, who="مریم")  # already looked at: left out

    queue = store.review_queue(10)
    # 0.9 twice: the concern score nearer 0.5 first (0.7 before 0.1); NULL last.
    assert [q.article_id for q in queue] == [ids[1], ids[4], ids[3], ids[0], ids[2]]
    top = queue[0]
    assert (top.title, top.source_name, top.domain, top.concern, top.uncertainty) == (
        article(1).title, "گیلان امروز", "urban_services", True, 0.9)
    assert queue[-1].uncertainty is None
    assert [q.article_id for q in store.review_queue(2)] == [ids[1], ids[4]]
    assert [q.article_id for q in store.review_queue(2, offset=2)] == [ids[3], ids[0]]  # the next page
    assert [q.article_id for q in store.review_queue(10, domain="civil_works_traffic")] == [ids[3]]
    assert [q.article_id for q in store.review_queue(10, since=T0 + timedelta(hours=3, minutes=30))] == [ids[4]]
