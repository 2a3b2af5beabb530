"""PostgreSQL and store fixtures for any package's tests: `from tests.pg import store, store_url, pg_url`.

The server is named by MEDIAWATCH_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
A uniquely named database is created per test session (and dropped after); each test gets it with
every table emptied. When the server is unreachable, PostgreSQL tests FAIL with a clear message in
CI (env CI=true) and are skipped with the reason locally.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_server_url() -> str:
    """The URL of the test server's maintenance database (from MEDIAWATCH_TEST_PG_URL)."""
    from storage.db import normalise_url

    return normalise_url(os.environ.get("MEDIAWATCH_TEST_PG_URL", DEFAULT_PG_URL))


def _unreachable(reason: str) -> None:
    msg = (f"PostgreSQL at {make_url(pg_server_url()).render_as_string(hide_password=True)} is unreachable "
           f"({reason}); start it or set MEDIAWATCH_TEST_PG_URL")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


_reachable: dict[str, str | None] = {}


def require_pg() -> str:
    """The server URL, or fail (CI) / skip (locally) when it cannot be reached."""
    url = pg_server_url()
    if url not in _reachable:
        try:
            eng = create_engine(url, connect_args={"connect_timeout": 3})
            with eng.connect() as c:
                c.execute(text("SELECT 1"))
            eng.dispose()
            _reachable[url] = None
        except Exception as exc:
            _reachable[url] = str(exc).splitlines()[0]
    if _reachable[url] is not None:
        _unreachable(_reachable[url] or "")
    return url


@contextmanager
def fresh_pg_database(prefix: str = "mw_test") -> Iterator[str]:
    """Create an empty, uniquely named database on the test server; its URL; dropped afterwards."""
    server = require_pg()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A migrated database of its own for this test session (URL)."""
    from storage import open_store

    with fresh_pg_database() as url:
        open_store(url).close()
        yield url
        if url in _engines:
            _engines.pop(url).dispose()


_engines: dict[str, Engine] = {}


def _empty_all_tables(url: str) -> None:
    from storage.schema import TABLES_IN_ORDER

    # DELETE beats TRUNCATE by far on near-empty tables (no file swaps); ids simply continue.
    if url not in _engines:
        _engines[url] = create_engine(url)
    with _engines[url].begin() as c:
        for t in reversed(TABLES_IN_ORDER):
            c.execute(t.delete())


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, with every table emptied before the test."""
    _empty_all_tables(pg_database)
    return pg_database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file made once per session; tests get copies (migrating each is slower)."""
    from storage import open_store

    path = tmp_path_factory.mktemp("sqlite-template") / "mediawatch.sqlite"
    store = open_store(f"sqlite:///{path}")
    with store.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database file of this test's own."""
    path = tmp_path / "mediawatch.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated database URL: a SQLite file, then the PostgreSQL test database."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def store(store_url: str) -> Iterator[object]:
    """An open Store on each backend (closed after the test)."""
    from storage import open_store

    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()
