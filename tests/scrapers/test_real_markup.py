"""Defects seen on real pages of the outlets (issue 12), each checked on a fixture in the real markup's shape."""

from __future__ import annotations

import pytest

from scrapers.errors import ParseError
from scrapers.fixtures import parse_fixture
from scrapers.gilan import is_about_gilan
from scrapers.parsers import get_parser
from scrapers.parsers.base import parse_html, text_of, until_sign_off
from tests.scrapers.fixture_files import FIXTURES_DIR

from .test_fixtures import FIXTURE_NOW


def page(name: str) -> dict:
    family, stem = name.split("/")
    return parse_fixture(FIXTURES_DIR / family / f"{stem}.html")


def test_inline_tags_join_as_a_browser_renders_them() -> None:
    got = page("nastooh/mehr_rasht_medical_students")
    body = "\n".join(got["paragraphs"])
    # Mehr's saba-backlink anchor: the comma stays against the words, as the page shows it.
    assert body.startswith("به گزارش خبرنگار مهر، این خوابگاه") and "مهر ،" not in body
    assert "رشت ه" not in got["title"] + body and "دانشجویان رشته پزشکی" in got["title"]
    assert "رشته‌های پزشکی" in body  # ZWNJ after an inline tag kept
    assert "کمبود‌های" in body and "سه سال طول" in body and "محله گلسار ساخته" in body
    assert "برطرف می‌شود. نیمی" in body  # <br> still separates
    assert got["lead"] == "رشت- خوابگاه ۴۰۰ نفره دانشجویان دانشگاه علوم پزشکی گیلان با حضور استاندار افتتاح شد."
    # «رشته» is not «رشت»: a national source's filter does not take the title for a Rasht item.
    assert not is_about_gilan("دانشجویان رشته پزشکی در تهران")


def test_blocks_still_separate_and_inline_spaces_are_the_pages_own() -> None:
    doc = parse_html("<html><body><div><p>الف<b>ب</b> پ</p><ul><li>یک</li><li>دو</li></ul>سه<br>چهار<span>\u200cها</span></div></body></html>")
    assert text_of(doc) == "الفب پ یک دو سه چهار\u200cها"


def test_tables_keep_every_cell_one_row_per_line() -> None:
    table = "بخش | ۱۴۰۵ (میلیارد تومان) | ۱۴۰۶ (میلیارد تومان)\nعمرانی | ۳۱۰۰ | ۴۲۰۰\nحمل‌ونقل عمومی | ۹۰۰ | ۱۳۵۰\nخدمات شهری | ۱۸۰۰ | ۲۱۰۰"
    got = page("nastooh/irna_gilan_budget_table")  # cells holding a <p>: the table is kept whole
    assert got["paragraphs"][1] == table and len(got["paragraphs"]) == 3
    got = page("generic/gilanemrooz_tender_table")  # the generic parser, a table without any <p>
    assert "۲ | بلوار گیلان | ۸ هزار متر | ۶۰۰ میلیون ریال" in got["paragraphs"][1].split("\n")
    assert got["paragraphs"][1].count("\n") == 2


def test_a_layout_table_is_a_container_not_a_data_table() -> None:
    paras = ["نخستین بند متن این خبر که به اندازه کافی بلند است.", "دومین بند متن این خبر که آن هم بلند است.", "سومین بند."]
    html = ("<html><body><table><tr><td><h1>عنوان</h1><div class='news-text'>" + "".join(f"<p>{p}</p>" for p in paras)
            + "</div></td><td>ستون کناری</td></tr></table><time datetime='2026-11-25T10:00:00Z'></time></body></html>")
    assert get_parser("generic").extract(html, "https://a.ir/1", now=FIXTURE_NOW).paragraphs == paras


def test_photo_and_video_stories_are_stored_with_their_captions() -> None:
    photo = page("nastooh/mehr_photo_rasht_rain")  # newsType photo: no .item-text, a gallery of figures
    assert photo["paragraphs"] == ["شهروندان رشتی زیر چترهای رنگی از میدان شهرداری می‌گذرند.", "آب‌گرفتگی خیابان سعدی پس از دو ساعت بارش."]
    assert photo["kicker"] == "" and photo["authors"] == ["نسترن یوسفی"]  # the photographer is a credit, not a kicker
    video = page("nastooh/mehr_video_anzali_port")  # newsType video, no captions: its summary is what it says
    assert video["paragraphs"] == [video["lead"]] and video["lead"].startswith("کشتی کانتینری روسی")
    assert video["kicker"] == "" and video["authors"] == ["حمید نیک‌نام"]


def test_a_text_story_without_a_body_still_fails_on_its_body() -> None:
    html = (FIXTURES_DIR / "nastooh" / "mehr_video_anzali_port.html").read_text(encoding="utf-8")
    with pytest.raises(ParseError) as err:
        get_parser("nastooh").parse(html.replace('content="video"', 'content="news"'), "https://m.ir/news/1", now=FIXTURE_NOW)
    assert err.value.field == "body"


def test_isna_date_beside_its_calendar_icon_and_the_sign_off_ends_the_body() -> None:
    got = page("nastooh/isna_gilan_fishermen")  # no date meta tag, no JSON-LD
    assert got["published_raw"] == "۴ آذر ۱۴۰۵ / ۱۹:۳۱" and got["published_at"] == "2026-11-25T16:01:00+00:00"
    assert len(got["paragraphs"]) == 2 and "انتهای پیام" not in "".join(got["paragraphs"])
    assert "کاهش یافت" not in "".join(got["paragraphs"])  # the link after the sign-off is not the story
    html = (FIXTURES_DIR / "nastooh" / "isna_gilan_fishermen.html").read_text(encoding="utf-8")
    generic = get_parser("generic").parse(html, "https://isna.ir/news/1", now=FIXTURE_NOW)  # by the icon alone
    assert generic.published_raw == "۴ آذر ۱۴۰۵ / ۱۹:۳۱"


@pytest.mark.parametrize("last", ["صید شود. انتهای پیام", "صید شود./انتهای پیام/", "صید شود. پایان خبر"])
def test_a_sign_off_ending_the_last_sentence_is_cut(last: str) -> None:
    assert until_sign_off(["بند اول.", last, "پیوند خبر دیگر"]) == ["بند اول.", "صید شود."]
    for kept in ("پیام‌های شهروندان به پایان خبرنامه رسید.", "شهروندان در انتظار پایان خبر"):
        assert until_sign_off([kept]) == [kept]


def test_nastooh_render_time_meta_date_never_wins() -> None:
    got = page("nastooh/khabaronline_render_date")  # <meta name="date"> is two days after the article's date
    assert got["published_raw"] == "۳ آذر ۱۴۰۵ - ۲۲:۱۰"
    html = (FIXTURES_DIR / "nastooh" / "khabaronline_render_date.html").read_text(encoding="utf-8")
    assert get_parser("generic").parse(html, "https://k.ir/news/1", now=FIXTURE_NOW).published_raw == "۳ آذر ۱۴۰۵ - ۲۲:۱۰"
    # A Nastooh page showing no date of its own has none (its meta date is when it was rendered)…
    undated = html.replace('<li class="news-pubdate">۳ آذر ۱۴۰۵ - ۲۲:۱۰</li>', "")
    assert get_parser("nastooh").extract(undated, "https://k.ir/news/1", now=FIXTURE_NOW).published_at is None
    # …while on other sites <meta name="date"> is the last resort.
    other = undated.replace('<meta property="nastooh:newsType" content="news">', "").replace('<meta property="nastooh:pageType" content="news">', "")
    assert get_parser("generic").parse(other, "https://k.ir/news/1", now=FIXTURE_NOW).published_raw == "2026-11-26T09:40:12+03:30"


NOT_BODY = ("صفحه نخست", "پس از شش ماه تعمیر", "کپی لینک", "واتس‌اپ", "کوتاه‌شده", "بیشتر از گیلان", "طرح زمستانه", "دوربین ترافیکی")


@pytest.mark.parametrize("container", ["item-text", "txt"], ids=["item-text", "whole-article"])
def test_generic_parser_on_nastooh_markup_keeps_kicker_bars_and_lists_out(container: str) -> None:
    html = (FIXTURES_DIR / "generic" / "mehr_nastooh_kicker.html").read_text(encoding="utf-8")
    html = html.replace('class="item-text"', f'class="{container}"')  # "txt": the body is found in <article>
    got = get_parser("generic").parse(html, "https://m.ir/news/1", now=FIXTURE_NOW)
    assert got.kicker == "پس از شش ماه تعمیر"
    assert got.lead == "پل عابر پیاده میدان صیقلان پس از شش ماه تعمیر و نصب پله‌برقی بازگشایی شد."
    assert got.paragraphs == ["به گزارش خبرنگار مهر، هزینه این تعمیر‌ها ۱۸ میلیارد تومان بود."]
    assert not [n for n in NOT_BODY if n in got.body]


@pytest.mark.parametrize("lines", [300, 2500], ids=["past-libxml2-default", "past-huge-tree"])
def test_unclosed_inline_tags_nesting_too_deep_lose_nothing(lines: int) -> None:
    body = "".join(f"<span style='font-size:14pt'>سطر {i}<br>" for i in range(lines))
    html = f"<html><body><h1>عنوان</h1><div class='body'><p>{body}</p><p>بند پایانی</p></div><div class='news_pdate_c'>۳ آذر ۱۴۰۵</div></body></html>"
    got = get_parser("iransamaneh").parse(html, "https://t.ir/fa/news/1", now=FIXTURE_NOW)
    assert got.paragraphs[-1] == "بند پایانی" and f"سطر {lines - 1}" in got.paragraphs[0]
    assert got.published_raw == "۳ آذر ۱۴۰۵"


def test_a_short_text_container_outside_the_article_does_not_beat_it() -> None:
    story = "".join(f"<p>بند {n} متن اصلی خبر که درباره شهرداری رشت است و بلند نوشته شده است.</p>" for n in ("یکم", "دوم"))
    html = (f"<html><body><div class='sidebar'><div class='story'><p>پیش‌نمایش کوتاه</p></div></div>"
            f"<article><h1>عنوان</h1>{story}</article><time datetime='2026-11-25T10:00:00Z'></time></body></html>")
    got = get_parser("generic").parse(html, "https://a.ir/1", now=FIXTURE_NOW)
    assert len(got.paragraphs) == 2 and got.paragraphs[0].startswith("بند یکم")
