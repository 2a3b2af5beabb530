"""Every parser fixture (tests/fixtures/<family>/<page>.html) parses to its .expected.json."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from scrapers.errors import ParseError
from scrapers.fixtures import (
    FIXTURE_NOW,
    FIXTURES_DIR,
    dump,
    expected_path,
    fixture_pages,
    parse_fixture,
    regenerate,
)
from scrapers.parsers import PARSERS, get_parser

PAGES = list(fixture_pages())


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_fixture_parses_as_expected(page: Path) -> None:
    expected = json.loads(expected_path(page).read_text(encoding="utf-8"))
    got = parse_fixture(page)
    assert got == expected, f"run `uv run python -m scrapers.fixtures --regenerate {page.parent.name}/{page.stem}` and review the diff"
    # Noise never leaks into the body; half-spaces survive.
    body = "\n".join(got["paragraphs"])
    for noise in ("آگهی:", "تبلیغات", "اخبار مرتبط", "بیشتر بخوانید", "اشتراک", "نظرات", "مرتبط", "خبر دیگر"):
        assert noise not in body, noise
    assert "\u200c" in got["title"] + body


def test_every_family_has_three_fixtures_and_a_windows_1256_page() -> None:
    counts = Counter(p.parent.name for p in PAGES)
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
