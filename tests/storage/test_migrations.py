"""Schema creation and migrations, on both backends, from an empty database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from mediawatch.settings import Settings
from storage import MigrationRequired, StoreError, db, open_store
from storage.schema import TABLES_IN_ORDER
from tests.pg import fresh_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """A database with nothing in it at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty' / 'mw.sqlite'}"
    else:
        with fresh_pg_database("mw_migr") as url:
            yield url


def test_schema_head_constant_matches_the_scripts():
    assert db.head_revision() == db.SCHEMA_HEAD


def test_from_empty_then_down_and_up_again(empty_url):
    store = open_store(empty_url)  # first use creates everything
    try:
        assert store.revision() == db.SCHEMA_HEAD
        with store.engine.connect() as c:
            names = set(inspect(c).get_table_names())
        assert {t.name for t in TABLES_IN_ORDER} <= names
        if store.dialect == "sqlite":
            assert "article_fts" in names
        assert db.upgrade(store.engine) == (db.SCHEMA_HEAD, db.SCHEMA_HEAD)  # nothing to do
        from alembic import command

        cfg = db.alembic_config()
        with db.write_tx(store.engine) as c:
            cfg.attributes["connection"] = c
            command.downgrade(cfg, "base")
        with store.engine.connect() as c:
            assert set(inspect(c).get_table_names()) <= {"alembic_version"}
        assert db.upgrade(store.engine) == (None, db.SCHEMA_HEAD)
        store.sync_sources([])
        assert store.table_counts()["articles"] == 0
    finally:
        store.close()
    open_store(empty_url).close()  # reopening an up-to-date database is a no-op


def test_older_schema_is_refused_with_what_to_do(empty_url, monkeypatch):
    open_store(empty_url).close()
    monkeypatch.setattr(db, "SCHEMA_HEAD", f"{int(db.SCHEMA_HEAD) + 1:04d}")  # as if this code had a newer migration
    with pytest.raises(MigrationRequired, match="mediawatch db upgrade"):
        open_store(empty_url)


def test_unknown_revision_and_foreign_tables_are_refused(empty_url):
    store = open_store(empty_url)
    with db.write_tx(store.engine) as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    store.close()
    with pytest.raises(StoreError, match="newer than this mediawatch"):
        open_store(empty_url)


def test_foreign_database_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE stuff (x)").connection.commit()
    with pytest.raises(StoreError, match="not mediawatch's"):
        open_store(f"sqlite:///{path}")


def test_default_url_is_a_sqlite_file_in_the_data_dir_with_its_pragmas(tmp_path):
    settings = Settings(data_dir=tmp_path / "deep" / "data", db_url="")
    store = open_store(settings=settings)
    try:
        assert (tmp_path / "deep" / "data" / "mediawatch.sqlite").exists()
        with store.engine.connect() as c:
            pragma = {p: c.exec_driver_sql(f"PRAGMA {p}").scalar()
                      for p in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}
        assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000, "synchronous": 1}
    finally:
        store.close()


def test_bad_urls_say_what_to_do():
    with pytest.raises(StoreError, match="unsupported database URL"):
        open_store("mysql://x@localhost/db")
    with pytest.raises(StoreError, match=r"cannot reach the database .* PostgreSQL server running"):
        open_store("postgresql://nobody@127.0.0.1:1/none")


def test_unreachable_postgresql_fails_in_ci_and_skips_locally(monkeypatch):
    from tests import pg

    monkeypatch.setenv("MEDIAWATCH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:1/test")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="unreachable"):
        pg.require_pg()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="MEDIAWATCH_TEST_PG_URL"):
        pg.require_pg()
