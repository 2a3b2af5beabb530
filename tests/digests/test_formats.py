"""The three formats from one template set: none loses a section, none lets hostile text become markup."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from digests import text_fa as ui
from digests.records import Brief, Digest
from digests.render import render_html, render_markdown, render_text
from digests.select import build_brief, build_digest
from mediawatch.records import Domain, SourceReport, Tone
from tests.digests.dg_factory import FAILURES, PERIOD_END, PERIOD_START, SOURCES, item, night
from tests.digests.test_render import assert_inert

PERIOD = (PERIOD_START, PERIOD_END)
FORMATS = ("html", "md", "txt")


def _fold(text: str) -> str:
    return " ".join(text.split())


def _md_html(md: str) -> str:
    """Markdown as a GitHub-like renderer shows it (tables, strikethrough, raw HTML allowed)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def visible(doc: Digest | Brief, fmt: str) -> str:
    """What a reader sees in `fmt`, whitespace folded: HTML and rendered Markdown as text, text as is."""
    if fmt == "html":
        return _fold(BeautifulSoup(render_html(doc), "lxml").get_text(" "))
    if fmt == "md":
        return _fold(BeautifulSoup(_md_html(render_markdown(doc)), "lxml").get_text(" "))
    return _fold(render_text(doc))


def _in_order(text: str, parts: list[str]) -> bool:
    at = 0
    for p in parts:
        at = text.find(_fold(p), at)
        if at < 0:
            return False
    return True


def _night_digest() -> Digest:
    items, history = night()
    return build_digest(items, period=PERIOD, failures=FAILURES, history=history, sources=SOURCES)


def _night_brief(weekly: bool = False) -> Brief:
    items, history = night()
    return build_brief("civil_works_traffic", items, period=PERIOD, history=history, weekly=weekly)


# Sections every format must show (the HTML alone also has its table of contents and charts).
DIGEST_SECTIONS = {
    "html": [ui.FIGURES, ui.TOP_CONCERNS, ui.BY_GROUP, ui.PR, ui.MANAGEMENT, ui.FAILURES],
    "md": [ui.FIGURES, ui.TOP_CONCERNS, ui.BY_GROUP, ui.PR, ui.MANAGEMENT, ui.FAILURES],
    "txt": [ui.FIG_RASHT, ui.TOP_CONCERNS, ui.MANAGEMENT, ui.FAILURES],
}
BRIEF_SECTIONS = {
    "html": [ui.FIGURES, ui.trend(False), ui.CONCERNS, ui.RECURRING, ui.ALL_ARTICLES],
    "md": [ui.FIGURES, ui.trend(False), ui.CONCERNS, ui.RECURRING, ui.ALL_ARTICLES],
    "txt": [ui.FIG_RASHT, ui.CONCERNS, ui.ALL_ARTICLES],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_digest_has_every_section_and_story_in_every_format(fmt: str) -> None:
    doc = _night_digest()
    seen = visible(doc, fmt)
    assert _in_order(seen, [doc.title, *DIGEST_SECTIONS[fmt]]), fmt
    # The ranked concerns in rank order, each with its meta and why line, its outlets and articles.
    top = doc.top_concerns[0]
    assert _in_order(seen, [ui.TOP_CONCERNS, *(s.headline for s in doc.top_concerns)])
    assert _in_order(seen, [top.headline, ui.FIRST_SEEN, *(a.title for a in top.articles), ui.WHY, top.why])
    for g in doc.groups:
        if g.concerns:
            assert g.title in seen and g.concerns[0].headline in seen
    assert all(s.headline in seen for s in doc.management)
    assert all(f.name in seen and f.reason in seen for f in doc.failures)
    assert ui.PARTIAL_FAILURE in seen  # gilkhabar lost two pages, the rest of it arrived


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("weekly", [False, True])
def test_the_brief_has_every_section_and_article_in_every_format(fmt: str, weekly: bool) -> None:
    doc = _night_brief(weekly)
    seen = visible(doc, fmt)
    sections = [ui.trend(weekly) if s == ui.trend(False) else s for s in BRIEF_SECTIONS[fmt]]
    assert _in_order(seen, [doc.title, *sections]), fmt
    assert ui.previous_period(weekly) in seen
    assert _in_order(seen, [ui.CONCERNS, *(s.headline for s in doc.concerns)])
    assert _in_order(seen, [ui.ALL_ARTICLES, *(a.title for a in doc.articles)])
    if fmt != "txt":
        assert doc.recurring and _in_order(seen, [ui.RECURRING, doc.recurring[0].headline])


def _notice_docs() -> dict[str, tuple[Digest | Brief, str]]:
    down = [SourceReport(source_id=s, fatal="اتصال برقرار نشد") for s in SOURCES]
    items, _ = night()
    return {
        "all down": (build_digest([], period=PERIOD, failures=down, sources=SOURCES), ui.ALL_SOURCES_DOWN),
        "no run": (build_digest([], period=PERIOD, sources=SOURCES, collection_ran=False), ui.NO_RUN),
        "unfinished": (
            build_digest(items, period=PERIOD, sources=SOURCES, collection_ran=True, collection_unfinished=True),
            ui.UNFINISHED_RUN,
        ),
        "empty": (build_digest([], period=PERIOD, sources=SOURCES, collection_ran=True), ui.NO_ARTICLES),
        "no top concerns": (build_digest([], period=PERIOD, sources=SOURCES), ui.NO_TOP_CONCERNS),
        "unanalysed": (build_digest(items, period=PERIOD, sources=SOURCES, unanalysed=3), ui.unanalysed(3)),
        "empty brief": (build_brief("urban_services", [], period=PERIOD), ui.BRIEF_NO_ARTICLES),
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(_notice_docs()))
def test_every_notice_says_the_same_in_every_format(case: str, fmt: str) -> None:
    doc, notice = _notice_docs()[case]
    assert notice in visible(doc, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_late_find_is_marked_in_every_format(fmt: str) -> None:
    doc = _night_digest()
    assert ui.LATE not in visible(doc, fmt)
    doc.top_concerns[0].articles[0].late = True
    assert _in_order(visible(doc, fmt), [doc.top_concerns[0].articles[0].title, ui.LATE])


# --- hostile scraped text -------------------------------------------------------------------------------
HOSTILE = (
    "x\n# h1 *em* _u_ `c` | p | <script>alert(1)</script> [l](javascript:alert(1)) "
    "![i](https://e.example/i.png) ~~s~~ &lt;b&gt; \\* 1. <b onmouseover=alert(2)>b</b>\n\n- li"
)
SHOWN = _fold(HOSTILE)  # what a reader must see: every character as written, on one line


def _hostile_digest() -> Digest:
    """Every scraped string (titles, key sentence, outlet names, failure reasons) is HOSTILE."""
    bad = dataclasses.replace(SOURCES["gilkhabar"], name=HOSTILE)
    sources = {**SOURCES, "gilkhabar": bad}
    items = [
        dataclasses.replace(i, source_name=HOSTILE)
        for i in (
            item(HOSTILE, concern=True, score=0.9, sentence=HOSTILE, cluster="h", tone=Tone.negative),
            item(HOSTILE, concern=True, cluster="h", url="https://e.example/a) [x](//evil.example/<b>"),
            item(HOSTILE, domain=Domain.management, cluster="m", url="javascript:alert(4)"),
        )
    ]
    items.append(item(HOSTILE, source="rasht_city", cluster="pr"))
    fails = [SourceReport(source_id="gilkhabar", failed=1, errors=[HOSTILE])]
    return build_digest(items, period=PERIOD, failures=fails, sources=sources)


def _hostile_brief() -> Brief:
    return build_brief(
        "urban_services",
        [item(HOSTILE, concern=True, sentence=HOSTILE, cluster="h", url="javascript:alert(5)")],
        period=PERIOD,
    )


@pytest.mark.parametrize("make", [_hostile_digest, _hostile_brief], ids=["digest", "brief"])
def test_hostile_text_is_inert_and_shown_as_written_in_html(make: Callable[[], Digest | Brief]) -> None:
    html = render_html(make())
    assert_inert(html)
    soup = BeautifulSoup(html, "lxml")
    assert not soup.find_all("b", onmouseover=True) and soup.find("h1").get_text() == make().title
    assert SHOWN in _fold(soup.get_text(" "))


@pytest.mark.parametrize("make", [_hostile_digest, _hostile_brief], ids=["digest", "brief"])
def test_hostile_text_is_inert_and_shown_as_written_in_markdown(make: Callable[[], Digest | Brief]) -> None:
    doc = make()
    md = render_markdown(doc)
    rendered = _md_html(md)
    assert_inert(rendered)
    soup = BeautifulSoup(rendered, "lxml")
    # No markup came from the scraped text: one h1 (the title), no code, strikethrough, image, raw tag.
    assert [h.get_text() for h in soup.find_all("h1")] == [doc.title]
    assert soup.find_all(["code", "s", "del", "img", "b", "script"]) == []
    assert not any(e.get_text().strip() in ("em", "u") for e in soup.find_all(["em", "strong"]))
    assert SHOWN in _fold(soup.get_text(" "))
    # Every link is one of ours, to an http(s) URL; its text is the whole scraped title.
    for a in soup.find_all("a"):
        assert a["href"].startswith("https://") and _fold(a.get_text()) == SHOWN
    # The scraped newlines did not start a heading, a list item or a table row of their own.
    for line in md.splitlines():
        assert not re.match(r"\s*(# h1|- li|\| p)", line), line


@pytest.mark.parametrize("make", [_hostile_digest, _hostile_brief], ids=["digest", "brief"])
def test_hostile_text_stays_on_its_line_in_plain_text(make: Callable[[], Digest | Brief]) -> None:
    text = render_text(make())
    assert SHOWN in text
    for line in text.splitlines():
        assert not re.match(r"\s*(# h1|- li)", line), line
        if re.match(r"\s*(https?|javascript|data):", line, re.I):
            assert line.strip().startswith("https://"), line
