"""Search: the full-text index over the original text, and the nearest articles by their encoder vectors.

`SearchIndex` answers `mediawatch search` and the article page's "similar articles"; `fts_match` and
`make_snippet` are shared with the workspace's search page. The index rows are written with each article
(`index_doc`, storage/articles.py).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Select, select, text
from sqlalchemy.engine import Connection

from mediawatch.text import search_doc, search_fold, search_terms
from storage.base import StoreBase
from storage.schema import analyses, article_texts, articles, cluster_members, embeddings, sources

# Vectors read per query by similar_articles: 10,000 × 384 float16 ≈ 7.7 MB of bytes (+ 15 MB as float32;
# twice both for title + window vectors) at a time, so a 90-day window of 10^5 articles never sits in
# memory whole.
VECTOR_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search match, best first."""

    article_id: int
    url: str
    title: str
    source_id: str
    source_name: str
    published_at: datetime | None
    fetched_at: datetime
    snippet: str
    score: float
    domain: str | None = None

    @property
    def seen_at(self) -> datetime:
        return self.published_at or self.fetched_at


def index_doc(title: str, kicker: str, lead: str, body: str) -> str:
    """The text the index holds for an article: its parts, folded (mediawatch.text.search_doc)."""
    return search_doc("\n".join((title, kicker, lead, body)))


def make_snippet(text_: str, terms: Sequence[str], *, before: int = 8, after: int = 16) -> str:
    """A few original words around the first word that matches a (folded, prefix) query term.

    Text in which no folded word matches (the hit was in the title) is not scanned word by word.
    """
    words = text_.split()
    if not any(w.startswith(t) for w in search_doc(text_).split() for t in terms):
        words = words[: before + after + 1]
    for i in range(len(words)):
        folded = search_fold(" ".join(words[i : i + 2])).split()
        if folded and any(folded[0].startswith(t) for t in terms):
            start = max(0, i - before)
            head = "… " if start else ""
            tail = " …" if i + after < len(words) else ""
            return head + " ".join(words[start : i + after]) + tail
    return " ".join(words[: before + after]) + (" …" if len(words) > before + after else "")


def fts_match(dialect: str, terms: Sequence[str], *, ranked: bool = True) -> Any:
    """A subquery (article_id, score) of the articles whose index holds every term as a prefix.

    Terms are quoted for the backend's query language (FTS5 phrases, tsquery lexemes), so text a person
    types (quotes, `*`, `NEAR(`, `col:`) is matched as words, never parsed as syntax. Unranked, the score
    is 0 and not computed (ranking every match of a common word is most of a search's cost).
    """
    if dialect == "sqlite":
        fts = " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
        score = "-bm25(article_fts)" if ranked else "0.0"
        matched = text(f"SELECT rowid AS article_id, {score} AS score FROM article_fts "
                       "WHERE article_fts MATCH :q").bindparams(q=fts)
    else:
        tsq = " & ".join("'" + t.replace("'", "''").replace("\\", "") + "':*" for t in terms)
        score = "ts_rank(tsv, q)" if ranked else "0.0"
        matched = text(f"SELECT article_id, {score} AS score "
                       "FROM article_search, to_tsquery('simple', :q) AS q "
                       "WHERE tsv @@ q").bindparams(q=tsq)
    return matched.columns(article_id=articles.c.id.type, score=analyses.c.concern_score.type).subquery("m")


class SearchIndex(StoreBase):
    """Full-text search and vector neighbours over the stored articles; see docs/storage.md ("Search")."""

    def search(self, query: str, *, domain: str | None = None, since: datetime | None = None,
               source: str | None = None, limit: int = 20) -> list[SearchHit]:
        """Articles matching every word of `query` (folded, as prefixes), best first."""
        terms = search_terms(query)
        if not terms:
            return []
        m = fts_match(self.dialect, terms)
        # Rank on narrow rows first (the index, plus articles/analyses only to filter and break ties) …
        ranked = m.join(articles, articles.c.id == m.c.article_id)
        if domain is not None:
            ranked = ranked.join(analyses, analyses.c.id == articles.c.analysis_id)
        q: Select[Any] = (select(m.c.article_id, m.c.score).select_from(ranked)
                          .order_by(m.c.score.desc(), articles.c.seen_at.desc(), articles.c.id.desc()).limit(limit))
        if domain is not None:
            q = q.where(analyses.c.domain == str(domain))
        if since is not None:
            q = q.where(articles.c.seen_at >= since)
        if source is not None:
            q = q.where(articles.c.source_id == source)
        # … then read titles, outlets and texts for the few hits only.
        with self._read() as c:
            top = c.execute(q).all()
        return self._hits([(t.article_id, float(t.score)) for t in top], terms)

    def _hits(self, scored: Sequence[tuple[int, float]], terms: Sequence[str]) -> list[SearchHit]:
        """SearchHits for (article id, score) pairs, in that order: titles, outlets and texts read once."""
        details = (select(articles.c.id, articles.c.url, articles.c.title, articles.c.lead, articles.c.source_id,
                          sources.c.name.label("source_name"), articles.c.published_at, articles.c.fetched_at,
                          article_texts.c.body, analyses.c.domain)
                   .select_from(articles.join(sources, sources.c.id == articles.c.source_id)
                                .join(article_texts, article_texts.c.article_id == articles.c.id)
                                .outerjoin(analyses, analyses.c.id == articles.c.analysis_id)))
        with self._read() as c:
            rows = {r.id: r for r in c.execute(details.where(articles.c.id.in_([a for a, _s in scored])))}
        return [SearchHit(article_id=r.id, url=r.url, title=r.title, source_id=r.source_id,
                          source_name=r.source_name, published_at=r.published_at, fetched_at=r.fetched_at,
                          snippet=make_snippet(f"{r.lead}\n{r.body}", terms), score=score, domain=r.domain)
                for a, score in scored if (r := rows.get(a)) is not None]

    def similar_articles(self, article_id: int, *, limit: int = 5, days: int = 90) -> list[SearchHit]:
        """The articles nearest to this one by the cosine of their stored encoder vectors, best first.

        Candidates are the articles seen within `days` of this one (before or after) that have a vector
        of the same encoder; the article itself and its copies (the exact and near duplicates its story
        groups with it) are left out. An article without a vector has no neighbours: [].
        `SearchHit.score` is the cosine; the snippet is the opening of the text.

        Cost: brute force over the window's vectors, read in VECTOR_CHUNK rows: 90 days of ~10^5
        articles read ~77 MB of 384-d float16 vectors (~1 s on SQLite), one chunk (~23 MB) in memory
        at a time.
        """
        with self._read() as c:
            me = c.execute(select(embeddings.c.encoder, embeddings.c.vector, articles.c.seen_at)
                           .join(articles, articles.c.id == embeddings.c.article_id)
                           .where(embeddings.c.article_id == article_id)).first()
            if me is None or limit <= 0:
                return []
            copies = self._copies(c, article_id)
        query = np.frombuffer(me.vector, dtype="<f2").astype(np.float32)
        query /= max(float(np.linalg.norm(query)), 1e-6)  # vectors may be parts side by side: not unit length
        window = timedelta(days=days)
        best: list[tuple[float, int]] = []  # min-heap of (cosine, -id): the `limit` best so far
        last = 0
        while True:
            q = (select(embeddings.c.article_id, embeddings.c.vector)
                 .join(articles, articles.c.id == embeddings.c.article_id)
                 .where(embeddings.c.encoder == me.encoder, embeddings.c.article_id > last,
                        articles.c.seen_at >= me.seen_at - window, articles.c.seen_at <= me.seen_at + window)
                 .order_by(embeddings.c.article_id).limit(VECTOR_CHUNK))
            with self._read() as c:
                rows = [r for r in c.execute(q) if len(r.vector) == len(me.vector)]
            if not rows:
                break
            last = rows[-1].article_id
            ids = [r.article_id for r in rows]
            vectors = np.frombuffer(b"".join(r.vector for r in rows), dtype="<f2").reshape(len(rows), -1)
            vectors = vectors.astype(np.float32)
            cos = vectors @ query / np.maximum(np.linalg.norm(vectors, axis=1), 1e-6)
            for k in np.argsort(-cos)[: limit + len(copies)]:
                if ids[k] not in copies:
                    item = (float(cos[k]), -ids[k])  # equal cosines: the earlier article first
                    if len(best) < limit:
                        heapq.heappush(best, item)
                    elif item > best[0]:
                        heapq.heapreplace(best, item)
        return self._hits([(-neg_id, cos) for cos, neg_id in sorted(best, reverse=True)], ())

    def _copies(self, c: Connection, article_id: int) -> set[int]:
        """The article and the copies of it its story names (duplicate_of links, followed both ways)."""
        key = c.scalar(select(cluster_members.c.cluster_key).where(cluster_members.c.article_id == article_id))
        if key is None:
            return {article_id}
        links = c.execute(select(cluster_members.c.article_id, cluster_members.c.duplicate_of)
                          .where(cluster_members.c.cluster_key == key, cluster_members.c.duplicate_of.is_not(None)))
        edges = [(r.article_id, r.duplicate_of) for r in links]
        found = {article_id}
        while True:  # a story has a handful of members: repeat until no link adds one
            more = {b for a, b in edges if a in found} | {a for a, b in edges if b in found}
            if more <= found:
                return found
            found |= more
