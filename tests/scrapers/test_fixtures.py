"""Every parser fixture (tests/fixtures/<family>/<page>.html) parses to its .expected.json."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from scrapers.errors import ParseError
from scrapers.fixtures import (
    FIXTURE_NOW,
    dump,
    expected_of,
    expected_path,
    fixture_pages,
    page_stem,
    parse_fixture,
    regenerate,
)
from scrapers.parsers import PARSERS, get_parser
from tests.scrapers.fixture_files import FIXTURES_DIR

PAGES = list(fixture_pages(FIXTURES_DIR))


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{page_stem(p)}" for p in PAGES])
def test_fixture_parses_as_expected(page: Path) -> None:
    expected = json.loads(expected_path(page).read_text(encoding="utf-8"))
    got = expected_of(page, parse_fixture(page))
    assert got == expected, f"run `uv run python -m scrapers.fixtures tests/fixtures --regenerate {page.parent.name}/{page_stem(page)}` and review the diff"
    if page.suffix != ".html":
        return  # a real page saved from the web: its expected file was reviewed as it is
    # Noise never leaks into the body of the pages we wrote; half-spaces survive.
    body = "\n".join(got["paragraphs"])
    for noise in ("آگهی:", "تبلیغات", "اخبار مرتبط", "بیشتر بخوانید", "اشتراک", "نظرات", "مرتبط", "خبر دیگر"):
        assert noise not in body, noise
    assert "\u200c" in got["title"] + body


def test_every_family_has_three_fixtures_and_a_windows_1256_page() -> None:
    counts = Counter(p.parent.name for p in PAGES if p.suffix == ".html")  # our own pages
    assert set(counts) == set(PARSERS) and min(counts.values()) >= 3
    raw = (FIXTURES_DIR / "generic" / "sobherasht_cp1256.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "خاموشي" in parse_fixture(FIXTURES_DIR / "generic" / "sobherasht_cp1256.html")["title"]


def test_missing_field_raises_parse_error_naming_url_and_field() -> None:
    html = "<html><body><h1>عنوان</h1><div class='item-date'>۵ آذر ۱۴۰۵</div></body></html>"
    with pytest.raises(ParseError) as err:
        get_parser("nastooh").parse(html, "https://x.ir/news/1", now=FIXTURE_NOW)
    assert err.value.field == "body" and "https://x.ir/news/1" in str(err.value) and "sources check" in str(err.value)


def test_regenerator_rewrites_and_reports_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, root)
    target = root / "wordpress" / "gilanestan_park.expected.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    data["title"] = "عنوان قدیمی"
    target.write_text(dump(data), encoding="utf-8")
    assert regenerate(root=root) == 1
    out = capsys.readouterr().out
    assert "-  \"title\": \"عنوان قدیمی\"" in out and "+  \"title\": \"بوستان" in out
    assert json.loads(target.read_text(encoding="utf-8"))["title"].startswith("بوستان")
    assert regenerate(root=root) == 0


async def test_sources_check_saves_a_real_page_as_a_fixture_the_test_reads(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mediawatch.settings import Settings
    from scrapers.check import check_sources
    from scrapers.fetch import PoliteClient
    from scrapers.registry import parse_sources

    site = make_site()
    # A windows-1256 page whose charset only the HTTP header names, dated relatively («2 ساعت پیش»: Latin digits, as cp1256 has no Persian ones).
    page = ("<html><head><title>x</title></head><body><article><h1 class='entry-title'>خاموشی برق در رشت</h1>"
            "<span class='post-date'>2 ساعت پیش</span><div class='story'><p>برق محله‌های گلسار و منظریه امروز دو ساعت قطع شد.</p>"
            "</div></article></body></html>").replace("ی", "ي").replace("ک", "ك")  # windows-1256 letters
    site.add("/news/7/", page.encode("cp1256"), headers={"Content-Type": "text/html; charset=windows-1256"})
    site.add("/rss", '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
             f"<item><title>خاموشی</title><link>{site.url('/news/7/')}</link></item></channel></rss>")
    entry = {"id": "gilnews", "name": "g", "homepage": site.url("/"), "kind": "news_site", "scope": "gilan",
             "feeds": [site.url("/rss")], "parser": "wordpress", "selectors": {"body": ".story>*"}}
    settings = Settings(data_dir=tmp_path, min_host_interval_s=0.0, robots_timeout_s=2.0)
    async with PoliteClient(settings) as client:
        [result] = await check_sources(parse_sources({"sources": [entry]}), client, pages=1, save_to=tmp_path / "fx")
    assert result.verdict == "ok" and result.saved == tmp_path / "fx" / "wordpress" / "gilnews.html.gz"
    saved = json.loads(expected_path(result.saved).read_text(encoding="utf-8"))
    assert saved["url"] == site.url("/news/7/") and saved["selectors"] == {"body": ".story>*"}
    assert saved["content_type"] == "text/html; charset=windows-1256" and saved["fetched_at"]
    text = "برق محله‌هاي گلسار و منظريه امروز دو ساعت قطع شد."
    assert saved["paragraphs"] == [text] and saved["published_raw"] == "2 ساعت پيش"
    # The fixture reads back as it was saved: same bytes, same charset, same "now", same selectors…
    assert gzip.decompress(result.saved.read_bytes()) == page.encode("cp1256")
    assert expected_of(result.saved, parse_fixture(result.saved)) == saved
    assert regenerate(root=tmp_path / "fx") == 0
    # …and a parser change shows as a diff of the saved page's expected file, its provenance kept.
    saved["paragraphs"] = ["متن قدیمی"]
    expected_path(result.saved).write_text(dump(saved), encoding="utf-8")
    assert regenerate(["wordpress/gilnews"], root=tmp_path / "fx") == 1
    again = json.loads(expected_path(result.saved).read_text(encoding="utf-8"))
    assert again["paragraphs"] == [text] and again["selectors"] == saved["selectors"]


def test_regenerate_reports_a_page_that_no_longer_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nastooh").mkdir()
    (tmp_path / "nastooh" / "broken.html").write_text("<html><body><h1>عنوان</h1></body></html>", encoding="utf-8")
    assert regenerate(root=tmp_path) == 0
    assert "nastooh/broken: does not parse:" in capsys.readouterr().err
