"""Real Prefect flows under the test harness: nightly → morning digest, artifacts, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mediawatch.timeutil import tehran_midnight
from tests.flows.conftest import DEMO_DAY

pytestmark = pytest.mark.slow


def _artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    assert found, f"no artifact with key {key}"
    return max(found, key=lambda a: a.created).data  # the newest one: this test's run


def test_nightly_then_morning_digest(prefect_harness, demo_sites, tmp_path):
    from flows.digest import morning_digest, weekly_briefs
    from flows.nightly import RUN_REPORT_KEY, nightly

    sources_file = tmp_path / "sources.toml"
    demo_sites.write_sources_toml(sources_file)
    db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    result = nightly(since=tehran_midnight(DEMO_DAY) - timedelta(days=30), db_url=db_url,
                     sources_file=str(sources_file), allow_private=True)
    assert result.new > 100 and result.analysed == result.new
    report = _artifact(RUN_REPORT_KEY)
    for source in demo_sites.sources():
        assert f"| {source.id} |" in report

    paths = morning_digest(day=DEMO_DAY.isoformat(), db_url=db_url, out_dir=str(tmp_path / "out"))
    names = {p.rsplit("/", 1)[-1] for p in paths}
    assert "digest.html" in names and sum(n.startswith("brief-") and n.endswith(".html") for n in names) == 5
    assert "نگرانی" in _artifact("morning-digest")

    # The weekly briefs (Saturday 07:30) read the week Saturday–Friday before that morning.
    weekly = weekly_briefs(day=(DEMO_DAY + timedelta(days=3)).isoformat(), db_url=db_url,
                           out_dir=str(tmp_path / "out"))
    assert sum(p.endswith("-weekly.html") for p in weekly) == 5
    assert _artifact("weekly-brief-urban-services")


def test_nightly_fails_loudly_when_every_source_is_down(prefect_harness, tmp_path, monkeypatch):
    import flows.nightly as nightly_mod

    # No waiting between retries in this test; the retry behaviour itself is Prefect's.
    monkeypatch.setattr(nightly_mod.collect_source, "retry_delay_seconds", [0, 0])
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(
        '[[sources]]\nid = "dead"\nname = "سایت خاموش"\nhomepage = "http://127.0.0.1:9"\n'
        'kind = "news_site"\nscope = "rasht"\nfeeds = ["http://127.0.0.1:9/feed/"]\nparser = "generic"\n',
        encoding="utf-8",
    )
    db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    with pytest.raises(Exception, match="every source failed"):
        nightly_mod.nightly(db_url=db_url, sources_file=str(sources_file), allow_private=True)
    assert "| dead |" in _artifact(nightly_mod.RUN_REPORT_KEY)


def test_a_night_without_the_encoder_still_analyses_everything_and_says_so(prefect_harness, demo_sites, tmp_path,
                                                                           monkeypatch):
    """Where the encoder cannot load, the night runs on the sparse fallback, and the run report and the
    morning digest say so instead of failing or pretending nothing changed."""
    from flows.digest import morning_digest
    from flows.nightly import RUN_REPORT_KEY, nightly
    from nlp import encoder

    monkeypatch.setenv("MEDIAWATCH_ENCODER", "none")
    encoder.reset_encoder()
    try:
        sources_file = tmp_path / "sources.toml"
        demo_sites.write_sources_toml(sources_file)
        one = demo_sites.sources()[0].id
        db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
        result = nightly(since=tehran_midnight(DEMO_DAY) - timedelta(days=30), db_url=db_url, source_ids=[one],
                         sources_file=str(sources_file), allow_private=True)
    finally:
        monkeypatch.delenv("MEDIAWATCH_ENCODER")
        encoder.reset_encoder()
    assert result.new > 0 and result.analysed == result.new
    assert result.model_version.endswith("+sparse-only")
    assert "MEDIAWATCH_ENCODER=none" in result.analysis_fallback
    assert "sparse fallback" in _artifact(RUN_REPORT_KEY)
    # The notice belongs to the digest this night feeds: the next morning's (an old day's digest rebuilt
    # later does not know which night fed it).
    from pathlib import Path

    from digests.periods import DIGEST_HOUR
    from mediawatch.timeutil import TEHRAN, tehran_today, utcnow

    before_digest = utcnow().astimezone(TEHRAN).hour < DIGEST_HOUR
    fed = tehran_today() + timedelta(days=0 if before_digest else 1)
    paths = morning_digest(day=fed.isoformat(), db_url=db_url, out_dir=str(tmp_path / "out"))
    html = next(p for p in paths if p.endswith("/digest.html"))

    assert 'id="sparse-fallback"' in Path(html).read_text(encoding="utf-8")


def test_a_second_nightly_while_one_runs_is_refused_with_exit_3_and_fetches_nothing(prefect_harness, tmp_path):
    """`mediawatch nightly` by hand while the scheduled night runs (another process): refused before it
    records a run or fetches a page, naming the night in progress; it ran a second crawl of every outlet."""
    from typer.testing import CliRunner

    from flows import exitcodes
    from flows.cli import app
    from mediawatch.settings import get_settings
    from storage import open_store

    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(  # nothing listens there: a crawl would fail the source, not the run
        '[[sources]]\nid = "quiet"\nname = "سایت"\nhomepage = "http://127.0.0.1:9"\n'
        'kind = "news_site"\nscope = "rasht"\nfeeds = ["http://127.0.0.1:9/feed/"]\nparser = "generic"\n',
        encoding="utf-8",
    )
    db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    store = open_store(db_url)
    try:
        with store.run_lock("nightly"):  # as the other process's night holds it (a lock file of its own)
            first = store.start_run("nightly", {"sources": ["quiet"]})
            get_settings.cache_clear()
            try:
                r = CliRunner().invoke(app, ["nightly", "--db", db_url, "--sources", str(sources_file)],
                                       env={"MEDIAWATCH_DATA_DIR": str(tmp_path / "data")})
            finally:
                get_settings.cache_clear()
        assert r.exit_code == exitcodes.JOB_FAILED, r.output
        last = r.output.strip().splitlines()[-1]  # after Prefect's own log of the failed flow run
        assert last.startswith("error: another nightly run is in progress") and f"run #{first}" in last
        assert store.last_run("nightly").id == first  # no second run recorded
        assert store.fetch_log() == []  # and nothing fetched
    finally:
        store.close()


def test_a_source_missed_for_days_is_read_back_to_its_last_night(prefect_harness, make_site, tmp_path, monkeypatch):
    """Without --since the nightly reads feeds only, and a feed holds its newest items: after nights
    missed (a server down over a long weekend) what scrolled off the feed was never collected."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from flows.nightly import nightly
    from mediawatch.settings import get_settings
    from storage import open_store
    from storage.schema import runs
    from tests.scrapers.test_collect import article_html, rss

    monkeypatch.setenv("MEDIAWATCH_MIN_HOST_INTERVAL_S", "0.05")  # one loopback host: no need to pace it
    get_settings.cache_clear()
    now = datetime.now(UTC)
    site = make_site()
    try:
        # 40 reports, one every six hours; the feed holds the newest 30, the listing all 40.
        items = []
        for n in range(40):
            when = now - timedelta(hours=6 * n + 1)
            title = f"گزارش شماره {n + 1} از آبگرفتگی خیابان‌های رشت"
            body = f"به گزارش خبرنگار ما، شهروندان محله {n + 1} رشت از آبگرفتگی معابر پس از بارش دیشب گلایه دارند. " * 3
            site.add(f"/news/{1000 + n}", article_html(title, body, when))
            items.append((title, site.url(f"/news/{1000 + n}"), when, body[:80]))
        site.add("/rss", rss(items[:30]), content_type="application/rss+xml")
        site.add("/archive-list", "<html><body><ul>" + "".join(
            f'<li><a href="/news/{1000 + n}">{t}</a></li>' for n, (t, *_rest) in enumerate(items)) + "</ul></body></html>")
        sources_file = tmp_path / "sources.toml"
        sources_file.write_text(
            f'[[sources]]\nid = "loop"\nname = "سایت آزمون"\nhomepage = "{site.url("/")}"\nkind = "news_site"\n'
            f'scope = "rasht"\nfeeds = ["{site.url("/rss")}"]\nlistings = ["{site.url("/archive-list")}"]\n'
            'parser = "generic"\n', encoding="utf-8")
        db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
        run = {"db_url": db_url, "sources_file": str(sources_file), "allow_private": True}
        assert nightly(**run).new == 30
        assert nightly(**run).new == 0  # a night later: the feed holds nothing new, and only it is read

        store = open_store(db_url)
        try:
            with store.engine.begin() as c:  # as if the server had been down for twelve days since
                c.execute(update(runs).values(started_at=now - timedelta(days=12)))
            caught = nightly(**run)
            assert caught.new == 10, "the reports that scrolled off the feed were not collected"
            last = store.last_run("nightly")
            assert last is not None and list(last.params["catch_up"]) == ["loop"]
            assert nightly(**run).new == 0  # caught up: the next night reads the feed only again
            assert store.last_run("nightly").params.get("catch_up") is None
        finally:
            store.close()
    finally:
        monkeypatch.delenv("MEDIAWATCH_MIN_HOST_INTERVAL_S")
        get_settings.cache_clear()
