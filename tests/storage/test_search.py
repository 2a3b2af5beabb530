"""Search on both backends: Persian spelling variants match, filters apply, ranking and snippets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mediawatch.records import Domain
from mediawatch.text import search_fold
from tests.storage.factory import SOURCES, T0, analysis, article

# Texts written for these tests: each spells a word one way; queries spell it the others.
DOCS = {
    1: ("آسفالت خیابان‌های رشت", "عملیات آسفالت معابر از فردا آغاز می‌شود و تا پایان ماه ادامه دارد."),
    2: ("جمع‌آوری پسماند", "پسماند شهري در محله‌ها جمع‌آوري ميشود؛ شهروندان از بوي شيرابه گلايه دارند."),
    3: ("جشنواره فرهنگی", "جشنواره غذای رشت با حضور گردشگران برگزار می شود."),
    4: ("بودجه شهرداری", "بودجهٔ سال آینده شهرداری در شورا بررسی شد و ارقام ۱۴۰۵ اعلام گردید."),
    5: ("پارک‌ها", "باغ‌ها و پارک‌ها در زمستان نگهداری می‌شوند. ﻛﺎﺭﮔﺮان شهرداری کار می‌کنند."),
}


@pytest.fixture
def st(store):
    store.sync_sources(SOURCES)
    ids = store.add_articles([
        article(n, title=t, body=b, source="rasht_news" if n == 4 else "gilan_now",
                published_at=T0 - timedelta(days=30) if n == 3 else T0)
        for n, (t, b) in DOCS.items()])
    store.ids = dict(zip(DOCS, ids, strict=True))
    return store


def found(st, query, **kw):
    inv = {v: k for k, v in st.ids.items()}
    return {inv[h.article_id] for h in st.search(query, **kw)}


@pytest.mark.parametrize("query", ["میشود", "می‌شود", "می شود", "ميشود", "مي شود"])
def test_half_space_and_letter_variants_find_each_other(st, query):
    assert found(st, query) == {1, 2, 3}


@pytest.mark.parametrize(("query", "expected"), [
    ("جمع آوری", {2}),           # half-space in the text, space in the query
    ("جمعآوری", {2}),
    ("شهری", {2}),               # Arabic yeh in the text
    ("شيرابه", {2}),
    ("محله ها", {2}),            # plural suffix written apart
    ("بودجه", {4}),              # «بودجهٔ» with hamza above
    ("1405", {4}),               # Persian digits in the text
    ("۱۴۰۵", {4}),
    ("کارگران", {5}),            # Arabic presentation forms in the text
    ("پارکها", {5}),
    ("آسفالت معابر", {1}),       # every word must match
    ("آسفالت پسماند", set()),
    ("شهردار", {4, 5}),          # words match as prefixes: «شهرداری»
    ("گردشگر", {3}),
    ("", set()),
    ("؟!", set()),
])
def test_queries(st, query, expected):
    assert found(st, query) == expected


def test_filters_domain_since_source(st):
    st.save_analyses([(st.ids[4], analysis(domain=Domain.economic_budget_it)),
                      (st.ids[5], analysis(domain=Domain.urban_services))])
    assert found(st, "شهرداری") == {4, 5}
    assert found(st, "شهرداری", domain="economic_budget_it") == {4}
    assert found(st, "شهرداری", source="gilan_now") == {5}
    assert found(st, "میشود") == {1, 2, 3}
    assert found(st, "میشود", since=T0 - timedelta(days=1)) == {1, 2}
    assert len(st.search("میشود", limit=2)) == 2


def test_ranking_and_hit_fields(store):
    store.sync_sources(SOURCES)
    ids = store.add_articles([
        article(1, title="گزارش روز", body="یک بار سخن از ترافیک رفت و سپس از چیزهای دیگر بسیار گفته شد. " * 3),
        article(2, title="ترافیک میدان", body="ترافیک، ترافیک و باز هم ترافیک سنگین در میدان."),
    ])
    hits = store.search("ترافیک")
    assert [h.article_id for h in hits] == [ids[1], ids[0]]
    top = hits[0]
    assert top.title == "ترافیک میدان" and top.source_name == "گیلان امروز"
    assert top.url == article(2).url and top.published_at == T0
    assert "ترافیک" in top.snippet


def test_snippet_shows_original_text_around_the_match(st):
    hits = {h.article_id: h for h in st.search("مي شود")}
    assert "آغاز می‌شود" in hits[st.ids[1]].snippet  # the original half-space, not the folded «میشود»
    assert "جمع‌آوري ميشود" in hits[st.ids[2]].snippet  # the original Arabic yeh
    from storage.search import make_snippet

    long = " ".join(f"w{i}" for i in range(100)) + " شهرداری " + " ".join(f"x{i}" for i in range(100))
    snip = make_snippet(long, ["شهردار"])
    assert snip.startswith("… w92 ") and " شهرداری " in snip and snip.endswith(" …")


def test_search_fold_rules():
    assert search_fold("می‌شود") == search_fold("میشود") == search_fold("می شود") == "میشود"
    assert search_fold("نمی‌خواهد") == search_fold("نمی خواهد")
    assert search_fold("كتاب‌ها") == search_fold("کتاب ها") == "کتابها"
    assert search_fold("بزرگ ترین") == search_fold("بزرگ‌ترین") == "بزرگترین"
    assert search_fold("خانۀ") == search_fold("خانه") == search_fold("خانة")
    assert search_fold("شَهرِداری") == "شهرداری"
    assert search_fold("رشــــت") == "رشت"
    assert search_fold("۱۴۰۵/٠٩/05") == "1405 09 05"
    assert search_fold("Rasht, CITY!") == "rasht city"
    assert search_fold("آب") == search_fold("اب")
    assert search_fold("می") == "می"


def test_index_text_and_query_terms():
    from mediawatch.text import search_doc, search_terms

    assert search_doc("جمع‌آوری کتاب‌ها می‌شود") == "جمعاوری کتابها میشود\nجمع اوری"
    assert search_doc("بدون نیم‌فاصله") == "بدون نیمفاصله\nنیم فاصله"
    assert search_doc("ساده") == "ساده"
    assert search_terms("جمع‌آوری کتاب‌ها می‌شود کتاب‌ها") == ["جمع", "اوری", "کتابها", "میشود"]
