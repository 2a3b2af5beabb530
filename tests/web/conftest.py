"""Fixtures for the workspace tests: a populated SQLite file (made once, copied per test) and an app on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mediawatch.settings import Settings
from storage import Store, open_store
from tests.web.wfactory import add_users, populate


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("web-template") / "mediawatch.sqlite"
    store = open_store(f"sqlite:///{path}")
    ids = populate(store)
    add_users(store)
    with store.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path, ids


@pytest.fixture
def ids(web_template) -> dict[str, int]:
    return web_template[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production",
                    _env_file=None)


@pytest.fixture
def web_store(web_template, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "web.sqlite"
    shutil.copyfile(web_template[0], path)
    store = open_store(f"sqlite:///{path}")
    yield store
    store.close()


@pytest.fixture
def app(web_store: Store, settings: Settings):
    from web.app import create_app

    return create_app(web_store, settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
