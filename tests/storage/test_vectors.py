"""Stored encoder vectors on both backends: cluster_items carries them, similar_articles ranks by them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from mediawatch.records import Cluster
from nlp.encoder import encode_vector
from tests.storage.factory import SOURCES, T0, analysis, article

DIM = 384


@pytest.fixture
def st(store):
    store.sync_sources(SOURCES)
    return store


def unit(*pairs: tuple[int, float]) -> np.ndarray:
    """A unit vector with the given (dimension, weight) components."""
    v = np.zeros(DIM, dtype=np.float32)
    for k, w in pairs:
        v[k] = w
    return v / np.linalg.norm(v)


def analysed(st, vectors, *, encoder="e5-test", days=None):
    """Articles 0..n-1 (article k seen `days[k]` days after T0), analysed; vectors[k] None: no vector."""
    days = days or [0] * len(vectors)
    ids = st.add_articles([article(k, published_at=T0 + timedelta(days=d)) for k, d in enumerate(days)])
    st.save_analyses([(i, dataclasses.replace(analysis(), encoder=encoder,
                                              embedding=None if v is None else encode_vector(v)))
                      for i, v in zip(ids, vectors, strict=True)])
    return ids


def test_cluster_items_carry_stored_vectors_and_none_without(st):
    v = unit((0, 1.0), (1, 0.5))
    ids = analysed(st, [v, None, unit((2, 1.0))])
    items = {i.article_id: i for i in st.cluster_items(T0, T0 + timedelta(days=1))}
    assert set(items) == set(ids)
    assert items[ids[0]].embedding == encode_vector(v)
    assert np.allclose(np.frombuffer(items[ids[0]].embedding, dtype="<f2"), v, atol=1e-3)
    assert items[ids[1]].embedding is None
    assert items[ids[2]].embedding is not None


def test_cluster_items_without_any_vector(st):
    analysed(st, [None, None])
    assert [i.embedding for i in st.cluster_items(T0, T0 + timedelta(days=1))] == [None, None]


def test_cluster_items_give_one_encoders_vectors_only(st):
    old = analysed(st, [unit((0, 1.0))], encoder="old-encoder")
    new = st.add_articles([article(n) for n in (10, 11)])
    st.save_analyses([(i, dataclasses.replace(analysis(), encoder="new-encoder", embedding=encode_vector(unit((1, 1.0)))))
                      for i in new])
    items = {i.article_id: i for i in st.cluster_items(T0, T0 + timedelta(days=1))}
    assert items[old[0]].embedding is None  # the minority encoder's vector would not compare
    assert all(items[i].embedding is not None for i in new)


def test_similar_articles_rank_the_nearest_vector_first(st):
    base = unit((0, 1.0), (1, 1.0))
    ids = analysed(st, [
        base,                                   # 0: the article asked about
        unit((0, 1.0), (1, 0.2)),               # 1: related, less so
        unit((0, 1.0), (1, 0.9), (5, 0.1)),      # 2: nearest
        unit((7, 1.0)),                         # 3: unrelated
        None,                                   # 4: no vector
        base,                                   # 5: a copy of 0 (its story says so)
        unit((0, 1.0), (1, 1.0), (6, 0.05)),     # 6: nearer than 2, but seen 200 days later
    ], days=[0, 1, 2, 3, 0, 0, 200])
    st.save_clusters([Cluster(key="s", representative_id=ids[0], member_ids=(ids[0], ids[2], ids[5]),
                              duplicate_of={ids[5]: ids[0]})])
    hits = st.similar_articles(ids[0], limit=5)
    assert [h.article_id for h in hits] == [ids[2], ids[1], ids[3]]
    assert hits[0].score > hits[1].score > hits[2].score
    assert hits[0].score == pytest.approx(float(unit((0, 1.0), (1, 0.9), (5, 0.1)) @ base), abs=2e-3)
    assert hits[0].title == article(2).title and hits[0].source_name == "گیلان امروز" and hits[0].snippet
    assert [h.article_id for h in st.similar_articles(ids[0], limit=1)] == [ids[2]]
    assert ids[6] in [h.article_id for h in st.similar_articles(ids[0], limit=5, days=365)]
    # the copy asks: the original is left out too
    assert ids[0] not in [h.article_id for h in st.similar_articles(ids[5])]


def test_similar_articles_of_an_article_without_vector_is_empty(st):
    ids = analysed(st, [None, unit((0, 1.0))])
    assert st.similar_articles(ids[0]) == []
    assert st.similar_articles(10**9) == []


def test_similar_articles_score_is_the_cosine_of_vectors_not_unit_long(st):
    # the analyzer may store two unit vectors side by side (title, window): length √2
    a, b = unit((0, 1.0)), unit((0, 1.0), (1, 1.0))
    ids = analysed(st, [np.concatenate([a, a]), np.concatenate([b, a])])
    (hit,) = st.similar_articles(ids[0])
    assert hit.article_id == ids[1]
    assert hit.score == pytest.approx((float(a @ b) + 1.0) / 2, abs=2e-3)


def test_similar_articles_compare_one_encoders_vectors(st):
    ids = analysed(st, [unit((0, 1.0)), unit((0, 1.0), (1, 0.1))], encoder="a")
    other = st.add_articles([article(20)])
    st.save_analyses([(other[0], dataclasses.replace(analysis(), encoder="b", embedding=encode_vector(unit((0, 1.0)))))])
    assert [h.article_id for h in st.similar_articles(ids[0])] == [ids[1]]
