"""Engines, connection settings and migrations for both backends.

SQLite: WAL (readers never block the writer), a 30 s busy timeout, foreign keys on,
synchronous=NORMAL (durable at each checkpoint, safe against a killed process), and write
transactions opened with BEGIN IMMEDIATE so that two writing processes queue on the busy timeout
instead of failing with "database is locked" when a read transaction tries to upgrade.
PostgreSQL: psycopg 3; concurrent writers are safe through ON CONFLICT upserts.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from storage.errors import MigrationRequired, StoreError

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


def make_engine(url: str) -> Engine:
    """An engine with the connection settings above; creates the SQLite file's directory."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://user@host/db")


def _sqlite_on_connect(dbapi_conn: object, _record: object) -> None:
    # Let SQLAlchemy's "begin" event (below) open transactions instead of the sqlite3 module.
    dbapi_conn.isolation_level = None  # type: ignore[attr-defined]
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
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
    """One write transaction (BEGIN IMMEDIATE on SQLite), committed on success."""
    with engine.connect() as conn:
        conn = conn.execution_options(mw_write=True)
        with conn.begin():
            yield conn


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
    return before, head


def ensure_schema(engine: Engine) -> None:
    """Create the schema on an empty database; refuse (clearly) when it is at an older revision."""
    head = SCHEMA_HEAD
    with read_tx(engine) as conn:
        current = current_revision(conn)
        empty = current is None and not inspect(conn).get_table_names()
    if current == head:
        return
    if current is None:
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
