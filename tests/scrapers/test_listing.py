"""Listing pages read with lxml (scrapers/discover.py): links, their dates and titles, the next page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scrapers.discover import parse_feed, parse_listing

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
PAGE = "https://a.ir/archive?page=1"

LISTING = """<html><head><title>آرشیو</title><link rel="stylesheet" href="/s.css"></head><body>
<header><a href="/news/900/menu">پربازدید</a></header>
<nav><a href="/news/901/nav">منو</a><a href="/archive?page=2">بعدی</a></nav>
<ul class="news-list">
  <li><a href="/news/101/a">خاموشی <!-- ad -->در <b>رشت</b></a><span class="date">۴ آذر ۱۴۰۵ - ۱۸:۱۰</span></li>
  <li><a href="/news/102/b"><img src="/t.jpg"></a><a href="/news/102/b">بازگشایی <script>x()</script>پل</a>
      <time datetime="2026-11-24T08:00:00Z">دو روز پیش</time></li>
  <li><a href="https://b.ir/news/103/c">سایت دیگر</a></li>
  <li><a href="/tag/رشت">برچسب</a><a href="mailto:a@a.ir">ایمیل</a></li>
  <li><a href="/news/104/d">خبری که صفحه‌اش نیمه‌کاره ماند</a><span class="publish-time">۳ آذر ۱۴"""


def test_a_listing_cut_short_still_gives_the_links_before_the_cut() -> None:
    page = parse_listing(LISTING, PAGE, now=NOW)
    assert [(i.url, i.title) for i in page.items] == [
        ("https://a.ir/news/101/a", "خاموشی در رشت"),  # comment adds nothing; inline tags keep their words apart
        ("https://a.ir/news/102/b", "بازگشایی پل"),  # the image link first, its title from the second link
        ("https://a.ir/news/104/d", "خبری که صفحه‌اش نیمه‌کاره ماند"),
    ]
    dates = [(i.published_at, i.published_raw) for i in page.items]
    assert dates[0] == (datetime(2026, 11, 25, 14, 40, tzinfo=UTC), "۴ آذر ۱۴۰۵ - ۱۸:۱۰")
    assert dates[1] == (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), "2026-11-24T08:00:00Z")
    assert dates[2] == (None, "")  # its date was cut mid-way
    assert page.next_url is None  # the only «next» link sat in the navigation, which is not the listing


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ('<a rel="next" href="?page=2">۲</a>', "https://a.ir/archive?page=2"),
        ('<a rel=" Next " href="?page=3">۳</a>', "https://a.ir/archive?page=3"),  # case and spaces do not matter
        ('<link rel="next" href="/archive?page=4"><a rel="next" href="?page=9">۹</a>', "https://a.ir/archive?page=4"),
        ('<a rel="next nofollow" href="?page=9">۹</a><a href="?page=5"> صفحه بعد </a>', "https://a.ir/archive?page=5"),
        ('<a href="">بعدی</a><a class="pager-next" href="/archive/6">۶</a>', "https://a.ir/archive/6"),
        ('<a href="?page=7">۷</a>', None),
    ],
)
def test_the_next_page_link(links: str, expected: str | None) -> None:
    assert parse_listing(f"<html><body><div class='pages'>{links}</div></body></html>", PAGE).next_url == expected


def test_an_empty_or_non_html_listing_has_no_links() -> None:
    for body in ("", "   ", "Service Unavailable", '{"error": 1}'):
        page = parse_listing(body, PAGE, now=NOW)
        assert page.items == [] and page.next_url is None


def test_feed_titles_and_summaries_lose_their_markup() -> None:
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
           "<title>&lt;b&gt;فوری&lt;/b&gt; خبر</title><link>https://a.ir/news/1</link>"
           "<description><![CDATA[<p>متن <a href='/x'>خبر</a></p><p>دوم</p>]]></description>"
           "</item></channel></rss>").encode()
    [item] = parse_feed(rss, "https://a.ir/rss", now=NOW)
    assert (item.title, item.summary) == ("فوری خبر", "متن خبر دوم")
