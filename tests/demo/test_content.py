"""Loading and validating demo content: good files load, bad ones fail naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.content import (
    CONTENT_DIR,
    SITES,
    ContentError,
    DemoArticle,
    load_articles,
    load_labels,
    load_sites,
    slugify,
)
from demo.sites import TEMPLATES
from mediawatch.records import Domain, Tone

SAMPLES = Path(__file__).parent / "samples"

GOOD = {
    "id": "x-001",
    "site": "gilava",
    "day_offset": 3,
    "time": "09:41",
    "section": "شهری",
    "kicker": "",
    "title": "عنوان خبر",
    "lead": "لید خبر.",
    "body": ["بند یک.", "بند دو."],
    "authors": [],
    "tags": ["رشت"],
    "story": None,
    "copy_of": None,
    "broken": None,
}
GOOD_LABEL = {
    "id": "x-001",
    "municipal": True,
    "domain": "urban_services",
    "secondary": None,
    "rasht": True,
    "gilan": True,
    "concern": False,
    "tone": "neutral",
    "places": [],
    "key_sentence": None,
}


def write(folder: Path, name: str, rows: list[dict | str]) -> Path:
    path = folder / name
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
        "utf-8",
    )
    return path


def test_samples_load_as_typed_records() -> None:
    arts = load_articles(SAMPLES)
    labels = load_labels(SAMPLES)
    assert len(arts) == 10 and all(isinstance(a, DemoArticle) for a in arts)
    assert isinstance(arts[0].body, tuple) and arts[0].hour_minute == (18, 17)
    assert set(labels) == {a.id for a in arts}
    assert labels["s-003"].domain is Domain.urban_services and labels["s-003"].tone is Tone.negative
    assert {a.broken for a in arts} == {None, "http_500", "truncated", "future_date"}


def test_files_load_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "w2.jsonl", [{**GOOD, "id": "b"}])
    write(tmp_path, "w1.jsonl", [{**GOOD, "id": "a"}])
    assert [a.id for a in load_articles(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({**GOOD, "site": "bbc"}, "line 2: field «site»"),
        ({**GOOD, "day_offset": 0}, "line 2: field «day_offset»"),
        ({**GOOD, "time": "9:41"}, "line 2: field «time»"),
        ({**GOOD, "body": []}, "line 2: field «body»"),
        ({k: v for k, v in GOOD.items() if k != "title"}, "line 2: field «title»"),
        ({**GOOD, "broken": "slow"}, "line 2: field «broken»"),
        ({**GOOD, "colour": "red"}, "line 2: unknown field(s) ['colour']"),
        ("{not json", "line 2: not valid JSON"),
        ({**GOOD, "id": "x-001"}, "line 2: field «id»: 'x-001' already used"),
        ({**GOOD, "id": "x-002", "copy_of": "x-999"}, "field «copy_of»: 'x-999'"),
    ],
)
def test_bad_content_names_file_line_and_field(tmp_path: Path, row: dict | str, needle: str) -> None:
    path = write(tmp_path, "w9.jsonl", [GOOD, row])
    with pytest.raises(ContentError) as exc:
        load_articles(tmp_path)
    assert needle in str(exc.value)
    assert "w9.jsonl" in str(exc.value) or path.name in str(exc.value)


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({**GOOD_LABEL, "domain": "transport"}, "field «domain»"),
        ({**GOOD_LABEL, "municipal": False}, "must be 'other' exactly when municipal is false"),
        ({**GOOD_LABEL, "tone": None}, "field «tone»: must be null exactly when municipal is false"),
        ({**GOOD_LABEL, "tone": "angry"}, "field «tone»"),
    ],
)
def test_bad_labels_name_file_line_and_field(tmp_path: Path, row: dict, needle: str) -> None:
    write(tmp_path, "w9.jsonl", [GOOD])
    write(tmp_path, "w9.labels.jsonl", [row])
    with pytest.raises(ContentError) as exc:
        load_labels(tmp_path)
    assert "w9.labels.jsonl: line 1" in str(exc.value) and needle in str(exc.value)


def test_shipped_content_is_valid_and_fully_labelled() -> None:
    """Whatever the writers have landed in demo/content loads, and every article has its labels."""
    arts = load_articles(CONTENT_DIR)
    labels = load_labels(CONTENT_DIR)
    assert [a.id for a in arts if a.id not in labels] == []
    assert set(labels) <= {a.id for a in arts}


def test_slug_keeps_persian_words_and_drops_punctuation() -> None:
    assert slugify("گلایه ساکنان «گلسار» از زباله؛ ۳ روز!") == "گلایه-ساکنان-گلسار-از-زباله-۳-روز"
    assert slugify("می‌شود") == "می-شود"


def test_labels_for_an_unknown_article_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "w9.jsonl", [GOOD])
    write(tmp_path, "w9.labels.jsonl", [{**GOOD_LABEL, "id": "x-404"}])
    with pytest.raises(
        ContentError, match=r"w9.labels.jsonl: line 1: field «id»: 'x-404' is not an article of w9.jsonl"
    ):
        load_labels(tmp_path)


SITE = """[[sites]]
id = "x"
name = "سایت"
family = "wordpress"
parser = "wordpress"
kind = "news_site"
scope = "rasht"
notes = ""
accent = "#000"
title_suffix = ""
article_path = "/{code}/"
tag_path = "/"
per_page = 10
nav = [["خانه", "/"]]
feeds = [{ path = "/feed/" }]
"""


def test_the_outlets_are_data_and_each_has_its_familys_markup(tmp_path: Path) -> None:
    assert list(SITES) == ["payam", "sepidrud", "navashomal", "gilava", "sobherasht", "goharrud"]
    assert all((TEMPLATES / spec.family / "article.html").exists() for spec in SITES.values())
    assert [f.gilan_only for f in SITES["payam"].feeds] == [False, True]
    [dead] = [f.dead_item for spec in SITES.values() for f in spec.feeds if f.dead_item is not None]
    assert dead.path.startswith("/fa/news/") and dead.day_offset == 1
    (tmp_path / "sites.toml").write_text(SITE, encoding="utf-8")
    [spec] = load_sites(tmp_path / "sites.toml").values()
    assert (spec.id, spec.feeds[0].path, spec.feeds[0].title, spec.nav, spec.listing) == ("x", "/feed/", "", (("خانه", "/"),), None)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (SITE.replace('kind = "news_site"', 'kind = "tv"'), "site #1 (x): field «kind»"),
        (SITE + 'colour = "red"\n', "site #1 (x): unknown field(s) ['colour']"),
        (SITE.replace('{ path = "/feed/" }', '{ path = "/feed/", titel = "t" }'), "unknown field(s) ['feeds.titel']"),
        (SITE.replace("per_page = 10\n", ""), "field «per_page»"),
        (SITE + SITE, "site #2 (x): field «id»: 'x' already used"),
        (SITE.replace('id = "x"', 'id = x'), "sites.toml"),
        ("", "no [[sites]] entries"),
    ],
)
def test_a_bad_sites_file_names_the_outlet_and_the_field(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "sites.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as exc:
        load_sites(tmp_path / "sites.toml")
    assert needle in str(exc.value)
