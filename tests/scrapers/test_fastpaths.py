"""The fast paths (lxml parsers, lxml feed reader, one connection pool per host) behave as the slow ones did."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scrapers import discover
from scrapers.discover import _plain_rss, parse_feed
from scrapers.fetch import PoliteClient
from scrapers.parsers import get_parser
from scrapers.parsers.base import drop_noise, parse_html, select, text_of

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def rss(*items: str) -> bytes:
    body = "".join(f"<item>{i}</item>" for i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>t</title>{body}</channel></rss>").encode()


PLAIN_ITEMS = [
    "<title>  خبر   یک \n</title><link> https://a.ir/news/1?utm_source=x </link><pubDate>Thu, 26 Nov 2026 08:00:00 +0000</pubDate>",
    '<title>x</title><guid isPermaLink="false">https://a.ir/news/2</guid>',
    "<title>x</title><guid>https://a.ir/news/3</guid><description>  خلاصهٔ خبر  </description>",
    '<title>x</title><guid isPermaLink="false">abc-4</guid><link>/news/4</link>',
    "<title>x</title><link>https://a.ir/news/5</link><category>a</category><category> b </category><category>a</category>"
    "<dc:subject>k</dc:subject><dc:creator>علی</dc:creator><dc:creator>رضا</dc:creator>",
    "<title></title><link>https://a.ir/news/7</link><pubDate>۵ آذر ۱۴۰۵</pubDate>",
    "<title>x</title><link>mailto:someone</link>",
    "<link>https://a.ir/news/9</link><description>متن «رشت»</description><comments>https://a.ir/c</comments>",
]


def feedparser_items(body: bytes) -> list[discover.Item]:
    original = discover._plain_rss
    discover._plain_rss = lambda *a: None  # type: ignore[assignment]
    try:
        return parse_feed(body, "https://a.ir/rss", now=NOW)
    finally:
        discover._plain_rss = original


@pytest.mark.parametrize("item", PLAIN_ITEMS)
def test_plain_rss_fast_path_gives_feedparsers_items(item: str) -> None:
    body = rss(item, item.replace("/news/", "/news/10"))
    fast = _plain_rss(body, "https://a.ir/rss", NOW)
    assert fast is not None, "this feed should take the fast path"
    assert fast == feedparser_items(body)


@pytest.mark.parametrize(
    "item",
    [
        "<title>&lt;b&gt;x&lt;/b&gt;</title><link>https://a.ir/news/1</link>",  # markup in a field
        "<title>x</title><link>https://a.ir/news/1</link><description><![CDATA[<p>متن</p>]]></description>",
        "<title>x</title><link>https://a.ir/news/1</link><author>a@b.ir (علی)</author>",  # e-mail forms
        '<title>x</title><link>https://a.ir/news/1</link><category domain="x">a</category>',
        "<title>x</title><link>https://a.ir/news/1</link><pubDate>not a date</pubDate>",
        "<title>x</title><title>y</title><link>https://a.ir/news/1</link>",  # repeated element
    ],
)
def test_unusual_feeds_go_to_feedparser(item: str) -> None:
    body = rss(item)
    assert _plain_rss(body, "https://a.ir/rss", NOW) is None
    assert parse_feed(body, "https://a.ir/rss", now=NOW) == feedparser_items(body)


def test_atom_and_broken_xml_go_to_feedparser() -> None:
    atom = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title><link href="https://a.ir/news/1"/></entry></feed>'
    assert _plain_rss(atom, "https://a.ir/atom", NOW) is None
    assert [i.url for i in parse_feed(atom, "https://a.ir/atom", now=NOW)] == ["https://a.ir/news/1"]
    broken = rss("<title>x</title><link>https://a.ir/news/1</link>")[:-20]
    assert _plain_rss(broken, "https://a.ir/rss", NOW) is None


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
