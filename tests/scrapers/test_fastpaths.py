"""The fast paths (lxml parsers, one connection pool per host) behave as the slow ones did."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapers.discover import parse_feed
from scrapers.fetch import PoliteClient
from scrapers.parsers import get_parser
from scrapers.parsers.base import drop_noise, parse_html, select, text_of

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_atom_feeds_are_read() -> None:
    atom = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title><link href="https://a.ir/news/1"/></entry></feed>'
    assert [i.url for i in parse_feed(atom, "https://a.ir/atom", now=NOW)] == ["https://a.ir/news/1"]


def test_feed_links_with_an_upper_case_scheme_are_read_and_bare_guids_are_not() -> None:
    """A URL's scheme is case-insensitive: «HTTPS://» links were dropped as if they were not links."""
    rss = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
           b"<item><title>a</title><link>HTTPS://A.ir/news/1</link></item>"
           b"<item><title>b</title><link>/news/2</link></item>"
           b"<item><title>c</title><guid isPermaLink='false'>12345</guid></item>"
           b"<item><title>d</title><link>ftp://a.ir/news/4</link></item>"
           b"</channel></rss>")
    assert [i.url for i in parse_feed(rss, "https://a.ir/rss", now=NOW)] == ["https://a.ir/news/1", "https://a.ir/news/2"]


def test_text_joins_as_a_browser_shows_it_where_noise_was_removed() -> None:
    html = ("<html><body><article><h1>خبر<script>x()</script>رشت</h1><div class='entry-content'>"
            "<p>بند اول که به اندازهٔ کافی بلند است تا متن به حساب بیاید و <b>پررنگ</b> نیز دارد.</p>"
            "<!-- a comment --><p>بند دوم</p></div>"
            "<time datetime='2026-11-25T10:00:00Z'></time></article></body></html>")
    art = get_parser("wordpress").extract(html, "https://a.ir/news/1", now=NOW)
    # A script shows nothing (the words meet), a removed figure is a block (the words stay apart).
    assert art.title == "خبررشت"
    assert art.paragraphs == ["بند اول که به اندازهٔ کافی بلند است تا متن به حساب بیاید و پررنگ نیز دارد.", "بند دوم"]
    doc = parse_html("<html><body><div>بند سوم<figure><img src='a.jpg'><figcaption>عکس</figcaption></figure>بند<div>چهار</div>م</div></body></html>")
    drop_noise(doc)
    assert text_of(doc) == "بند سوم بند چهار م"
    assert art.published_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_selectors_reach_above_the_searched_element_as_soupsieve_did() -> None:
    doc = parse_html("<html><body><div class='item-body'><article><div class='item-text'><p>الف</p><p>ب</p></div></article></div></body></html>")
    article = next(iter(select(doc, "article")))
    assert [text_of(p) for p in select(article, ".item-body .item-text>*")] == ["الف", "ب"]
    assert select(article, "article") == []  # the element itself is not its own match
    assert [el.tag for el in select(doc, "html")] == ["html"]  # the document's root is


def test_xml_declaration_and_empty_pages_parse() -> None:
    art = get_parser("generic").extract('<?xml version="1.0" encoding="utf-8"?><html><body><h1>عنوان</h1></body></html>', "https://a.ir/1", now=NOW)
    assert art.title == "عنوان"
    assert get_parser("generic").extract("", "https://a.ir/1", now=NOW).title == ""


async def test_one_connection_pool_per_host() -> None:
    async with PoliteClient() as client:
        a1 = client._client_for("https://a.ir/news/1")
        assert client._client_for("https://a.ir/news/2") is a1
        assert client._client_for("https://b.ir/news/1") is not a1
        assert client._client_for("http://a.ir/news/1") is not a1  # another origin
    assert client._clients == {}
