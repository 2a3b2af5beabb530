"""The Store: the only way stages share data (crawl state, articles, analyses, clusters, digests, runs).

Every write is idempotent (ON CONFLICT on natural keys) and commits in small transactions, so a
process killed mid-batch loses only its uncommitted rows and a rerun completes the work.
"""

from __future__ import annotations

import dataclasses
import heapq
import os
import socket
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import Engine, Select, bindparam, delete, exists, func, not_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from mediawatch.records import (
    CORRECTABLE_FIELDS,
    Analysis,
    Article,
    Cluster,
    ClusterItem,
    DigestItem,
    Domain,
    FetchEvent,
    Scope,
    Source,
    SourceKind,
    SourceReport,
    Tone,
)
from mediawatch.settings import Settings, get_settings
from mediawatch.text import one_line, search_doc, search_fold, search_terms, short_message
from mediawatch.timeutil import utcnow
from storage import db
from storage.errors import DatabaseCorrupt, DatabaseUnavailable, StoreError
from storage.schema import (
    analyses,
    article_search,
    article_texts,
    articles,
    cluster_members,
    clusters,
    corrections,
    digests,
    embeddings,
    feed_state,
    fetch_log,
    run_reports,
    runs,
    sources,
)

# Rows per write transaction in batch methods: small enough that a killed process loses at most a
# second of work and other writers wait little for the lock, large enough to amortise the commit.
BATCH_ROWS = 500
# A page dropped as not about Gilan is not fetched again for 30 days: national feeds keep an item for
# days, not months, and the look-up stays a bounded scan of the recent fetch log.
FILTERED_MEMORY_DAYS = 30
# Rows fetched per query when streaming (articles_to_analyse, export): keeps memory flat.
STREAM_CHUNK = 1000
# Vectors read per query by similar_articles: 10,000 × 384 float16 ≈ 7.7 MB of bytes (+ 15 MB as float32;
# twice both for title + window vectors) at a time, so a 90-day window of 10^5 articles never sits in
# memory whole.
VECTOR_CHUNK = 10_000
# A run still `running` this long after it started, on a machine that cannot check its process, was
# abandoned: a night lasts minutes to an hour (every source has a time budget), never a day.
ABANDONED_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run (nightly collect, digest, …) as stored."""

    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    params: dict[str, Any]
    summary: dict[str, Any] | None
    reports: tuple[SourceReport, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """A digest or brief as delivered."""

    id: int
    kind: str
    group: str | None
    period_start: datetime
    period_end: datetime
    created_at: datetime
    content: dict[str, Any]
    paths: tuple[str, ...]


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


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One article in the review queue (`Store.review_queue`)."""

    article_id: int
    url: str
    title: str
    source_id: str
    source_name: str
    seen_at: datetime
    domain: str
    concern: bool
    uncertainty: float | None
    concern_score: float = 0.0
    tone: str | None = None


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


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, from /proc: the start time tells it
    from a later process that reuses its id. None where /proc is missing or the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()  # fields 3… (after "pid (comm)")
        return fields[0], fields[19]  # field 3 state, field 22 starttime
    except (OSError, IndexError):
        return None


def _asked(params: dict[str, Any] | None) -> dict[str, Any]:
    """A run's parameters as it was asked, without the bookkeeping `start_run` adds (its owner)."""
    return {k: v for k, v in (params or {}).items() if k != "owner"}


def _this_process() -> dict[str, Any]:
    stat = _proc_stat(os.getpid())
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": stat[1] if stat else None}


def _process_alive(pid: int, since: str | None) -> bool:
    """Is the process that recorded (pid, since) still running on this machine?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    stat = _proc_stat(pid)
    if stat is None:  # no /proc: os.kill said it exists
        return True
    state, started = stat
    return state not in ("Z", "X") and (since is None or started == since)  # a zombie is dead, not yet reaped


def _not_a_database(engine: Engine, exc: DatabaseError) -> StoreError:
    """A clear error for a database file that is corrupt or not SQLite at all, naming the file."""
    where = engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=True)
    return DatabaseCorrupt(
        f"{where} is not a readable mediawatch database ({exc.orig}): the file is corrupt or not an SQLite "
        "database. Check --db / MEDIAWATCH_DB_URL points at the right file; restore it from a backup "
        "(docs/storage.md, Backup and restore), or move it aside to start an empty database."
    )


def _chunks[T](items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


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


def _report_from_row(r: Row[Any]) -> SourceReport:
    return SourceReport(source_id=r.source_id, found=r.found, new=r.new, failed=r.failed, skipped=r.skipped,
                        errors=list(r.errors or []), fatal=r.fatal)


def _article_from_row(r: Row[Any]) -> Article:
    return Article(url=r.url, source_id=r.source_id, title=r.title, body=r.body, fetched_at=r.fetched_at,
                   published_at=r.published_at, published_raw=r.published_raw, kicker=r.kicker, lead=r.lead,
                   authors=tuple(r.authors or ()), tags=tuple(r.tags or ()), section=r.section)


def _search_doc(title: str, kicker: str, lead: str, body: str) -> str:
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


class Store:
    """The database behind every stage; see the module docstring and docs/storage.md."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)  # reopenable, e.g. by a subprocess
        self.display_url = engine.url.render_as_string(hide_password=True)  # for messages and logs
        self.dialect = engine.dialect.name
        # Statements built once: building and cache-keying a statement per row costs more than running it.
        self._ins_article = (self._insert(articles).on_conflict_do_nothing(index_elements=[articles.c.url])
                             .returning(articles.c.id))
        self._ins_articles = (self._insert(articles).on_conflict_do_nothing(index_elements=[articles.c.url])
                              .returning(articles.c.id, articles.c.url))
        self._ins_analysis = (self._insert(analyses)
                              .on_conflict_do_nothing(index_elements=[analyses.c.article_id, analyses.c.model_version])
                              .returning(analyses.c.id, analyses.c.article_id))
        self._set_current = (update(articles).where(articles.c.id == bindparam("aid"))
                             .values(analysis_id=bindparam("anid")))
        # An article's vector is stored once: a later analysis (new model) reuses it, never re-encodes.
        self._ins_embedding = (self._insert(embeddings)
                               .on_conflict_do_nothing(index_elements=[embeddings.c.article_id]))
        from storage.workspace import Workspace

        self.workspace = Workspace(self)  # accounts, sessions, referrals, audit log: storage/workspace.py
        from storage.alerts import Alerts

        self.alerts = Alerts(self)  # early-warning alerts: storage/alerts.py

    # --- plumbing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _write(self) -> Any:
        return db.write_tx(self.engine)

    def _read(self) -> Any:
        return db.read_tx(self.engine)

    # --- sources -------------------------------------------------------------------------------
    def sync_sources(self, sources_: Iterable[Source]) -> None:
        """Insert or update sources by id (sources no longer declared are kept: articles refer to them)."""
        now = utcnow()
        rows = [dict(id=s.id, name=s.name, homepage=s.homepage, kind=str(s.kind), scope=str(s.scope),
                     enabled=s.enabled, config=_source_config(s), updated_at=now) for s in sources_]
        for chunk in _chunks(rows, BATCH_ROWS):
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
            for chunk in _chunks(dict.fromkeys(urls), BATCH_ROWS):
                found.update(c.scalars(select(articles.c.url).where(articles.c.url.in_(chunk))))
        return found

    def filtered_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of `urls` a recent fetch dropped as not about Gilan (fetch-log outcome "filtered").

        The crawler skips them instead of fetching the same out-of-scope page every night while it stays
        in a national feed. Only the last FILTERED_MEMORY_DAYS count, so the scan stays bounded.
        """
        since = utcnow() - timedelta(days=FILTERED_MEMORY_DAYS)
        found: set[str] = set()
        with self._read() as c:
            for chunk in _chunks(dict.fromkeys(urls), BATCH_ROWS):
                found.update(c.scalars(
                    select(fetch_log.c.url).distinct().where(
                        fetch_log.c.url.in_(chunk), fetch_log.c.outcome == "filtered", fetch_log.c.at >= since)
                ))
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
                {"article_id": new[u], "doc": _search_doc(a.title, a.kicker, a.lead, a.body)}
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
        for chunk in _chunks(items, BATCH_ROWS):
            try:
                with self._write() as c:
                    out.extend(self._add_batch(c, chunk, run_id))
            except IntegrityError as exc:
                raise self._unknown_source(exc, chunk) from exc
        return out

    def log_fetch(self, event: FetchEvent, *, run_id: int | None = None) -> None:
        """Append one fetch outcome to the fetch log."""
        with self._write() as c:
            c.execute(fetch_log.insert().values(run_id=run_id, source_id=event.source_id, url=event.url,
                                                status=event.status, outcome=event.outcome, error=event.error,
                                                at=event.at or utcnow(), elapsed_ms=event.elapsed_ms))

    def fetch_log(self, *, run_id: int | None = None, source_id: str | None = None) -> list[FetchEvent]:
        """Fetch-log entries, oldest first (for reports and tests)."""
        q = select(fetch_log).order_by(fetch_log.c.id)
        if run_id is not None:
            q = q.where(fetch_log.c.run_id == run_id)
        if source_id is not None:
            q = q.where(fetch_log.c.source_id == source_id)
        with self._read() as c:
            return [FetchEvent(source_id=r.source_id, url=r.url, status=r.status, outcome=r.outcome,
                               error=r.error, at=r.at, elapsed_ms=r.elapsed_ms) for r in c.execute(q)]

    def bind_run(self, run_id: int) -> RunSink:
        """A CrawlState + ArticleSink that records `run_id` with every article and fetch."""
        return RunSink(self, run_id)

    def article(self, article_id: int) -> Article | None:
        """One stored article (original text), or None."""
        q = (select(articles, article_texts.c.body)
             .join(article_texts, article_texts.c.article_id == articles.c.id)
             .where(articles.c.id == article_id))
        with self._read() as c:
            r = c.execute(q).first()
        return _article_from_row(r) if r else None

    def count_articles(self) -> int:
        with self._read() as c:
            return int(c.scalar(select(func.count()).select_from(articles)) or 0)

    # --- runs ----------------------------------------------------------------------------------
    def start_run(self, kind: str, params: dict[str, Any] | None = None) -> int:
        """Record a run as started (with the process that runs it); its id.

        Runs an earlier process left `running` and that can no longer finish are marked `interrupted`
        first (`mark_abandoned_runs`), so a killed night never stays "running" forever."""
        self.mark_abandoned_runs()
        with self._write() as c:
            return int(c.execute(runs.insert().values(
                kind=kind, params={**(params or {}), "owner": _this_process()}, started_at=utcnow(),
                status="running").returning(runs.c.id)).scalar_one())

    def mark_abandoned_runs(self, *, now: datetime | None = None) -> list[int]:
        """Mark `interrupted` every run still `running` whose process is gone: on this machine, its process
        id is no longer that process; elsewhere (or unknown), it started over ABANDONED_AFTER ago. The ids."""
        now = now or utcnow()
        me = _this_process()
        with self._read() as c:
            rows = c.execute(select(runs.c.id, runs.c.params, runs.c.started_at)
                             .where(runs.c.status == "running")).all()
        gone = []
        for r in rows:
            owner = (r.params or {}).get("owner") or {}
            if owner.get("host") == me["host"] and "pid" in owner:
                if not _process_alive(int(owner["pid"]), owner.get("since")):
                    gone.append(r.id)
            elif r.started_at < now - ABANDONED_AFTER:
                gone.append(r.id)
        if gone:
            with self._write() as c:
                for run_id in gone:  # `status == running` again: a run that finished meanwhile is left alone
                    c.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(
                        status="interrupted",
                        summary={"error": "interrupted: the process running it stopped (killed, or the machine "
                                          "restarted) before it finished; what it stored is kept"}))
        return gone

    def finish_run(self, run_id: int, *, status: str, reports: Sequence[SourceReport],
                   summary: dict[str, Any] | None = None) -> None:
        """Record a run's end, its per-source reports (replacing any earlier ones) and summary."""
        with self._write() as c:
            n = c.execute(update(runs).where(runs.c.id == run_id)
                          .values(status=status, finished_at=utcnow(), summary=summary)).rowcount
            if not n:
                raise StoreError(f"no run with id {run_id}: start it with start_run()")
            c.execute(delete(run_reports).where(run_reports.c.run_id == run_id))
            rows = {r.source_id: dict(run_id=run_id, source_id=r.source_id, found=r.found, new=r.new,
                                      failed=r.failed, skipped=r.skipped,
                                      errors=[short_message(e) for e in r.errors], fatal=short_message(r.fatal))
                    for r in reports}
            if rows:
                c.execute(run_reports.insert(), list(rows.values()))

    def failed_sources(self, since: datetime, until: datetime) -> list[SourceReport]:
        """Sources whose latest report from runs started in [since, until) has a fatal error or failed pages.

        A source that failed early in the night and succeeded in a later (catch-up) run is not listed;
        reports come oldest run first, then by source id.
        """
        q = (select(run_reports).join(runs, runs.c.id == run_reports.c.run_id)
             .where(runs.c.started_at >= since, runs.c.started_at < until)
             .order_by(runs.c.started_at, runs.c.id, run_reports.c.source_id))
        with self._read() as c:
            latest = {r.source_id: (n, r) for n, r in enumerate(c.execute(q))}
        return [_report_from_row(r) for _, r in sorted(latest.values(), key=lambda x: x[0])
                if r.fatal != "" or r.failed > 0]

    def last_run(self, kind: str | Sequence[str]) -> RunRecord | None:
        """The most recently started run of this kind (or of any of these kinds), with its reports."""
        kinds = [kind] if isinstance(kind, str) else list(kind)
        with self._read() as c:
            r = c.execute(select(runs).where(runs.c.kind.in_(kinds))
                          .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)).first()
            if r is None:
                return None
            reps = tuple(_report_from_row(x) for x in c.execute(
                select(run_reports).where(run_reports.c.run_id == r.id).order_by(run_reports.c.source_id)))
        return RunRecord(id=r.id, kind=r.kind, status=r.status, started_at=r.started_at,
                         finished_at=r.finished_at, params=_asked(r.params), summary=r.summary, reports=reps)

    # --- nlp -----------------------------------------------------------------------------------
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
                yield r.id, _article_from_row(r)
            last = rows[-1].id
            given += len(rows)

    def save_analyses(self, items: Iterable[tuple[int, Analysis]]) -> int:
        """Store analyses, idempotent per (article, model_version); how many were new.

        A newly stored analysis becomes the article's current one (digests, search --domain, export).
        """
        saved = 0
        now = utcnow()
        for chunk in _chunks(items, BATCH_ROWS):
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
        for chunk in _chunks(article_ids, BATCH_ROWS):
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

    def _analysed(self) -> Any:
        return articles.join(analyses, analyses.c.id == articles.c.analysis_id)

    def cluster_items(self, since: datetime, until: datetime) -> list[ClusterItem]:
        """Analysed articles seen in [since, until) with their current analysis' normalised text and
        stored vector (None when absent). Only one encoder's vectors are given, the one most of these
        articles have: after an encoder change, older articles keep the previous encoder's vectors,
        and cosines across two encoders mean nothing."""
        q = (select(articles.c.id, articles.c.source_id, articles.c.published_at, articles.c.fetched_at,
                    analyses.c.norm_title, analyses.c.norm_body, embeddings.c.encoder, embeddings.c.vector)
             .select_from(self._analysed().outerjoin(embeddings, embeddings.c.article_id == articles.c.id))
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
        for chunk in _chunks(article_ids, BATCH_ROWS):
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
        for chunk in _chunks(clusters_, BATCH_ROWS):
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

    # --- digests -------------------------------------------------------------------------------
    def _digest_query(self) -> Select[Any]:
        return (select(articles.c.id, articles.c.url, articles.c.source_id, sources.c.name.label("source_name"),
                       sources.c.kind.label("source_kind"), articles.c.title, articles.c.lead,
                       articles.c.published_at, articles.c.fetched_at, analyses.c.municipal, analyses.c.domain,
                       analyses.c.secondary, analyses.c.rasht, analyses.c.places, analyses.c.concern,
                       analyses.c.concern_score, analyses.c.key_sentence, analyses.c.tone,
                       cluster_members.c.cluster_key, cluster_members.c.duplicate_of)
                .select_from(self._analysed()
                             .join(sources, sources.c.id == articles.c.source_id)
                             .outerjoin(cluster_members, cluster_members.c.article_id == articles.c.id))
                .order_by(articles.c.seen_at, articles.c.id))

    def _digest_rows(self, q: Select[Any], *, late: bool = False) -> list[DigestItem]:
        with self._read() as c:
            return [DigestItem(
                article_id=r.id, url=r.url, source_id=r.source_id, source_name=r.source_name,
                source_kind=SourceKind(r.source_kind), title=r.title, lead=r.lead, published_at=r.published_at,
                fetched_at=r.fetched_at, municipal=r.municipal, domain=Domain(r.domain),
                secondary=Domain(r.secondary) if r.secondary else None, rasht=r.rasht,
                places=tuple(r.places or ()), concern=r.concern, concern_score=r.concern_score,
                key_sentence=r.key_sentence, tone=Tone(r.tone) if r.tone else None,
                cluster_key=r.cluster_key, is_duplicate=r.duplicate_of is not None, late=late) for r in c.execute(q)]

    def digest_items(self, since: datetime, until: datetime, *, domain: str | None = None) -> list[DigestItem]:
        """Analysed articles seen in [since, until) (optionally of one primary domain), oldest first."""
        q = self._digest_query().where(articles.c.seen_at >= since, articles.c.seen_at < until)
        if domain is not None:
            q = q.where(analyses.c.domain == str(domain))
        return self._digest_rows(q)

    def late_items(self, published_since: datetime, published_until: datetime,
                   fetched_after: datetime) -> list[DigestItem]:
        """Late finds: analysed articles seen in [published_since, published_until) but fetched after
        `fetched_after` (the previous digest's making), so no digest has shown them; marked late, oldest first."""
        q = self._digest_query().where(articles.c.seen_at >= published_since, articles.c.seen_at < published_until,
                                       articles.c.fetched_at > fetched_after)
        return self._digest_rows(q, late=True)

    def domain_counts(self, since: datetime, until: datetime, *, municipal_only: bool = False) -> dict[str, int]:
        """How many analysed articles seen in [since, until) each primary domain has."""
        q = (select(analyses.c.domain, func.count()).select_from(self._analysed())
             .where(articles.c.seen_at >= since, articles.c.seen_at < until).group_by(analyses.c.domain))
        if municipal_only:
            q = q.where(analyses.c.municipal.is_(True))
        with self._read() as c:
            return {d: int(n) for d, n in c.execute(q)}

    def save_digest(self, kind: str, *, group: str | None, period_start: datetime, period_end: datetime,
                    content: dict[str, Any], paths: Sequence[str]) -> int:
        """Record a digest as delivered; its id. A re-run for the same kind, group and period end replaces it."""
        cond = digests.c.group.is_(None) if group is None else digests.c.group == group
        values = dict(period_start=period_start, created_at=utcnow(), content=content, paths=[str(p) for p in paths])
        with self._write() as c:
            if self.dialect == "postgresql":  # serialise re-runs of one digest (SQLite: BEGIN IMMEDIATE does it)
                key = zlib.crc32(f"digest|{kind}|{group}|{period_end.isoformat()}".encode())
                c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            same = list(c.scalars(select(digests.c.id).where(digests.c.kind == kind, cond,
                                                               digests.c.period_end == period_end)
                                  .order_by(digests.c.id)))
            if not same:
                return int(c.execute(digests.insert().values(kind=kind, group=group, period_end=period_end, **values)
                                     .returning(digests.c.id)).scalar_one())
            c.execute(update(digests).where(digests.c.id == same[0]).values(**values))
            if len(same) > 1:  # rows left by versions that inserted on every re-run
                c.execute(delete(digests).where(digests.c.id.in_(same[1:])))
            return int(same[0])

    def last_digest(self, kind: str, group: str | None = None, *,
                    ending_by: datetime | None = None) -> DigestRecord | None:
        """The digest of this kind and group (None group: the secretariat's) with the latest period end.

        Ordered by period_end, not by creation: regenerating an old digest does not make it the "last" one.
        With `ending_by`, only digests whose period ended at or before it count.
        """
        cond = digests.c.group.is_(None) if group is None else digests.c.group == group
        q = select(digests).where(digests.c.kind == kind, cond)
        if ending_by is not None:
            q = q.where(digests.c.period_end <= ending_by)
        with self._read() as c:
            r = c.execute(q.order_by(digests.c.period_end.desc(), digests.c.created_at.desc(),
                                     digests.c.id.desc()).limit(1)).first()
        if r is None:
            return None
        return DigestRecord(id=r.id, kind=r.kind, group=r.group, period_start=r.period_start,
                            period_end=r.period_end, created_at=r.created_at, content=r.content,
                            paths=tuple(r.paths))

    # --- search --------------------------------------------------------------------------------
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

    # --- export --------------------------------------------------------------------------------
    def iter_export(self, *, since: datetime | None = None, domain: str | None = None,
                    ids: Sequence[int] | None = None) -> Iterator[dict[str, Any]]:
        """Every article (seen since `since`, of primary `domain`, among `ids`) with its current analysis, streamed."""
        last = 0
        while True:
            q = (select(articles, article_texts.c.body, sources.c.name.label("source_name"),
                        sources.c.kind.label("source_kind"), analyses.c.model_version, analyses.c.municipal,
                        analyses.c.domain, analyses.c.secondary, analyses.c.rasht, analyses.c.places,
                        analyses.c.concern, analyses.c.concern_score, analyses.c.key_sentence, analyses.c.tone,
                        cluster_members.c.cluster_key, cluster_members.c.duplicate_of)
                 .select_from(articles.join(article_texts, article_texts.c.article_id == articles.c.id)
                              .join(sources, sources.c.id == articles.c.source_id)
                              .outerjoin(analyses, analyses.c.id == articles.c.analysis_id)
                              .outerjoin(cluster_members, cluster_members.c.article_id == articles.c.id))
                 .where(articles.c.id > last).order_by(articles.c.id).limit(STREAM_CHUNK))
            if since is not None:
                q = q.where(articles.c.seen_at >= since)
            if domain is not None:
                q = q.where(analyses.c.domain == str(domain))
            if ids is not None:
                q = q.where(articles.c.id.in_(sorted(i for i in ids if i > last)[:STREAM_CHUNK]))
            with self._read() as c:
                rows = c.execute(q).all()
            if not rows:
                return
            for r in rows:
                yield {
                    "id": r.id, "url": r.url, "source_id": r.source_id, "source_name": r.source_name,
                    "source_kind": r.source_kind, "title": r.title, "kicker": r.kicker, "lead": r.lead,
                    "body": r.body, "published_at": r.published_at, "published_raw": r.published_raw,
                    "fetched_at": r.fetched_at, "authors": list(r.authors or ()), "tags": list(r.tags or ()),
                    "section": r.section, "content_hash": r.content_hash, "model_version": r.model_version,
                    "municipal": r.municipal, "domain": r.domain, "secondary": r.secondary, "rasht": r.rasht,
                    "places": list(r.places or ()) if r.places is not None else None, "concern": r.concern,
                    "concern_score": r.concern_score, "key_sentence": r.key_sentence, "tone": r.tone,
                    "cluster_key": r.cluster_key, "is_duplicate": r.duplicate_of is not None,
                }
            last = rows[-1].id

    # --- corrections ---------------------------------------------------------------------------
    def add_correction(self, article_id: int, *, field: str, value: str | bool | None, who: str,
                       note: str = "") -> int:
        """Record a person's label for one field of an article; its id."""
        value = _check_correction(field, value)
        if not who.strip():
            raise StoreError("say who made the correction (--who NAME)")
        try:
            with self._write() as c:
                return int(c.execute(corrections.insert().values(
                    article_id=article_id, field=field, value=value, who=who.strip(), note=note,
                    created_at=utcnow()).returning(corrections.c.id)).scalar_one())
        except IntegrityError as exc:
            raise StoreError(f"no article with id {article_id}: find it with `mediawatch search`") from exc

    def corrections_as_labels(self) -> Iterator[dict[str, Any]]:
        """One train.jsonl-shaped row per corrected article: current analysis overlaid with corrections."""
        with self._read() as c:
            ids = list(c.scalars(select(corrections.c.article_id).distinct().order_by(corrections.c.article_id)))
        for chunk in _chunks(ids, BATCH_ROWS):
            with self._read() as c:
                base = {r.id: r for r in c.execute(
                    select(articles.c.id, articles.c.url, articles.c.source_id, articles.c.title, articles.c.lead,
                           article_texts.c.body, analyses.c.municipal, analyses.c.domain, analyses.c.secondary,
                           analyses.c.rasht, analyses.c.concern, analyses.c.tone, analyses.c.domain_scores)
                    .select_from(articles.join(article_texts, article_texts.c.article_id == articles.c.id)
                                 .outerjoin(analyses, analyses.c.id == articles.c.analysis_id))
                    .where(articles.c.id.in_(chunk)))}
                fixes: dict[int, list[Row[Any]]] = {}
                for r in c.execute(select(corrections).where(corrections.c.article_id.in_(chunk))
                                   .order_by(corrections.c.created_at, corrections.c.id)):
                    fixes.setdefault(r.article_id, []).append(r)
            for aid in chunk:
                b = base[aid]
                row: dict[str, Any] = {
                    "id": f"mw-{aid}", "title": b.title, "text": "\n\n".join(x for x in (b.lead, b.body) if x),
                    "source_outlet": b.source_id, "dataset": "corrections", "url": b.url,
                    "municipal": b.municipal, "domain": b.domain, "secondary": b.secondary, "rasht": b.rasht,
                    "concern": b.concern, "tone": b.tone, "confidence": "high",
                }
                # Oldest first, so a later correction of a field replaces an earlier one.
                order: dict[str, int] = {}
                corrected: dict[str, str] = {}
                for k, f in enumerate(fixes.get(aid, [])):
                    row[f.field] = f.value
                    order[f.field] = k
                    corrected[f.field] = f.created_at.isoformat()
                    row["who"], row["corrected_at"] = f.who, f.created_at.isoformat()
                row["corrected"] = corrected  # field → when it was (last) corrected
                _consistent(row, order, b.domain_scores)
                yield row

    def review_queue(self, limit: int = 20, *, domain: str | None = None, since: datetime | None = None,
                     offset: int = 0) -> list[ReviewItem]:
        """Analysed articles a person should confirm or correct first: the highest current-analysis
        uncertainty (nlp.analyze.uncertainty) first, unscored (NULL) ones last; among equals the concern
        score nearest 0.5 (the concern judgement closest to a coin toss), then the newest.

        Articles that already have a correction are left out: someone has looked at them. The command
        line (`mediawatch review-queue`) and the workspace's review page both read this one order.
        """
        corrected = exists().where(corrections.c.article_id == articles.c.id)
        q = (select(articles.c.id, articles.c.url, articles.c.title, articles.c.source_id,
                    sources.c.name.label("source_name"), articles.c.seen_at, analyses.c.domain,
                    analyses.c.concern, analyses.c.uncertainty, analyses.c.concern_score, analyses.c.tone)
             .select_from(self._analysed().join(sources, sources.c.id == articles.c.source_id))
             .where(not_(corrected))
             .order_by(analyses.c.uncertainty.desc().nulls_last(), func.abs(analyses.c.concern_score - 0.5),
                       articles.c.seen_at.desc(), articles.c.id.desc())
             .offset(offset).limit(limit))
        if domain is not None:
            q = q.where(analyses.c.domain == str(domain))
        if since is not None:
            q = q.where(articles.c.seen_at >= since)
        with self._read() as c:
            return [ReviewItem(article_id=r.id, url=r.url, title=r.title, source_id=r.source_id,
                               source_name=r.source_name, seen_at=r.seen_at, domain=r.domain, concern=r.concern,
                               uncertainty=r.uncertainty, concern_score=r.concern_score, tone=r.tone)
                    for r in c.execute(q)]

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


def _consistent(row: dict[str, Any], order: dict[str, int], scores: dict[str, float] | None) -> None:
    """Keep a corrected row true to the guideline (other ⇔ not municipal; no tone outside the municipality).

    municipal and domain are tied: whichever of the two was corrected last decides the other. A person
    who says "municipal after all" about an article the model put under `other` gets the model's likeliest
    working group (None when unknown: the row is then incomplete and not used for training).
    """
    mun_last = "municipal" in order and order["municipal"] > order.get("domain", -1)
    if "domain" in order and not mun_last:
        row["municipal"] = row["domain"] != "other"
    elif row["municipal"] is True and row["domain"] in (None, "other"):
        groups = {k: v for k, v in (scores or {}).items() if k != "other"}
        row["domain"] = max(groups, key=groups.__getitem__) if groups else None
    elif row["municipal"] is False:
        row["domain"] = "other"
    if row["municipal"] is False and "tone" not in order:
        row["tone"] = None
    if row["municipal"] is None and row["domain"] is not None:
        row["municipal"] = row["domain"] != "other"


def _check_correction(field_: str, value: str | bool | None) -> str | bool | None:
    if field_ not in CORRECTABLE_FIELDS:
        raise StoreError(f"cannot correct {field_!r}: choose one of {', '.join(CORRECTABLE_FIELDS)}")
    if field_ in ("municipal", "rasht", "concern"):
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v in ("true", "yes", "1", "بله"):
            return True
        if v in ("false", "no", "0", "خیر"):
            return False
        raise StoreError(f"{field_} takes true or false, not {value!r}")
    if value is None or str(value).strip().lower() in ("", "null", "none"):
        if field_ == "domain":
            raise StoreError("domain cannot be empty: use one of " + ", ".join(d.value for d in Domain))
        return None
    allowed = [t.value for t in Tone] if field_ == "tone" else [d.value for d in Domain]
    if str(value) not in allowed:
        raise StoreError(f"{field_} must be one of {', '.join(allowed)} (or null), not {value!r}")
    return str(value)


__all__ = ["DigestRecord", "ReviewItem", "RunRecord", "RunSink", "SearchHit", "Store", "fts_match", "open_store"]
