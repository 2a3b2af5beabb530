"""Analyses, encoder vectors and stories: what nlp reads and writes back.

`AnalysisStore` keeps one analysis per (article, model version), the last stored being the article's
current one, one encoder vector per article, and the story clusters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, not_, select, update
from sqlalchemy.exc import IntegrityError

from mediawatch.records import Analysis, Article, Cluster, ClusterItem
from mediawatch.timeutil import utcnow
from storage.articles import article_from_row
from storage.base import BATCH_ROWS, STREAM_CHUNK, StoreBase, analysed, chunks
from storage.errors import StoreError
from storage.schema import analyses, article_texts, articles, cluster_members, clusters, embeddings


class AnalysisStore(StoreBase):
    """Analyses, vectors and story clusters; see docs/storage.md."""

    # Statements built once: building and cache-keying a statement per row costs more than running it.
    @cached_property
    def _ins_analysis(self) -> Any:
        return (self._insert(analyses)
                .on_conflict_do_nothing(index_elements=[analyses.c.article_id, analyses.c.model_version])
                .returning(analyses.c.id, analyses.c.article_id))

    @cached_property
    def _set_current(self) -> Any:
        return update(articles).where(articles.c.id == bindparam("aid")).values(analysis_id=bindparam("anid"))

    # An article's vector is stored once: a later analysis (new model) reuses it, never re-encodes.
    @cached_property
    def _ins_embedding(self) -> Any:
        return self._insert(embeddings).on_conflict_do_nothing(index_elements=[embeddings.c.article_id])

    # --- analyses and vectors ------------------------------------------------------------------
    def articles_to_analyse(self, model_version: str, *, limit: int | None = None) -> Iterator[tuple[int, Article]]:
        """Articles with no analysis by `model_version`, oldest id first, streamed in chunks."""
        last, given = 0, 0
        done = exists().where(analyses.c.article_id == articles.c.id, analyses.c.model_version == model_version)
        while limit is None or given < limit:
            n = STREAM_CHUNK if limit is None else min(STREAM_CHUNK, limit - given)
            q = (select(articles, article_texts.c.body)
                 .join(article_texts, article_texts.c.article_id == articles.c.id)
                 .where(articles.c.id > last, not_(done)).order_by(articles.c.id).limit(n))
            with self._read() as c:
                rows = c.execute(q).all()
            if not rows:
                return
            for r in rows:
                yield r.id, article_from_row(r)
            last = rows[-1].id
            given += len(rows)

    def save_analyses(self, items: Iterable[tuple[int, Analysis]]) -> int:
        """Store analyses, idempotent per (article, model_version); how many were new.

        A newly stored analysis becomes the article's current one (digests, search --domain, export).
        """
        saved = 0
        now = utcnow()
        for chunk in chunks(items, BATCH_ROWS):
            params = [{
                "article_id": article_id, "model_version": a.model_version, "created_at": now,
                "norm_title": a.norm_title, "norm_body": a.norm_body, "municipal": a.municipal,
                "municipal_score": float(a.municipal_score), "domain": str(a.domain),
                "domain_scores": {str(k): float(v) for k, v in a.domain_scores.items()},
                "secondary": str(a.secondary) if a.secondary else None, "rasht": a.rasht,
                "places": list(a.places), "concern": a.concern, "concern_score": float(a.concern_score),
                "key_sentence": a.key_sentence, "tone": str(a.tone) if a.tone else None,
                "uncertainty": float(a.uncertainty)} for article_id, a in chunk]
            vectors = [{"article_id": article_id, "encoder": a.encoder, "vector": a.embedding}
                       for article_id, a in chunk if a.embedding is not None]
            try:
                with self._write() as c:
                    current = [{"aid": r.article_id, "anid": r.id} for r in c.execute(self._ins_analysis, params)]
                    if current:
                        c.execute(self._set_current, current)
                    if vectors:
                        c.execute(self._ins_embedding, vectors)
            except IntegrityError as exc:
                wanted = {p["article_id"] for p in params}
                with self._read() as c:
                    have = set(c.scalars(select(articles.c.id).where(articles.c.id.in_(wanted))))
                missing = ", ".join(str(i) for i in sorted(wanted - have, key=str)) or "?"
                raise StoreError(f"cannot save analyses: no such article(s) {missing} ({exc.orig})") from exc
            saved += len(current)
        return saved

    def embeddings(self, article_ids: Iterable[int], *, encoder: str | None = None) -> dict[int, bytes]:
        """Stored encoder vectors (float16 bytes) of these articles, by id; only `encoder`'s when given."""
        out: dict[int, bytes] = {}
        for chunk in chunks(article_ids, BATCH_ROWS):
            q = select(embeddings.c.article_id, embeddings.c.vector).where(embeddings.c.article_id.in_(chunk))
            if encoder:
                q = q.where(embeddings.c.encoder == encoder)
            with self._read() as c:
                out.update({r.article_id: r.vector for r in c.execute(q)})
        return out

    def count_unanalysed(self, since: datetime, until: datetime) -> int:
        """Articles seen in [since, until) that have no analysis yet (absent from digests until analysed)."""
        q = (select(func.count()).select_from(articles)
             .where(articles.c.seen_at >= since, articles.c.seen_at < until, articles.c.analysis_id.is_(None)))
        with self._read() as c:
            return int(c.scalar(q) or 0)

    # --- stories -------------------------------------------------------------------------------
    def cluster_items(self, since: datetime, until: datetime) -> list[ClusterItem]:
        """Analysed articles seen in [since, until) with their current analysis' normalised text and
        stored vector (None when absent). Only one encoder's vectors are given, the one most of these
        articles have: after an encoder change, older articles keep the previous encoder's vectors,
        and cosines across two encoders mean nothing."""
        q = (select(articles.c.id, articles.c.source_id, articles.c.published_at, articles.c.fetched_at,
                    analyses.c.norm_title, analyses.c.norm_body, embeddings.c.encoder, embeddings.c.vector)
             .select_from(analysed().outerjoin(embeddings, embeddings.c.article_id == articles.c.id))
             .where(articles.c.seen_at >= since, articles.c.seen_at < until)
             .order_by(articles.c.seen_at, articles.c.id))
        with self._read() as c:
            rows = c.execute(q).all()
        main = Counter(r.encoder for r in rows if r.encoder is not None).most_common(1)
        encoder = main[0][0] if main else None
        return [ClusterItem(article_id=r.id, source_id=r.source_id, published_at=r.published_at,
                            fetched_at=r.fetched_at, norm_title=r.norm_title, norm_body=r.norm_body,
                            embedding=r.vector if encoder is not None and r.encoder == encoder else None)
                for r in rows]

    def cluster_keys(self, article_ids: Iterable[int]) -> dict[int, str]:
        """The story key each of these articles belongs to now (articles in no story are left out)."""
        out: dict[int, str] = {}
        for chunk in chunks(article_ids, BATCH_ROWS):
            with self._read() as c:
                out.update((r.article_id, r.cluster_key) for r in c.execute(
                    select(cluster_members.c.article_id, cluster_members.c.cluster_key)
                    .where(cluster_members.c.article_id.in_(chunk))))
        return out

    def cluster_key_set(self) -> set[str]:
        """Every story key stored (a new story must not take the key of an old one)."""
        with self._read() as c:
            return set(c.scalars(select(clusters.c.key)))

    def save_clusters(self, clusters_: Iterable[Cluster]) -> None:
        """Store story clusters; each member article's earlier membership is replaced."""
        now = utcnow()
        for chunk in chunks(clusters_, BATCH_ROWS):
            with self._write() as c:
                for cl in chunk:
                    members = dict.fromkeys((cl.representative_id, *cl.member_ids, *cl.duplicate_of))
                    stmt = self._insert(clusters).values(key=cl.key, representative_id=cl.representative_id,
                                                         updated_at=now)
                    stmt = stmt.on_conflict_do_update(
                        index_elements=[clusters.c.key],
                        set_={"representative_id": stmt.excluded.representative_id,
                              "updated_at": stmt.excluded.updated_at},
                        where=clusters.c.representative_id != stmt.excluded.representative_id)
                    c.execute(stmt)
                    c.execute(delete(cluster_members).where(cluster_members.c.article_id.in_(list(members))))
                    c.execute(cluster_members.insert(), [
                        dict(article_id=m, cluster_key=cl.key, duplicate_of=cl.duplicate_of.get(m))
                        for m in members])
                c.execute(delete(clusters).where(
                    not_(exists().where(cluster_members.c.cluster_key == clusters.c.key))))
