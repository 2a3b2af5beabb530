"""Selection and ranking: periods, the right concerns in the right groups in the right order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from digests.periods import digest_period, weekly_period
from digests.records import Digest, safe_url
from digests.select import build_brief, build_digest
from mediawatch.records import Domain, SourceReport, Tone
from mediawatch.timeutil import TEHRAN, format_jalali_date, tehran_at
from tests.digests.dg_factory import PERIOD_END, PERIOD_START, SOURCES, item, night


def test_wednesday_digest_covers_the_day_before() -> None:
    start, end = digest_period(date(2026, 11, 25))  # Wednesday
    assert end == tehran_at(date(2026, 11, 25), 7)
    assert start == tehran_at(date(2026, 11, 24), 7)


def test_saturday_digest_covers_thursday_and_friday() -> None:
    start, end = digest_period(date(2026, 11, 28))  # Saturday
    assert start.astimezone(TEHRAN).weekday() == 2  # Wednesday 07:00
    assert end - start == timedelta(days=3)
    thursday_noon = datetime(2026, 11, 26, 12, tzinfo=TEHRAN)
    friday_night = datetime(2026, 11, 27, 23, tzinfo=TEHRAN)
    assert start < thursday_noon < friday_night < end


def test_digest_starts_where_the_previous_ended() -> None:
    last = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert digest_period(date(2026, 11, 25), last_digest_end=last) == (last, tehran_at(date(2026, 11, 25), 7))
    # A digest recorded for the same morning (a re-run) does not shrink the period to nothing.
    same = tehran_at(date(2026, 11, 25), 7)
    assert digest_period(date(2026, 11, 25), last_digest_end=same)[0] == tehran_at(date(2026, 11, 24), 7)


def test_weekly_period_is_the_last_saturday_to_saturday_week() -> None:
    start, end = weekly_period(date(2026, 11, 28))  # Saturday
    assert start.astimezone(TEHRAN).date() == date(2026, 11, 21)
    assert end.astimezone(TEHRAN).date() == date(2026, 11, 28)
    assert start.astimezone(TEHRAN).weekday() == 5


def test_top_concerns_in_the_right_order(digest: Digest) -> None:
    heads = [s.headline for s in digest.top_concerns]
    assert heads == [
        "انباشت زباله در خیابان‌های گلسار",
        "ترافیک سنگین میدان شهدا",
        "کمبود کتابخانه در لاهیجان",
    ]
    waste, traffic, library = digest.top_concerns
    assert waste.article_count == 4 and len(waste.outlets) == 4
    assert waste.new and not traffic.new and library.new
    assert traffic.first_seen < PERIOD_START  # seen four days before, in history
    assert traffic.first_seen_fa == format_jalali_date(traffic.first_seen)
    assert waste.key_sentence.startswith("ساکنان گلسار")
    assert set(waste.score_parts) == {"size", "outlets", "recency", "rasht", "negative", "new"}
    assert waste.score == pytest.approx(sum(waste.score_parts.values()), abs=0.01)
    assert "۴ خبر از ۴ رسانه" in waste.why and "تازه" in waste.why
    assert "ادامه‌دار" in traffic.why


def test_concerns_sit_in_their_groups(digest: Digest) -> None:
    by = {g.domain: g for g in digest.groups}
    assert [s.headline for s in by["urban_services"].concerns] == ["انباشت زباله در خیابان‌های گلسار"]
    assert [s.headline for s in by["civil_works_traffic"].concerns] == ["ترافیک سنگین میدان شهدا"]
    assert [s.headline for s in by["culture_social_tourism"].concerns] == ["کمبود کتابخانه در لاهیجان"]
    assert by["urban_planning_legal"].concerns == [] and by["economic_budget_it"].concerns == []
    # The festival is not a concern; the municipality's own article is PR, not a concern.
    assert [a.title for a in by["urban_services"].pr] == ["آغاز طرح نوسازی ناوگان پسماند"]
    assert [s.headline for s in digest.management] == ["انتخاب سرپرست جدید منطقه دو"]
    everything = [s.headline for s in digest.top_concerns] + [s.headline for s in digest.management]
    assert "نتیجه بازی فوتبال" not in everything


def test_every_story_links_to_its_articles(digest: Digest) -> None:
    for story in digest.top_concerns:
        assert len(story.articles) == story.article_count
        for a in story.articles:
            assert a.url.startswith("https://") and a.url.endswith(f"/news/{a.article_id}")
        assert {o.url for o in story.outlets} <= {a.url for a in story.articles}


def test_headline_figures_and_failures(digest: Digest) -> None:
    f = digest.figures
    assert f.articles == 11 and f.outlets == 6 and f.rasht == 9 and f.concerns == 7
    assert f.by_group["urban_services"] == 5 and f.by_group["other"] == 1
    assert f.tone == {"positive": 2, "neutral": 2, "negative": 5}
    names = [(x.name, x.fatal) for x in digest.failures]
    assert names == [("هفته‌نامه باران", True), ("گیل‌خبر", False)]  # shomal was fine
    assert not digest.all_sources_down


def test_chart_series_cover_thirty_days(digest: Digest) -> None:
    c = digest.charts
    assert len(c.days) == 30 and c.days[-1] == date(2026, 11, 25)  # the morning itself (00:00–07:00)
    assert set(c.per_group) == {
        "culture_social_tourism",
        "civil_works_traffic",
        "urban_planning_legal",
        "urban_services",
        "economic_budget_it",
    }
    assert (
        sum(sum(v) for v in c.per_group.values()) == 10
    )  # 9 working-group items + 1 in history, 1 'other' left out
    assert c.per_group["civil_works_traffic"][c.days.index(date(2026, 11, 21))] == 1


def test_rasht_and_outlet_kind_raise_the_score() -> None:
    end = PERIOD_END
    a = item("الف", source="agency", concern=True, cluster="a", rasht=True, hours_before_end=2)
    b = item("ب", source="agency", concern=True, cluster="b", rasht=False, hours_before_end=2)
    c = item("پ", source="rasht_city", concern=True, cluster="c", rasht=True, hours_before_end=2)
    d = build_digest([b, c, a], period=(PERIOD_START, end))
    assert [s.headline for s in d.top_concerns] == ["الف", "پ", "ب"]


def test_brief_has_only_its_domain_including_secondary() -> None:
    items, history = night()
    extra = item(
        "پل عابر پیاده و زباله",
        domain=Domain.urban_services,
        secondary=Domain.civil_works_traffic,
        concern=True,
        score=0.5,
        cluster="c-bridge",
    )
    previous = [
        item("ترافیک قبلی", domain=Domain.civil_works_traffic, hours_before_end=30, cluster="c-old"),
        item(
            "ترافیک قبلی دو",
            domain=Domain.civil_works_traffic,
            hours_before_end=31,
            cluster="c-old2",
            tone=Tone.negative,
            concern=True,
        ),
    ]
    brief = build_brief(
        "civil_works_traffic",
        [*items, extra],
        period=(PERIOD_START, PERIOD_END),
        previous_period_items=previous,
        history=history,
    )
    titles = {a.title for a in brief.articles}
    assert titles == {"ترافیک سنگین میدان شهدا", "گره ترافیکی میدان شهدا باز نشد", "پل عابر پیاده و زباله"}
    assert all(a.url.startswith("https://") and a.date_fa for a in brief.articles)
    assert brief.trend.articles == 3 and brief.trend.previous_articles == 2
    assert brief.trend.concerns == 3 and brief.trend.previous_concerns == 1
    assert [s.headline for s in brief.recurring] == ["ترافیک سنگین میدان شهدا"]
    assert set(brief.charts.per_group) == {"civil_works_traffic"}
    assert sum(brief.charts.per_group["civil_works_traffic"]) == 6  # 3 now + 2 previous + 1 history


def test_brief_rejects_an_unknown_group() -> None:
    with pytest.raises(ValueError, match="working group"):
        build_brief("management", [], period=(PERIOD_START, PERIOD_END), previous_period_items=[])


def test_empty_day_and_all_sources_down() -> None:
    empty = build_digest([], period=(PERIOD_START, PERIOD_END), failures=[], sources=SOURCES)
    assert empty.figures.articles == 0 and empty.top_concerns == [] and not empty.all_sources_down
    down = [SourceReport(source_id=s, fatal="DNS: نام میزبان پیدا نشد") for s in SOURCES]
    d = build_digest([], period=(PERIOD_START, PERIOD_END), failures=down, sources=SOURCES)
    assert d.all_sources_down and len(d.failures) == len(SOURCES)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://a.example/x?y=1", True),
        ("http://a.example/", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("/relative/path", False),
        ("vbscript:msgbox", False),
        ("https://a.example/\nSet-Cookie", False),
    ],
)
def test_safe_url(url: str, ok: bool) -> None:
    assert bool(safe_url(url)) is ok


def test_a_busy_group_shows_its_top_concerns_and_says_how_many_more() -> None:
    from digests.render import render_html, render_markdown
    from digests.select import GROUP_CONCERNS

    items = [
        item(f"نگرانی شماره {n}", concern=True, cluster=f"busy{n}", hours_before_end=n + 1)
        for n in range(GROUP_CONCERNS + 3)
    ]
    d = build_digest(items, period=(PERIOD_START, PERIOD_END))
    services = next(g for g in d.groups if g.domain == "urban_services")
    assert len(services.concerns) == GROUP_CONCERNS and services.concerns_total == GROUP_CONCERNS + 3
    # Same score parts except recency: the freshest ranks first.
    assert services.concerns[0].headline == "نگرانی شماره 0"
    assert "و ۳ نگرانی دیگر" in render_html(d) and "و ۳ نگرانی دیگر" in render_markdown(d)
    brief = build_brief("urban_services", items, period=(PERIOD_START, PERIOD_END))
    assert len(brief.concerns) == GROUP_CONCERNS + 3


def test_a_key_sentence_that_repeats_the_headline_gives_way_to_the_lead() -> None:
    a = item(
        "آبگرفتگی گلسار",
        concern=True,
        sentence="آبگرفتگی  گلسار",
        lead="سه روز پس از باران، آب هنوز مانده است.",
    )
    b = item("خاموشی در محله", concern=True, sentence="خاموشی در محله", lead="خاموشی در محله")
    d = build_digest([a, b], period=(PERIOD_START, PERIOD_END))
    by = {s.headline: s.key_sentence for s in d.top_concerns}
    assert by == {"آبگرفتگی گلسار": "سه روز پس از باران، آب هنوز مانده است.", "خاموشی در محله": ""}
