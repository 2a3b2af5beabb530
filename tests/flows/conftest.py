"""Flow tests share one Prefect test harness (a temporary API server) for the whole session."""

from __future__ import annotations

from datetime import date

import pytest

from tests.scrapers.conftest import make_site  # noqa: F401  (a loopback site factory, as the crawler tests use)

# A fixed Wednesday, so the demo's dates and the digest period are the same on every run.
DEMO_DAY = date(2026, 11, 25)


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    # The harness starts a real Prefect API server; on 2 busy cores that can take most of a minute.
    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="module")
def demo_sites():
    from demo.server import DemoSites

    sites = DemoSites(reference_day=DEMO_DAY)
    sites.start()
    try:
        yield sites
    finally:
        sites.stop()
