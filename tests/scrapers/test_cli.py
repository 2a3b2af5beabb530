"""`mediawatch sources list|check` and `mediawatch collect` through the real Typer app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def fast_settings(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """The CLI reads the process settings: make politeness quick for loopback tests."""
    from mediawatch.settings import get_settings

    for key, value in {"MIN_HOST_INTERVAL_S": "0.01", "BACKOFF_BASE_S": "0.02", "RETRIES": "1", "DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(f"MEDIAWATCH_{key}", value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    from demo.server import DemoSites

    with DemoSites() as sites:
        yield sites


def test_sources_list_shows_the_shipped_registry() -> None:
    result = runner.invoke(app, ["sources", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for sid in ("irna", "yjc-gilan", "gilkhabar", "rasht-municipality"):
        assert sid in result.output
    assert "38 sources" in result.output


def test_sources_list_json_is_an_array_on_stdout() -> None:
    import json

    result = runner.invoke(app, ["sources", "list", "--json"])
    assert result.exit_code == 0, result.output
    sources = json.loads(result.stdout)
    assert len(sources) == 38
    irna = next(s for s in sources if s["id"] == "irna")
    assert irna["kind"] == "agency" and irna["scope"] == "national" and irna["filters_gilan"] is True
    assert isinstance(irna["feeds"], list) and isinstance(irna["enabled"], bool)


def test_malformed_sources_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[[sources]]\nid = "x"\nname = "x"\nhomepage = "https://x.ir/"\nkind = "tv"\nscope = "gilan"\nfeeds = ["https://x.ir/rss"]\n')
    result = runner.invoke(app, ["sources", "list", "--file", str(f)])
    assert result.exit_code == 2
    assert "entry #1 (id='x'): field 'kind'" in result.output.replace("\n", "")


def test_sources_check_against_the_demo_sites(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = demo.write_sources_toml(tmp_path / "demo-sources.toml")
    fixtures = tmp_path / "fixtures"
    result = runner.invoke(app, ["sources", "check", "--file", str(f), "--pages", "2", "--save-fixture", str(fixtures)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Source coverage" in result.output
    for s in demo.sources():
        assert s.id in result.output
    assert "fail" not in result.output.split("Source coverage")[1].split("\n\n")[0]
    # --save-fixture: one real page per source that has article pages, with its expected JSON beside it.
    saved = sorted(fixtures.glob("*/*.html.gz"))
    assert saved and {p.stem.removesuffix(".html") for p in saved} <= {s.id for s in demo.sources()}
    assert all(p.with_name(p.name.removesuffix(".html.gz") + ".expected.json").exists() for p in saved)
    assert "fixture saved to" in result.output


def test_sources_check_fails_when_pages_do_not_parse(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site.add("/rss", '<rss version="2.0"><channel><item><title>t</title>'
             f'<link>{site.url("/news/1/x")}</link></item></channel></rss>', content_type="application/rss+xml")
    site.add("/news/1/x", "<html><body><div>redesigned: nothing we know</div></body></html>")
    f = tmp_path / "s.toml"
    f.write_text(f'[[sources]]\nid = "redesigned"\nname = "r"\nhomepage = "{site.url("/")}"\nkind = "news_site"\n'
                 f'scope = "gilan"\nfeeds = ["{site.url("/rss")}"]\nparser = "wordpress"\n')
    result = runner.invoke(app, ["sources", "check", "redesigned", "--file", str(f)], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "fail" in result.output and "body" in result.output


def test_collect_into_sqlite_then_nothing_new(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = demo.write_sources_toml(tmp_path / "demo-sources.toml")
    db = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    since = (demo.reference_day - timedelta(days=3)).isoformat()
    args = ["collect", "--sources", str(f), "--db", db, "--since", since, "--source", "sobherasht", "--source", "sepidrud"]
    first = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "sobherasht" in first.output and "sepidrud" in first.output
    from storage import open_store

    with open_store(db) as store:
        n = store.count_articles()
    assert n > 0
    second = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert second.exit_code == 0 and "0 new article(s)" in second.output
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    import json

    report = json.loads(as_json.stdout)
    assert report["new"] == 0 and report["sources_down"] == []
    assert sorted(r["source_id"] for r in report["reports"]) == ["sepidrud", "sobherasht"]
    bad = runner.invoke(app, ["collect", "--sources", str(f), "--db", db, "--source", "nope"])
    assert bad.exit_code == 2 and "unknown source id" in bad.output
