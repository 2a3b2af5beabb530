"""Shared fixtures for the digests tests: a known night of news and its digest."""

from __future__ import annotations

import pytest

from digests.records import Digest
from digests.select import build_digest
from tests.digests.dg_factory import FAILURES, PERIOD_END, PERIOD_START, SOURCES, night


@pytest.fixture
def digest() -> Digest:
    """The digest of the hand-made night."""
    items, history = night()
    return build_digest(
        items, period=(PERIOD_START, PERIOD_END), failures=FAILURES, history=history, sources=SOURCES
    )
