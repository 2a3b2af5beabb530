"""Shared fixtures for the digests tests: a known night of news and its digest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dg_factory import FAILURES, PERIOD_END, PERIOD_START, SOURCES, night

from digests.select import Digest, build_digest
from tests.browser import browser  # noqa: F401
from tests.pg import pg_database, pg_url, sqlite_template, sqlite_url, store_url  # noqa: F401


@pytest.fixture
def digest() -> Digest:
    """The digest of the hand-made night."""
    items, history = night()
    return build_digest(
        items, period=(PERIOD_START, PERIOD_END), failures=FAILURES, history=history, sources=SOURCES
    )
