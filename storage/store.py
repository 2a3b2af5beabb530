"""The Store: the only way stages share data (crawl state, articles, analyses, clusters, digests, runs).

`Store` is its parts over one engine, each a module of its own that works alone (docs/architecture.md,
"Inside storage"): sources, articles and crawl state (storage/articles.py), runs and the fetch log
(storage/runs.py), analyses, vectors and stories (storage/analyses.py), digest reads and the digests
delivered (storage/digests.py), search (storage/search.py), corrections and the review queue
(storage/corrections.py), export rows (storage/export.py); and, by name, `store.workspace`
(storage/workspace.py) and `store.alerts` (storage/alerts.py). This module opens the database and keeps
what spans the parts: the crawler's sink for one run and the maintenance of the whole database.

Every write is idempotent (ON CONFLICT on natural keys) and commits in small transactions, so a
process killed mid-batch loses only its uncommitted rows and a rerun completes the work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, exists, func, not_, select
from sqlalchemy.exc import DatabaseError, OperationalError

from mediawatch.records import Article, FetchEvent
from mediawatch.settings import Settings, get_settings
from mediawatch.text import one_line
from storage import db
from storage.alerts import Alerts
from storage.analyses import AnalysisStore
from storage.articles import ArticleStore
from storage.corrections import CorrectionStore, ReviewItem
from storage.digests import DigestRecord, DigestStore
from storage.errors import DatabaseCorrupt, DatabaseUnavailable, StoreError
from storage.export import ExportReader
from storage.runs import RunLog, RunRecord
from storage.schema import article_search, article_texts, articles
from storage.search import SearchHit, SearchIndex
from storage.workspace import Workspace


@dataclass(slots=True)
class RunSink:
    """CrawlState + ArticleSink for one run: passes run_id to every write."""

    store: Store
    run_id: int

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        return self.store.known_urls(urls)

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        return self.store.feed_validators(url)

    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.store.save_feed_validators(url, etag, last_modified)

    def add_article(self, article: Article) -> int | None:
        return self.store.add_article(article, run_id=self.run_id)

    def log_fetch(self, event: FetchEvent) -> None:
        self.store.log_fetch(event, run_id=self.run_id)

    def filtered_urls(self, urls: Iterable[str]) -> set[str]:
        return self.store.filtered_urls(urls)


def open_store(url: str | None = None, *, settings: Settings | None = None, read_only: bool = False) -> Store:
    """Open (and on first use create) the database at `url`, else settings.database_url.

    `read_only=True` (commands that only read): nothing is created or migrated, a missing SQLite file is
    `DatabaseNotFound`, and a file without write permission still opens (see `db.make_engine`)."""
    url = url or (settings or get_settings()).database_url
    engine = db.make_engine(url, read_only=read_only)
    try:
        db.ensure_schema(engine, read_only=read_only)
    except OperationalError as exc:
        engine.dispose()
        if engine.dialect.name == "sqlite":
            if "not a database" in str(exc.orig):
                raise _not_a_database(engine, exc) from exc
            raise _sqlite_unusable(engine, exc) from exc
        raise DatabaseUnavailable(
            f"cannot reach the database {engine.url.render_as_string(hide_password=True)}: "
            f"{one_line(str(exc.orig))}. Is the PostgreSQL server running and the URL (--db / MEDIAWATCH_DB_URL) "
            "right?"
        ) from exc
    except DatabaseError as exc:  # SQLite: "file is not a database", "database disk image is malformed"
        engine.dispose()
        raise _not_a_database(engine, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def _sqlite_unusable(engine: Engine, exc: OperationalError) -> StoreError:
    """SQLite could not open or use the file (permissions, a folder missing, disk full): say which and why."""
    where = engine.url.database
    return DatabaseUnavailable(
        f"cannot use the database file {where} ({exc.orig}): check that the file and its folder exist and "
        "that this user may read and write them (commands that only read need read access only), and that "
        "the disk is not full"
    )


def _not_a_database(engine: Engine, exc: DatabaseError) -> StoreError:
    """A clear error for a database file that is corrupt or not SQLite at all, naming the file."""
    where = engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=True)
    return DatabaseCorrupt(
        f"{where} is not a readable mediawatch database ({exc.orig}): the file is corrupt or not an SQLite "
        "database. Check --db / MEDIAWATCH_DB_URL points at the right file; restore it from a backup "
        "(docs/storage.md, Backup and restore), or move it aside to start an empty database."
    )


class Store(ArticleStore, RunLog, AnalysisStore, DigestStore, SearchIndex, CorrectionStore, ExportReader):
    """The database behind every stage: all the parts over one engine; see the module docstring and
    docs/storage.md. Each part's methods are the Store's (`store.add_articles`, `store.search`, …);
    the workspace's and the alerts' are under their names (`store.workspace`, `store.alerts`)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.workspace = Workspace(engine)  # accounts, sessions, referrals, audit log: storage/workspace.py
        self.alerts = Alerts(engine)  # early-warning alerts: storage/alerts.py

    def bind_run(self, run_id: int) -> RunSink:
        """A CrawlState + ArticleSink that records `run_id` with every article and fetch."""
        return RunSink(self, run_id)

    # --- maintenance ---------------------------------------------------------------------------
    def table_counts(self) -> dict[str, int]:
        """Rows per table (for `mediawatch db info`)."""
        from storage.schema import TABLES_IN_ORDER

        with self._read() as c:
            return {t.name: int(c.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES_IN_ORDER}

    def optimize(self) -> None:
        """Refresh the query planner's statistics (after a bulk load or copy; autovacuum does it later)."""
        with self._write() as c:
            c.exec_driver_sql("PRAGMA optimize" if self.dialect == "sqlite" else "ANALYZE")

    def revision(self) -> str | None:
        with self._read() as c:
            return db.current_revision(c)

    def check_integrity(self) -> list[str]:
        """Problems found by the backend's own check (SQLite integrity_check, FTS check); [] when sound."""
        problems: list[str] = []
        with self._read() as c:
            if self.dialect == "sqlite":
                problems += [r[0] for r in c.exec_driver_sql("PRAGMA integrity_check") if r[0] != "ok"]
                problems += [f"foreign key: {tuple(r)}" for r in c.exec_driver_sql("PRAGMA foreign_key_check")]
            orphans = c.scalar(select(func.count()).select_from(articles).where(
                not_(exists().where(article_texts.c.article_id == articles.c.id))))
            if orphans:
                problems.append(f"{orphans} article(s) without text")
            unindexed = c.scalar(select(func.count()).select_from(articles).where(
                not_(exists().where(article_search.c.article_id == articles.c.id))))
            if unindexed:
                problems.append(f"{unindexed} article(s) missing from the search index")
        if self.dialect == "sqlite":
            try:
                with self._write() as c:
                    c.exec_driver_sql("INSERT INTO article_fts(article_fts) VALUES ('integrity-check')")
            except Exception as exc:  # the FTS5 check reports corruption as an error
                problems.append(f"search index: {exc}")
        return problems


__all__ = ["DigestRecord", "ReviewItem", "RunRecord", "RunSink", "SearchHit", "Store", "open_store"]
