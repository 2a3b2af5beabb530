"""Dates, canonical URLs, the Gilan filter, charsets and the registry, without a network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scrapers.canonical import canonical_url, same_site_hosts
from scrapers.charset import decode_html, detect_encoding
from scrapers.dates import parse_date
from scrapers.errors import DateError, FutureDate, RegistryError
from scrapers.gilan import gilan_places, has_gilan_dateline, is_about_gilan
from scrapers.parsers import get_parser
from scrapers.registry import load_sources

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # 5 آذر 1405, 13:30 in Tehran


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("چهارشنبه ۱۲ شهریور ۱۴۰۴ - ۱۸:۱۷", "2025-09-03T14:47:00+00:00"),
        ("۱۴۰۴-۰۶-۱۲ ۱۸:۱۷", "2025-09-03T14:47:00+00:00"),
        ("۰۶ آبان ۱۳۹۹ - ۱۵:۲۷ 27 October 2020", "2020-10-27T11:57:00+00:00"),
        ("۱۳۹۸/۰۹/۲۵", "2019-12-15T20:30:00+00:00"),
        ("۱۴۰۲/۰۴/۰۱ ۱۰:۴۲", "2023-06-22T07:12:00+00:00"),
        ("دوشنبه، 07 آذر 1401", "2022-11-27T20:30:00+00:00"),
        ("۱۴۰۳/۰۵/۲۸ | ۱۳:۰۶:۳۰", "2024-08-18T09:36:30+00:00"),
        ("تاریخ انتشار : ۱۴۰۰/۰۹/۲۲ ساعت ۰۹:۵۳", "2021-12-13T06:23:00+00:00"),
        ("۵ دى ۱۴۰۴", "2025-12-25T20:30:00+00:00"),  # «دى» with Arabic yeh
        ("۱۰ دی ماه ۱۴۰۴ ساعت ۸:۰۵", "2025-12-31T04:35:00+00:00"),
        ("سه‌شنبه ۴ آذر ۱۴۰۵ | ۲۲:۱۰", "2026-11-25T18:40:00+00:00"),
        ("2026-11-20T08:00:00+03:30", "2026-11-20T04:30:00+00:00"),
        ("2026-11-20T08:00:00Z", "2026-11-20T08:00:00+00:00"),
        ("2026-11-20 08:00", "2026-11-20T04:30:00+00:00"),  # no zone: Tehran wall clock
        ("Wed, 25 Nov 2026 10:20:00 GMT", "2026-11-25T10:20:00+00:00"),
        ("25 Nov 2026 10:20:00 +0330", "2026-11-25T06:50:00+00:00"),  # YJC omits the weekday
        ("۳ ساعت پیش", "2026-11-26T07:00:00+00:00"),
        ("۲ روز قبل", "2026-11-24T10:00:00+00:00"),
        ("دیروز ۱۴:۳۰", "2026-11-25T11:00:00+00:00"),
        ("امروز ساعت ۰۹:۰۰", "2026-11-26T05:30:00+00:00"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    assert parse_date(text, now=NOW).isoformat() == expected


@pytest.mark.parametrize("text", ["۱۵ دی ۱۴۰۵", "2027-01-01T00:00:00Z", "Fri, 01 Jan 2027 00:00:00 GMT", "1405/12/01"])
def test_future_dates_are_errors(text: str) -> None:
    with pytest.raises(FutureDate, match="future"):
        parse_date(text, now=NOW)


@pytest.mark.parametrize("text", ["", "بدون تاریخ", "۳۲ اسفند ۱۴۰۳", "1404/13/01", "future"])
def test_unreadable_dates_are_errors(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, now=NOW)
    assert not isinstance(caught.value, FutureDate)


def test_a_page_dated_in_the_future_is_flagged_by_type_not_by_wording() -> None:
    page = '<html><body><h1>عنوان</h1><p>متن</p><span class="date">{}</span><span class="date">۴ آذر ۱۴۰۵</span></body></html>'
    ahead = get_parser("generic").extract(page.format("۱۵ دی ۱۴۰۵"), "https://a.ir/n/1", now=NOW)
    assert ahead.future_date and ahead.published_at is None and ahead.published_raw == "۱۵ دی ۱۴۰۵"
    assert "future" in ahead.problems["published_at"]
    # A date that cannot be read is no future date, even when its text says "future": the next one is used.
    unreadable = get_parser("generic").extract(page.format("future"), "https://a.ir/n/1", now=NOW)
    assert not unreadable.future_date and unreadable.published_at is not None
    assert unreadable.published_raw == "۴ آذر ۱۴۰۵" and "future_date" not in unreadable.to_json()


def test_relative_date_is_not_in_the_future() -> None:
    assert parse_date("لحظاتی پیش", now=NOW) <= NOW
    assert parse_date("دیروز", now=NOW) < NOW - timedelta(hours=12)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.IR:443/news/1/?utm_source=x&fbclid=y#top", "https://www.example.ir/news/1/"),
        ("http://example.ir:80/a//b/?b=2&a=1&gclid=z", "http://example.ir/a/b/?a=1&b=2"),
        ("https://ilna.ir/بخش-گیلان-106/123-خبر/", "https://ilna.ir/بخش-گیلان-106/123-خبر/"),
        ("https://ilna.ir/بخش-گیلان-106/123-خبر", "https://ilna.ir/بخش-گیلان-106/123-خبر"),
        ("https://ilna.ir/%d8%a8%d8%ae%d8%b4-%da%af%db%8c%d9%84%d8%a7%d9%86-106/123-%D8%AE%D8%A8%D8%B1", "https://ilna.ir/بخش-گیلان-106/123-خبر"),
        ("https://a.ir/x%2Fy%3f/z?q=%D8%B1%D8%B4%D8%AA%26x&a=b+c", "https://a.ir/x%2Fy%3F/z?a=b+c&q=رشت%26x"),
        ("https://a.ir/a b/\"q\"", "https://a.ir/a%20b/%22q%22"),
        ("https://example.ir/?p=123&utm_medium=social", "https://example.ir/?p=123"),
        ("https://example.ir/", "https://example.ir/"),
        ("https://example.ir:8443/x/", "https://example.ir:8443/x/"),
        ("https://gilanestan.ir/1405/09/park", "https://gilanestan.ir/1405/09/park"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_relative_and_site() -> None:
    assert canonical_url("../news/2", "https://a.ir/fa/x/y") == "https://a.ir/fa/news/2"
    assert same_site_hosts("www.yjc.ir") == {"www.yjc.ir", "yjc.ir"}
    assert same_site_hosts("yjc.ir", "news.uni.ac.ir") == {"yjc.ir", "www.yjc.ir", "news.uni.ac.ir", "www.news.uni.ac.ir"}
    assert same_site_hosts("127.0.0.1") == {"127.0.0.1"} and same_site_hosts("localhost") == {"localhost"}
    # Exact hosts, no registrable-domain guess: two blogs on one hosting domain are two sites.
    assert "evil.blog.ir" not in same_site_hosts("x.blog.ir") and "x.blogfa.com" not in same_site_hosts("y.blogfa.com")


@pytest.mark.parametrize(
    ("text", "gilan"),
    [
        ("شهرداری رشت پیاده‌راه را افتتاح کرد", True),
        ("رشته‌های جدید در دانشگاه تهران", False),
        ("این رشته ورزشی طرفدار دارد", False),
        ("در سرشت انسان", False),
        ("رشت‌های قدیم و جدید", True),
        ("بندر انزلی و آستانه‌اشرفیه", True),
        ("صومعه‌سرا میزبان جشنواره شد", True),
        ("گيلان با ياء عربی", True),
        ("رشت - ایرنا - مدیرکل گفت", True),
        ("تهران - ایرنا - وزیر گفت", False),
        ("به گزارش خبرگزاری صدا و سیمای گیلان، جلسه برگزار شد", True),
    ],
)
def test_gilan_filter(text: str, gilan: bool) -> None:
    assert is_about_gilan(text) is gilan


def test_gilan_places_and_datelines() -> None:
    assert gilan_places("از رشت تا لاهیجان و رشته‌کوه") == ["رشت", "لاهیجان"]
    assert has_gilan_dateline("به گزارش ایلنا از رشت، …") and not has_gilan_dateline("به گزارش ایلنا، …")
    assert has_gilan_dateline("رشت - مهر - شهردار رشت گفت …")  # «رشت - <any agency> -»
    assert not has_gilan_dateline("مسابقات دو رشته - شنا - در تهران")  # «رشته» is not «رشت»


def test_charset_order() -> None:
    text = "<html><head><meta charset='windows-1256'></head><body>شهرداري رشت مي‌گويد</body></html>"
    raw = text.encode("cp1256")
    assert decode_html(raw, "text/html") == text  # meta
    assert decode_html(raw, "text/html; charset=iso-8859-1") == text  # a latin-1 header hides 1256
    assert detect_encoding(raw.replace(b"windows-1256", b"xxx")) == "cp1256"  # detection
    utf = "<p>پیاده‌راه</p>".encode()
    assert decode_html(utf, "text/html; charset=utf-8") == "<p>پیاده‌راه</p>"
    assert decode_html(utf, "text/html; charset=windows-1256") == "<p>پیاده‌راه</p>"  # header lies: fails → utf-8


MINIMAL = """
[[sources]]
id = "gilkhabar"
name = "گیل خبر"
homepage = "https://gilkhabar.ir/"
kind = "news_site"
scope = "gilan"
feeds = ["https://gilkhabar.ir/rss"]
parser = "generic"
"""


def test_minimal_entry_loads(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(MINIMAL, encoding="utf-8")
    [src] = load_sources(f)
    assert (src.id, src.kind.value, src.scope.value, src.feeds, src.verified, src.filters_gilan) == (
        "gilkhabar", "news_site", "gilan", ("https://gilkhabar.ir/rss",), False, False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "news_site"', 'kind = "blog"'), r"entry #1 \(id='gilkhabar'\): field 'kind'"),
        (('homepage = "https://gilkhabar.ir/"', 'homepage = "gilkhabar.ir"'), r"field 'homepage'.*not an http"),
        (('parser = "generic"', 'parser = "joomla"'), r"field 'parser'.*unknown parser 'joomla'"),
        (('parser = "generic"', 'parser = "generic"\nfeed = "x"'), r"field 'feed': unknown field"),
        (('name = "گیل خبر"\n', ""), r"field 'name': Field required"),
        (('feeds = ["https://gilkhabar.ir/rss"]', "feeds = []"), r"field 'feeds': give at least one"),
        (('id = "gilkhabar"', 'id = "Gil Khabar"'), r"field 'id'"),
        (("[[sources]]", "[[source]]"), r"unknown top-level key"),
        (('scope = "gilan"', 'scope = "gilan'), r"not valid TOML"),
    ],
)
def test_registry_errors_name_file_entry_field(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(MINIMAL.replace(*change), encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as err:
        load_sources(f)
    assert str(f) in str(err.value)


def test_registry_duplicate_ids(tmp_path: Path) -> None:
    f = tmp_path / "dup.toml"
    f.write_text(MINIMAL + MINIMAL, encoding="utf-8")
    with pytest.raises(RegistryError, match=r"entry #2 \(id='gilkhabar'\): field 'id': duplicate of entry #1"):
        load_sources(f)


def test_shipped_registry_covers_the_committee() -> None:
    from mediawatch.records import Scope, SourceKind

    sources = load_sources()
    assert len(sources) >= 30
    assert {s.kind for s in sources} == set(SourceKind)
    assert {s.scope for s in sources} == set(Scope)
    ids = {s.id for s in sources}
    for must in ("irna", "isna", "mehr", "tasnim", "fars", "yjc-gilan", "ilna", "iribnews", "imna", "hamshahri",
                 "gilan-today", "gilkhabar", "diyarmirza", "jarestan", "gilanestan", "ghalamazad", "nedayegilan",
                 "negahiran", "rasht-municipality"):
        assert must in ids, must
    yjc = next(s for s in sources if s.id == "yjc-gilan")
    assert "https://www.yjc.ir/fa/rss/41" in yjc.feeds
    assert not any(s.verified for s in sources) and all(s.notes for s in sources)
    assert all(s.filters_gilan for s in sources if s.scope is Scope.national)


@pytest.mark.parametrize("place", ["سنگر", "دیلمان", "سراوان", "اسالم", "لوشان", "امامزاده هاشم"])
def test_national_item_about_a_gilan_place_passes_the_door(place: str) -> None:
    # These were only in nlp's copy of the list; the door filter dropped such national items.
    assert is_about_gilan(f"گزارشی از وضعیت جاده {place} و مشکلات اهالی")


def test_scrapers_and_nlp_read_one_gilan_place_list() -> None:
    from mediawatch.gazetteer import GILAN_PLACES_FILE, gilan_place_names
    from nlp.normalize import fold, normalize
    from nlp.places import find_places

    names = gilan_place_names()
    assert GILAN_PLACES_FILE.parent.parent.name == "mediawatch" and len(names) >= 30
    for name in names:
        assert gilan_places(f"خبری درباره {name} امروز"), name
        # «رشت» in the text, so names nlp counts as ambiguous (رودبار) are counted too.
        assert fold(normalize(name)) in find_places(f"خبری از رشت تا {name} امروز"), name


def test_registry_in_another_encoding_is_named(tmp_path):
    from scrapers.registry import RegistryError, load_sources

    p = tmp_path / "sources.toml"
    p.write_bytes('[[sources]]\nid = "x"\nname = "گيل خبر"\n'.encode("cp1256"))
    with pytest.raises(RegistryError, match=r"sources.toml: not UTF-8"):
        load_sources(p)


def test_select_sources_names_unknown_ids_and_keeps_named_disabled_ones(tmp_path):
    from scrapers.registry import RegistryError, load_sources, select_sources

    p = tmp_path / "sources.toml"
    entry = 'id = "{id}"\nname = "n"\nhomepage = "https://{id}.example/"\nkind = "news_site"\nscope = "rasht"\n' \
            'feeds = ["https://{id}.example/feed"]\nenabled = {on}\n'
    p.write_text("".join("[[sources]]\n" + entry.format(id=i, on=on) for i, on in (("a", "true"), ("b", "false"))))
    sources = load_sources(p)
    assert [s.id for s in select_sources(sources)] == ["a"]
    assert [s.id for s in select_sources(sources, ["b"])] == ["b"]  # named: asked for, even when disabled
    with pytest.raises(RegistryError, match=r"unknown source id.*zz"):
        select_sources(sources, ["a", "zz"])


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ({"bdy": "p"}, "field 'selectors': Value error, unknown selector 'bdy'; a source may override: article, title"),
        ({"body": "div[["}, "selectors.body: 'div[[' is not a CSS selector we can read"),
    ],
)
def test_selector_overrides_are_checked_when_the_file_is_read(selectors: dict[str, str], message: str) -> None:
    from scrapers.registry import parse_sources

    entry = {"id": "x", "name": "x", "homepage": "https://x.ir/", "kind": "agency", "scope": "gilan", "feeds": ["https://x.ir/rss"]}
    with pytest.raises(RegistryError) as err:
        parse_sources({"sources": [{**entry, "selectors": selectors}]}, "sources.toml")
    assert str(err.value).startswith("sources.toml: entry #1 (id='x'): ") and message in str(err.value)
