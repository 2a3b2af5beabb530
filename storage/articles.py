"""Sources, articles and the crawl state: what the collector writes and what it remembers between nights.

`ArticleStore` stores each article once (unique by canonical URL) with its text and its search-index row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from mediawatch.records import Article, Scope, Source, SourceKind
from mediawatch.timeutil import utcnow
from storage.base import BATCH_ROWS, StoreBase, chunks
from storage.errors import StoreError
from storage.schema import article_search, article_texts, articles, feed_state, sources
from storage.search import index_doc


def _source_config(s: Source) -> dict[str, Any]:
    out = dataclasses.asdict(s)
    return {k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, SourceKind | Scope) else v)
            for k, v in out.items()}


def _source_from_config(cfg: dict[str, Any]) -> Source:
    names = {f.name for f in dataclasses.fields(Source)}
    kw = {k: v for k, v in cfg.items() if k in names}
    kw["kind"] = SourceKind(kw["kind"])
    kw["scope"] = Scope(kw["scope"])
    for k in ("feeds", "listings", "sitemaps", "domains"):
        if k in kw:
            kw[k] = tuple(kw[k])
    return Source(**kw)


def article_from_row(r: Row[Any]) -> Article:
    return Article(url=r.url, source_id=r.source_id, title=r.title, body=r.body, fetched_at=r.fetched_at,
                   published_at=r.published_at, published_raw=r.published_raw, kicker=r.kicker, lead=r.lead,
                   authors=tuple(r.authors or ()), tags=tuple(r.tags or ()), section=r.section)


class ArticleStore(StoreBase):
    """Sources, articles (original text, indexed for search) and the crawl state; see docs/storage.md."""

    # Statements built once: building and cache-keying a statement per row costs more than running it.
    @cached_property
    def _ins_article(self) -> Any:
        return (self._insert(articles).on_conflict_do_nothing(index_elements=[articles.c.url])
                .returning(articles.c.id))

    @cached_property
    def _ins_articles(self) -> Any:
        return (self._insert(articles).on_conflict_do_nothing(index_elements=[articles.c.url])
                .returning(articles.c.id, articles.c.url))

    # --- sources -------------------------------------------------------------------------------
    def sync_sources(self, sources_: Iterable[Source]) -> None:
        """Insert or update sources by id (sources no longer declared are kept: articles refer to them)."""
        now = utcnow()
        rows = [dict(id=s.id, name=s.name, homepage=s.homepage, kind=str(s.kind), scope=str(s.scope),
                     enabled=s.enabled, config=_source_config(s), updated_at=now) for s in sources_]
        for chunk in chunks(rows, BATCH_ROWS):
            stmt = self._insert(sources).values(chunk)
            stmt = stmt.on_conflict_do_update(
                index_elements=[sources.c.id],
                set_={c: stmt.excluded[c] for c in ("name", "homepage", "kind", "scope", "enabled", "config",
                                                    "updated_at")},
            )
            with self._write() as c:
                c.execute(stmt)

    def sources(self) -> dict[str, Source]:
        """Every stored source by id."""
        with self._read() as c:
            return {r.id: _source_from_config(r.config) for r in c.execute(select(sources.c.id, sources.c.config))}

    # --- crawl state ---------------------------------------------------------------------------
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of `urls` (canonical) already stored."""
        found: set[str] = set()
        with self._read() as c:
            for chunk in chunks(dict.fromkeys(urls), BATCH_ROWS):
                found.update(c.scalars(select(articles.c.url).where(articles.c.url.in_(chunk))))
        return found

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) last seen for a feed, or (None, None)."""
        with self._read() as c:
            r = c.execute(select(feed_state.c.etag, feed_state.c.last_modified).where(feed_state.c.url == url)).first()
        return (r.etag, r.last_modified) if r else (None, None)

    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        stmt = self._insert(feed_state).values(url=url, etag=etag, last_modified=last_modified, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[feed_state.c.url],
            set_={"etag": stmt.excluded.etag, "last_modified": stmt.excluded.last_modified,
                  "updated_at": stmt.excluded.updated_at},
        )
        with self._write() as c:
            c.execute(stmt)

    # --- articles ------------------------------------------------------------------------------
    def _add_batch(self, c: Connection, batch: Sequence[Article], run_id: int | None) -> list[int | None]:
        """Insert articles in one multi-row statement, then their texts and index rows; ids in input order."""
        first: dict[str, Article] = {}
        for a in batch:
            first.setdefault(a.url, a)  # a URL twice in one batch is stored once
        params = [{
            "url": a.url, "source_id": a.source_id, "title": a.title, "kicker": a.kicker, "lead": a.lead,
            "published_at": a.published_at, "published_raw": a.published_raw, "fetched_at": a.fetched_at,
            "seen_at": a.published_at or a.fetched_at, "authors": list(a.authors), "tags": list(a.tags),
            "section": a.section, "content_hash": a.content_hash, "run_id": run_id} for a in first.values()]
        if len(params) == 1:
            new_id = c.execute(self._ins_article, params[0]).scalar()
            new = {params[0]["url"]: new_id} if new_id is not None else {}
        else:  # executemany with RETURNING: SQLAlchemy batches it into multi-VALUES statements
            new = {r.url: r.id for r in c.execute(self._ins_articles, params)}
        texts = [{"article_id": new[u], "body": a.body} for u, a in first.items() if u in new]
        if texts:
            c.execute(article_texts.insert(), texts)
            c.execute(article_search.insert(), [
                {"article_id": new[u], "doc": index_doc(a.title, a.kicker, a.lead, a.body)}
                for u, a in first.items() if u in new])
        out: list[int | None] = []
        for a in batch:
            i = new.pop(a.url, None)
            out.append(None if i is None else int(i))
        return out

    def _unknown_source(self, exc: IntegrityError, batch: Sequence[Article]) -> StoreError:
        known = set(self.sources())
        missing = sorted({a.source_id for a in batch} - known)
        if missing:
            return StoreError(f"unknown source id(s) {', '.join(missing)}: call sync_sources() with the "
                              "sources (sources.toml) before adding their articles")
        return StoreError(f"could not store the article(s): {exc.orig}")

    def add_article(self, article: Article, *, run_id: int | None = None) -> int | None:
        """Store one article (committed at once); its new id, or None when its URL was already stored."""
        try:
            with self._write() as c:
                return self._add_batch(c, [article], run_id)[0]
        except IntegrityError as exc:
            raise self._unknown_source(exc, [article]) from exc

    def add_articles(self, items: Iterable[Article], *, run_id: int | None = None) -> list[int | None]:
        """Store many articles, BATCH_ROWS per transaction; ids (None for known URLs), in input order."""
        out: list[int | None] = []
        for chunk in chunks(items, BATCH_ROWS):
            try:
                with self._write() as c:
                    out.extend(self._add_batch(c, chunk, run_id))
            except IntegrityError as exc:
                raise self._unknown_source(exc, chunk) from exc
        return out

    def article(self, article_id: int) -> Article | None:
        """One stored article (original text), or None."""
        q = (select(articles, article_texts.c.body)
             .join(article_texts, article_texts.c.article_id == articles.c.id)
             .where(articles.c.id == article_id))
        with self._read() as c:
            r = c.execute(q).first()
        return article_from_row(r) if r else None

    def count_articles(self) -> int:
        with self._read() as c:
            return int(c.scalar(select(func.count()).select_from(articles)) or 0)
