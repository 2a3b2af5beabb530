"""Put hand-made digest items into a real Store through its public API (articles, analyses, clusters)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from mediawatch.records import Analysis, Article, Cluster, DigestItem, SourceReport
from tests.digests.dg_factory import SOURCES


def populate(store, items: Sequence[DigestItem]) -> dict[int, int]:
    """Store `items` as articles with analyses and clusters; factory id → stored id."""
    store.sync_sources(SOURCES.values())
    articles = [
        Article(
            url=i.url,
            source_id=i.source_id,
            title=i.title,
            body=f"{i.title}\n\n{i.key_sentence}",
            fetched_at=i.fetched_at,
            published_at=i.published_at,
            lead=i.lead,
        )
        for i in items
    ]
    ids = store.add_articles(articles)
    mapping = {i.article_id: new for i, new in zip(items, ids, strict=True) if new is not None}
    store.save_analyses(
        (
            mapping[i.article_id],
            Analysis(
                norm_title=i.title,
                norm_body=i.title,
                municipal=i.municipal,
                municipal_score=0.9 if i.municipal else 0.1,
                domain=i.domain,
                domain_scores={str(i.domain): 1.0},
                secondary=i.secondary,
                rasht=i.rasht,
                places=i.places,
                concern=i.concern,
                concern_score=i.concern_score,
                key_sentence=i.key_sentence,
                tone=i.tone,
                model_version="test-1",
            ),
        )
        for i in items
        if i.article_id in mapping
    )
    members: dict[str, list[int]] = defaultdict(list)
    for i in items:
        if i.cluster_key and i.article_id in mapping:
            members[i.cluster_key].append(mapping[i.article_id])
    store.save_clusters(
        Cluster(key=k, representative_id=ids_[0], member_ids=tuple(ids_)) for k, ids_ in members.items()
    )
    return mapping


def record_run(store, reports: Sequence[SourceReport]) -> int:
    """A finished nightly run with these per-source reports (started now)."""
    run_id = store.start_run("nightly")
    store.finish_run(run_id, status="partial", reports=reports)
    return run_id
