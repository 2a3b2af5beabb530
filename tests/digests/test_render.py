"""Rendering: self-contained RTL HTML, clean Markdown and JSON, inert scraped text, empty days."""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from digests.deliver import archive, build_message
from digests.records import Digest
from digests.render import render_html, render_json, render_markdown, render_text
from digests.select import build_brief, build_digest
from mediawatch.records import Domain, SourceReport
from mediawatch.text import md_escape
from tests.digests.dg_factory import (
    EVIL_SENTENCE,
    EVIL_TITLE,
    PERIOD_END,
    PERIOD_START,
    SOURCES,
    evil_digest,
    item,
    night,
)


def assert_inert(html: str) -> None:
    """No script, no event handler, no javascript:/data: link anywhere in the document."""
    soup = BeautifulSoup(html, "lxml")
    assert soup.find_all(["script", "iframe", "img", "object", "embed"]) == []
    assert [t.name for t in soup.find_all("svg")] == [t.name for t in soup.find_all("svg", class_="chart")]
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), (tag.name, attr)
            if attr in ("href", "src", "action", "formaction", "xlink:href"):
                assert re.match(r"https?://|#[a-z_-]+$", str(value)), (tag.name, attr, value)
    assert "javascript:" not in " ".join(str(a.get("href", "")) for a in soup.find_all("a"))


def test_html_is_self_contained_rtl_persian(digest: Digest) -> None:
    html = render_html(digest)
    soup = BeautifulSoup(html, "lxml")
    assert soup.html["lang"] == "fa" and soup.html["dir"] == "rtl"
    assert "@font-face" in html and "data:font/woff2;base64," in html
    assert 'font-family: "Vazirmatn"' in html
    assert "@page { size: A4" in html and "@media print" in html
    assert soup.find_all("script") == [] and soup.find_all("link") == []
    # Nothing is fetched from the network: the only http(s) URLs are the article links.
    for tag in soup.find_all(src=True):
        raise AssertionError(f"external resource {tag}")
    assert "url(http" not in html
    # Persian labels and Jalali dates with Persian digits.
    assert "نگرانی‌های شهروندان" in html and "پوشش خبری شهرداری" in html
    assert "منابعی که دیشب در دسترس نبودند" in html and "آذر ۱۴۰۵" in html
    assert len(soup.find_all("svg", class_="chart")) == 2


def test_every_claim_links_to_its_articles(digest: Digest) -> None:
    soup = BeautifulSoup(render_html(digest), "lxml")
    top = soup.find(id="top-concerns")
    cards = top.find_all("article", class_="story")
    assert [c.h3.get_text(" ", strip=True) for c in cards] == [
        "۱. انباشت زباله در خیابان‌های گلسار",
        "۲. ترافیک سنگین میدان شهدا",
        "۳. کمبود کتابخانه در لاهیجان",
    ]
    first_links = {a["href"] for a in cards[0].select("ul.outlets a")}
    assert first_links == {a.url for a in digest.top_concerns[0].articles}
    for a in soup.find_all("a"):
        if a.find_parent("nav"):  # the table of contents links within the page
            assert soup.find(id=a["href"][1:]) is not None
        else:
            assert a["href"].startswith("https://") and "noopener" in a["rel"]
    group = soup.find(id="group-civil_works_traffic")
    assert "ترافیک سنگین میدان شهدا" in group.get_text()
    assert "زباله" not in group.find_all("article")[0].get_text()


def test_scraped_markup_is_inert_in_html_and_email() -> None:
    doc = evil_digest()
    html = render_html(doc)
    assert_inert(html)
    assert "&lt;script&gt;" in html  # shown as text, not dropped
    msg = message_from_bytes(build_message(doc, ["a@rasht.example"], "mw@rasht.example").as_bytes())
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()
    }
    assert_inert(parts["text/html"])
    assert "javascript:" not in parts["text/plain"].replace(EVIL_TITLE, "").replace(EVIL_SENTENCE, "")
    for line in parts["text/plain"].splitlines():
        if line.strip().startswith(("http", "javascript", "JAVASCRIPT", "data:")):
            assert line.strip().startswith("https://")


def test_scraped_markup_is_inert_in_markdown_and_json() -> None:
    doc = evil_digest()
    md = render_markdown(doc)
    assert not re.search(r"(?<!\\)\]\(", md.replace("](https://", "")) and "<script>" not in md
    assert "\\<script\\>" in md
    # Rendered by a CommonMark renderer that allows raw HTML (the worst case), it is still inert.
    rendered = MarkdownIt("commonmark").render(md)
    assert_inert(rendered)
    assert "&lt;script&gt;" in rendered
    assert re.findall(r"(?<!\\)\]\(", md) == []  # no link survived: every URL was unsafe
    data = json.loads(render_json(doc))
    urls = [a["url"] for s in data["top_concerns"] for a in s["articles"]]
    assert urls == ["", ""]


def test_brief_lists_every_article_with_outlet_date_and_link() -> None:
    items, history = night()
    brief = build_brief(
        "urban_services", items, period=(PERIOD_START, PERIOD_END), previous_period_items=[], history=history
    )
    soup = BeautifulSoup(render_html(brief), "lxml")
    rows = soup.find(id="articles").find("tbody").find_all("tr")
    assert len(rows) == len(brief.articles) == 5
    for row, a in zip(rows, brief.articles, strict=True):
        cells = row.find_all("td")
        assert (
            cells[0].a["href"] == a.url and cells[1].get_text() == a.outlet and "آذر" in cells[2].get_text()
        )
    md = render_markdown(brief)
    assert md.count("](https://") >= 5 and "## فهرست همهٔ خبرها" in md


def test_empty_day_says_so() -> None:
    doc = build_digest([], period=(PERIOD_START, PERIOD_END), sources=SOURCES)
    html = render_html(doc)
    soup = BeautifulSoup(html, "lxml")
    assert soup.find(id="no-articles") is not None and soup.find(id="all-down") is None
    assert "در این بازه هیچ خبری ثبت نشد" in render_markdown(doc)
    assert "در این بازه هیچ خبری ثبت نشد" in render_text(doc)
    brief = build_brief("urban_services", [], period=(PERIOD_START, PERIOD_END), previous_period_items=[])
    assert "خبری در حوزهٔ این کارگروه ثبت نشد" in render_html(brief)


def test_all_sources_down_says_so() -> None:
    down = [SourceReport(source_id=s, fatal="اتصال برقرار نشد") for s in SOURCES]
    doc = build_digest([], period=(PERIOD_START, PERIOD_END), failures=down, sources=SOURCES)
    soup = BeautifulSoup(render_html(doc), "lxml")
    assert soup.find(id="all-down") is not None
    assert len(soup.find(id="failures").find_all("li")) == len(SOURCES)
    assert "هیچ‌یک از منابع" in render_markdown(doc) and "هیچ‌یک از منابع" in render_text(doc)


def test_archive_writes_by_jalali_date(digest: Digest, tmp_path: Path) -> None:
    paths = archive(digest, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "1405-09-04/digest.html",
        "1405-09-04/digest.md",
        "1405-09-04/digest.json",
    ]
    brief = build_brief("economic_budget_it", [], period=(PERIOD_START, PERIOD_END), weekly=True)
    assert archive(brief, tmp_path, ["md"])[0].name == "brief-economic_budget_it-weekly.md"
    with pytest.raises(ValueError, match="unknown format"):
        archive(digest, tmp_path, ["pdf"])


def test_markdown_escape() -> None:
    assert md_escape("a*b_[c](d)\n# e <f>") == "a\\*b\\_\\[c\\]\\(d\\) \\# e \\<f\\>"
    # One escaper for the digests and the run report: a table cell, an image, an entity stay text.
    assert md_escape("x | y ![i](u) &lt; {a} ~b~ `c`") == (
        "x \\| y \\!\\[i\\]\\(u\\) \\&lt; \\{a\\} \\~b\\~ \\`c\\`"
    )


def test_domain_titles_in_figures(digest: Digest) -> None:
    md = render_markdown(digest)
    assert "| کارگروه خدمات شهری | ۵ |" in md
    assert str(Domain.urban_services) not in md


def test_markdown_links_work_when_rendered(digest: Digest) -> None:
    html = MarkdownIt("commonmark").render(render_markdown(digest))
    hrefs = {a["href"] for a in BeautifulSoup(html, "lxml").find_all("a")}
    expected = {a.url for s in digest.top_concerns for a in s.articles}
    assert expected <= hrefs
    odd = item("پرانتز", url="https://a.example/wiki/Rasht_(city) page", concern=True, cluster="odd")
    doc = build_digest([odd], period=(PERIOD_START, PERIOD_END))
    rendered = MarkdownIt("commonmark").render(render_markdown(doc))
    assert (
        BeautifulSoup(rendered, "lxml").find("a")["href"] == "https://a.example/wiki/Rasht_%28city%29%20page"
    )


def test_a_night_without_collection_says_so() -> None:
    doc = build_digest([], period=(PERIOD_START, PERIOD_END), sources=SOURCES, collection_ran=False)
    soup = BeautifulSoup(render_html(doc), "lxml")
    assert soup.find(id="no-run") is not None and soup.find(id="no-articles") is None
    assert "هیچ اجرای جمع‌آوری" in render_markdown(doc) and "هیچ اجرای جمع‌آوری" in render_text(doc)
    ran = build_digest([], period=(PERIOD_START, PERIOD_END), sources=SOURCES, collection_ran=True)
    assert BeautifulSoup(render_html(ran), "lxml").find(id="no-run") is None


def test_a_source_retried_later_is_reported_once() -> None:
    reports = [
        SourceReport(source_id="shomal", fatal="timeout"),
        SourceReport(source_id="shomal", failed=1, errors=["HTTP 404"]),
    ]
    doc = build_digest([], period=(PERIOD_START, PERIOD_END), failures=reports, sources=SOURCES)
    assert [(f.name, f.fatal) for f in doc.failures] == [("روزنامه شمال", False)]
