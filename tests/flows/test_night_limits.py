"""The real nightly flow against loopback sites: one request limit for all sources, a budget per source."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer

import pytest

from tests.scrapers.conftest import Loopback, _make_handler
from tests.scrapers.test_collect import article_html, rss

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)


@pytest.fixture
def sites():
    """A factory of loopback sites, all shut down after the test."""
    made: list[Loopback] = []

    def make() -> Loopback:
        site = Loopback()
        site.server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(site))
        site.server.daemon_threads = True
        threading.Thread(target=site.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop.set()
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture
def night_env(monkeypatch):
    """Settings for a quick night: no host interval, the sparse model (no encoder to load)."""
    from mediawatch.settings import get_settings
    from nlp import encoder

    def apply(**env: object) -> None:
        for key, value in {"MIN_HOST_INTERVAL_S": "0.01", "ENCODER": "none", **env}.items():
            monkeypatch.setenv(f"MEDIAWATCH_{key}", str(value))
        get_settings.cache_clear()
        encoder.reset_encoder()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()
    encoder.reset_encoder()


def with_articles(site: Loopback, n: int, handler=None) -> None:  # type: ignore[no-untyped-def]
    d = NOW - timedelta(hours=1)
    site.add("/rss", rss([(f"خبر {i}", site.url(f"/news/{i}"), d, "رشت") for i in range(n)]),
             content_type="application/rss+xml")
    for i in range(n):
        if handler is None:
            site.add(f"/news/{i}", article_html(f"خبر شماره {i} از رشت", f"شهرداری رشت خبر {i} را اعلام کرد.", d))
        else:
            site.handle(f"/news/{i}", handler)


def sources_toml(path, sites: dict[str, Loopback]) -> str:  # type: ignore[no-untyped-def]
    path.write_text("".join(
        f'[[sources]]\nid = "{sid}"\nname = "{sid}"\nhomepage = "{s.url("/")}"\nkind = "news_site"\n'
        f'scope = "rasht"\nfeeds = ["{s.url("/rss")}"]\nparser = "generic"\n\n' for sid, s in sites.items()),
        encoding="utf-8")
    return str(path)


def test_the_request_limit_is_global_across_source_tasks(prefect_harness, sites, night_env, tmp_path):
    from flows.nightly import nightly

    night_env(GLOBAL_CONCURRENCY=3)
    lock, now, peak = threading.Lock(), [0], [0]

    def slow_page(req) -> None:  # type: ignore[no-untyped-def]
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        try:
            time.sleep(0.3)
            body = article_html("خبر رشت " + req.path, "شهرداری رشت امروز خبر داد.", NOW - timedelta(hours=1)).encode()
            req.send_response(200)
            req.send_header("Content-Type", "text/html; charset=utf-8")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)
        finally:
            with lock:
                now[0] -= 1

    four = {f"s{i}": sites() for i in range(4)}
    for site in four.values():
        with_articles(site, 4, slow_page)
    result = nightly(db_url=f"sqlite:///{tmp_path / 'mw.sqlite'}", sources_file=sources_toml(tmp_path / "s.toml", four),
                     allow_private=True)
    assert result.new == 16
    # Four sources, four pages in flight each were possible: 3 is the limit for them all, and reached.
    assert peak[0] == 3


def test_a_hanging_site_is_stopped_at_its_budget_and_the_night_goes_on(prefect_harness, sites, night_env, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    from flows.nightly import RUN_REPORT_KEY, RUN_TABLE_KEY, nightly
    from storage import open_store

    budget = 3.0
    # Without the budget: 12 hanging pages × 4 tries × 5 s, four at a time = 60 s.
    night_env(SOURCE_BUDGET_S=budget, REQUEST_TIMEOUT_S=5, RETRIES=3)
    slow, good = sites(), sites()

    def hang(req) -> None:  # type: ignore[no-untyped-def]
        slow.stop.wait(60)
        req.close_connection = True

    with_articles(slow, 12, hang)
    with_articles(good, 3)
    db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    started = time.monotonic()
    state = nightly(db_url=db_url, sources_file=sources_toml(tmp_path / "s.toml", {"slow": slow, "good": good}),
                    allow_private=True, return_state=True)
    elapsed = time.monotonic() - started
    result = state.result()
    assert state.is_completed() and result.status == "partial"
    # The collection tasks ended within the budget plus a small margin; the whole night (with the analysis
    # and Prefect's bookkeeping on 2 busy cores) well before the hanging pages would have let it.
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
        table = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[RUN_TABLE_KEY])))
        report = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[RUN_REPORT_KEY])))
    collect = [t for t in tasks if t.name.startswith("collect-")]
    assert len(collect) == 2 and all(t.run_count == 1 for t in collect)  # a spent budget is not retried
    assert all((t.end_time - t.start_time).total_seconds() < budget + 2.0 for t in collect)
    assert elapsed < 45, f"the night took {elapsed:.0f} s"
    by_id = {r.source_id: r for r in result.reports}
    assert by_id["good"].state == "ok" and by_id["good"].new == 3
    assert by_id["slow"].state == "down" and "time budget of 3 s ran out" in by_id["slow"].fatal
    # The reason is in the run's summary, the markdown report and the table artifact.
    with open_store(db_url) as store:
        run = store.last_run("nightly")
    assert run is not None and run.summary["over_budget"] == ["slow"]
    newest = max(report, key=lambda a: a.created).data
    assert "| slow | slow | down |" in newest and "time budget" in newest
    data = max(table, key=lambda a: a.created).data
    rows = {row["source"]: row for row in (json.loads(data) if isinstance(data, str) else data)}
    assert rows["slow"]["state"] == "down" and "time budget" in rows["slow"]["why"] and rows["good"]["new"] == 3
