"""Every storage test runs on SQLite and on PostgreSQL through the `store` fixture (tests/pg.py)."""

from tests.pg import pg_database, pg_url, sqlite_template, sqlite_url, store, store_url  # noqa: F401
