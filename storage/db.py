"""Engines, connection settings and migrations for both backends.

SQLite: WAL (readers never block the writer), a 30 s busy timeout, foreign keys on,
synchronous=NORMAL (durable at each checkpoint, safe against a killed process), and write
transactions opened with BEGIN IMMEDIATE so that two writing processes queue on the busy timeout
instead of failing with "database is locked" when a read transaction tries to upgrade.
PostgreSQL: psycopg 3; concurrent writers are safe through ON CONFLICT upserts.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from mediawatch.errors import DiskFull
from mediawatch.log import stage_logger
from storage.errors import BadDatabaseURL, DatabaseNotFound, MigrationRequired, StoreError

log = stage_logger("storage")

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration; kept here so that opening a store needs no Alembic import (a test checks it).
SCHEMA_HEAD = "0004"
# A writer waits up to 30 s for another process' transaction; ours commit in well under a second
# (batches of a few hundred rows), so 30 s only runs out when something is truly stuck.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Arbitrary but fixed key for the PostgreSQL advisory lock that serialises concurrent migrations.
_PG_MIGRATION_LOCK = zlib.crc32(b"mediawatch-migrations")


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` / `postgres://` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine with the connection settings above.

    Read-write: creates the SQLite file's directory. Read-only (`read_only=True`, for commands that only
    read): SQLite is opened with `mode=ro` and nothing is created — a missing file is `DatabaseNotFound`;
    a file nobody may write (mode 444 in a read-only folder, where SQLite cannot create its `-shm`
    index) is opened `immutable`. PostgreSQL sessions are `default_transaction_read_only`.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadDatabaseURL(_bad_url_message(url)) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = parsed.database
        if read_only and path and path != ":memory:" and not path.startswith("file:"):
            return _sqlite_read_only_engine(Path(path).expanduser())
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        args = {"options": "-c default_transaction_read_only=on"} if read_only else {}
        return create_engine(url, pool_pre_ping=True, connect_args=args)
    raise BadDatabaseURL(_bad_url_message(url))


def _bad_url_message(url: str) -> str:
    shown = url if len(url) <= 80 else url[:80] + "…"
    if "://" in url:  # never echo a password
        shown = shown.split("://", 1)[0] + "://…"
    return (f"unsupported database URL {shown!r}: use sqlite:///path/to/file.sqlite or "
            "postgresql://user@host/db (check --db / MEDIAWATCH_DB_URL)")


def _sqlite_read_only_engine(path: Path) -> Engine:
    import sqlite3

    if not path.is_file():
        raise DatabaseNotFound(
            f"no database at {path}: check the path given to --db / MEDIAWATCH_DB_URL (this command only "
            "reads, so it creates nothing); `mediawatch db upgrade --db …` creates an empty database"
        )
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if (_read_only(path) and _read_only(path.parent)
            and not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()):
        # The file and its folder are read-only, so it cannot change under us; without `immutable`, SQLite
        # would need to create the WAL index (-shm) beside it, which the read-only folder forbids.
        uri += "&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False)

    engine = create_engine(f"sqlite:///{path}", creator=connect)  # the URL is for messages only
    event.listen(engine, "connect", _sqlite_on_connect_read_only)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _read_only(path: Path) -> bool:
    """Not writable by this user, or marked read-only for everyone (chmod a-w: root could still write)."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def _sqlite_on_connect_read_only(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA query_only = ON")  # belt and braces: no statement on this connection may write
    cur.close()


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy's "begin" event (below) open transactions instead of the sqlite3 module.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("mw_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE on SQLite), committed on success. A full disk is `DiskFull`
    naming the database (the transaction is rolled back: what earlier transactions stored is kept)."""
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(mw_write=True)
            with conn.begin():
                yield conn
    except OperationalError as exc:
        full = _disk_full(engine, exc)
        if full is None:
            raise
        raise full from exc


# SQLite's words for a write the disk refused: SQLITE_FULL, and SQLITE_IOERR for a short write (a file
# size limit, or a disk failing); PostgreSQL's "could not extend file … No space left on device".
_FULL_WORDS = ("database or disk is full", "disk i/o error", "no space left on device")


def _disk_full(engine: Engine, exc: OperationalError) -> DiskFull | None:
    text = str(exc.orig).lower()
    if not any(w in text for w in _FULL_WORDS):
        return None
    where = engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=True)
    return DiskFull(f"cannot write the database {where}: {str(exc.orig).splitlines()[0]} — its disk is full (or "
                    "failing). Free space there and run the command again; what was stored before is kept")


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """One read transaction (a consistent snapshot)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest migration script's revision (reads the scripts; SCHEMA_HEAD must equal it)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The database's schema revision, or None when it has none (empty database)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate the database to head (serialised across processes); (revision before, after)."""
    from alembic import command

    head = head_revision()
    with write_tx(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        before = current_revision(conn)
        if before is not None and before not in _known_revisions():
            raise StoreError(
                f"the database is at revision {before}, newer than this mediawatch knows: upgrade mediawatch"
            )
        if before != head:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            log.info("database schema upgraded from %s to %s", before or "empty", head)
    return before, head


def ensure_schema(engine: Engine, *, read_only: bool = False) -> None:
    """Create the schema on an empty database (not when `read_only`); refuse (clearly) when it is at an
    older revision."""
    head = SCHEMA_HEAD
    with read_tx(engine) as conn:
        current = current_revision(conn)
        empty = current is None and not inspect(conn).get_table_names()
    if current == head:
        return
    if current is None:
        if read_only and empty:
            raise DatabaseNotFound(
                f"{engine.url.render_as_string(hide_password=True)} is empty (no mediawatch database yet): check "
                "--db / MEDIAWATCH_DB_URL, or run `mediawatch collect` or `mediawatch db upgrade` to create it"
            )
        if not empty:
            raise StoreError(
                f"{engine.url.render_as_string(hide_password=True)} holds tables that are not mediawatch's "
                "(no alembic_version): point --db / MEDIAWATCH_DB_URL at an empty database"
            )
        upgrade(engine)  # first use: create everything (another process may have raced us: fine)
        return
    if current in _known_revisions():
        raise MigrationRequired(
            f"the database is at schema revision {current}, this mediawatch needs {head}: "
            "back it up (see docs/storage.md), then run `mediawatch db upgrade`"
        )
    raise StoreError(f"the database is at revision {current}, newer than this mediawatch knows: upgrade mediawatch")
