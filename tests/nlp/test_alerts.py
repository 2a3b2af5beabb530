"""The early-warning rule (nlp/alerts.py) on synthetic timelines written by us."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from mediawatch.records import DigestItem, Domain, SourceKind
from mediawatch.settings import Settings
from nlp.alerts import (
    AlertRules,
    advance,
    critical_terms,
    evaluate,
    in_quiet_hours,
    parse_quiet_hours,
    poisson_tail,
    replay,
)

# Tuesday 2026-11-24, 10:00 Tehran = 06:30 UTC.
DAY = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
OUTLETS = ["gilkhabar", "shomal", "baran", "sepidrud", "payam", "gilava", "sobherasht", "goharrud"]
_ids = itertools.count(1)


def art(hours: float, source: str, *, story: str | None, concern: bool = True, title: str = "گلایه شهروندان",
        domain: Domain = Domain.urban_services, rasht: bool = True, places: tuple[str, ...] = (),
        base: datetime = DAY) -> DigestItem:
    aid = next(_ids)
    return DigestItem(article_id=aid, url=f"https://{source}.example/{aid}", source_id=source, source_name=source,
                      source_kind=SourceKind.news_site, title=title, lead="", published_at=base + timedelta(hours=hours),
                      fetched_at=base + timedelta(hours=hours), municipal=True, domain=domain, secondary=None,
                      rasht=rasht, places=places, concern=concern, concern_score=0.9 if concern else 0.1,
                      key_sentence="", tone=None, cluster_key=story)


def ordinary_day(rng: random.Random, base: datetime, *, articles: int = 40, prefix: str = "d") -> list[DigestItem]:
    """A day of local news: many small stories, each told by one or two outlets hours apart."""
    out: list[DigestItem] = []
    n = 0
    while len(out) < articles:
        n += 1
        story = f"{prefix}{base:%m%d}-{n}"
        first = rng.uniform(0, 22)
        for k, src in enumerate(rng.sample(OUTLETS, rng.choice([1, 1, 1, 2]))):
            out.append(art(first + 7 * k, src, story=story, concern=rng.random() < 0.4, base=base,
                           domain=rng.choice(list(Domain)[:5]),
                           places=(rng.choice(["گلسار", "بیجارکن", "استادسرا", "صالح آباد", "آفخرا"]),)))
    return out


def test_poisson_tail_matches_the_sum_of_the_mass_function() -> None:
    for lam in (0.25, 1.0, 3.7):
        for k in (0, 1, 4, 9):
            exact = 1 - sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))
            assert poisson_tail(k, lam) == pytest.approx(exact, rel=1e-9, abs=1e-15)
    assert poisson_tail(4, 0.25) < 1e-3 < poisson_tail(2, 0.25)


def test_critical_terms_are_found_in_persian_with_or_without_half_spaces() -> None:
    assert critical_terms("آبگرفتگی معابر گلسار پس از بارش شدید") == ["آبگرفتگی"]
    assert "آتش سوزی" in critical_terms("آتش‌سوزی در بازار رشت")
    assert critical_terms("نشت گاز در ساختمان") == ["نشت گاز"]
    assert critical_terms("اعتصاب رفتگران") == ["اعتصاب"]
    assert critical_terms("رشته کوه سیلابی", "ریزش باران") == []  # «سیل» inside a longer word is no flood


def test_spread_fires_when_the_third_outlet_reports_not_before() -> None:
    story = [art(0, "gilkhabar", story="s1"), art(0.6, "shomal", story="s1"), art(2.2, "baran", story="s1")]
    assert evaluate(story, [], DAY + timedelta(hours=2)) == []  # two outlets: not yet
    fired = evaluate(story, [], DAY + timedelta(hours=2.5))
    assert [(t.key, t.rule, t.critical) for t in fired] == [("s1", "spread", False)]
    assert fired[0].outlets == ("gilkhabar", "shomal", "baran")
    assert fired[0].figures["outlets"] == 3
    # The same three outlets spread over a day and a half are no burst.
    slow = [art(0, "gilkhabar", story="s2"), art(13, "shomal", story="s2"), art(30, "baran", story="s2")]
    assert evaluate(slow, [], DAY + timedelta(hours=30)) == []


def test_non_concern_coverage_by_many_outlets_is_not_an_alert() -> None:
    ceremony = [art(h / 3, src, story="open", concern=False, title="افتتاح پارک") for h, src in enumerate(OUTLETS)]
    assert evaluate(ceremony, [], DAY + timedelta(hours=4)) == []


def test_critical_term_in_a_rasht_concern_story_from_two_outlets() -> None:
    flood = [art(0, "gilkhabar", story="f", title="آبگرفتگی معابر گلسار"), art(0.5, "shomal", story="f",
                                                                         title="گلایه از آب‌گرفتگی خیابان‌ها")]
    fired = evaluate(flood, [], DAY + timedelta(hours=1))
    assert [(t.rule, t.critical) for t in fired] == [("critical", True)]
    assert "آبگرفتگی" in str(fired[0].figures["terms"])
    # Outside Rasht, or from one outlet, it waits for the ordinary rules.
    elsewhere = [art(0, "gilkhabar", story="g", title="آبگرفتگی در انزلی", rasht=False),
                 art(0.5, "shomal", story="g", title="آبگرفتگی در انزلی", rasht=False)]
    assert evaluate(elsewhere, [], DAY + timedelta(hours=1)) == []
    assert evaluate(flood[:1], [], DAY + timedelta(hours=1)) == []


def test_surge_of_one_place_against_its_own_baseline() -> None:
    rng = random.Random(4)
    # A concern about Golsar about once in four days, at the hours of the burst; and many at other hours
    # (the night's news does not make a noon window ordinary).
    history = [art(-24 * d + 2, rng.choice(OUTLETS), story=f"h{d}", places=("گلسار",)) for d in range(1, 28, 4)]
    history += [art(-24 * d + 12, rng.choice(OUTLETS), story=f"n{d}", places=("گلسار",)) for d in range(1, 28)]
    burst = [art(h, src, story=f"b{h}", places=("گلسار",), domain=Domain.civil_works_traffic)
             for h, src in [(0, "gilkhabar"), (1, "shomal"), (2.5, "baran"), (3, "sepidrud"), (4, "payam")]]
    from nlp.alerts import marks

    fired = evaluate(burst, marks(history), DAY + timedelta(hours=4.5))
    surge = [t for t in fired if t.key == "place:گلسار"]
    assert len(surge) == 1 and surge[0].rule == "surge"
    assert surge[0].figures["count"] == 5 and surge[0].figures["baseline"] == 7
    assert float(surge[0].figures["p"]) < 1e-4
    # The same five articles where the place is talked about every day are ordinary.
    busy_history = [art(-h, rng.choice(OUTLETS), story=f"bh{h}", places=("گلسار",)) for h in range(6, 24 * 28, 5)]
    fired = evaluate(burst, marks(busy_history), DAY + timedelta(hours=4.5))
    assert [t for t in fired if t.key == "place:گلسار"] == []


def _month(rng: random.Random, *, busy_day: int | None = None) -> list[DigestItem]:
    items = []
    for d in range(29):
        base = DAY - timedelta(days=28 - d)
        items += ordinary_day(rng, base, articles=80 if d == busy_day else 40, prefix=f"m{d}-")
    return items


def test_silent_on_ordinary_days_including_a_busy_one() -> None:
    rng = random.Random(7)
    items = _month(rng, busy_day=28)  # the last day has twice the usual news, but nothing spreading
    start = DAY - timedelta(days=3)
    raised = replay(items, start, DAY + timedelta(days=1))
    assert raised == [], [(a.key, a.rule, a.figures) for a in raised]


def test_one_alert_per_story_updated_by_later_articles_then_closed() -> None:
    rng = random.Random(11)
    items = _month(rng)
    burst = [art(h, src, story="burst") for h, src in
             [(1, "gilkhabar"), (1.5, "shomal"), (3, "baran"), (5, "sepidrud"), (8, "payam"), (11, "gilava")]]
    raised = replay(items + burst, DAY - timedelta(days=1), DAY + timedelta(days=2))
    assert [a.key for a in raised] == ["burst"]
    alert = raised[0]
    assert alert.rule == "spread" and alert.outlets[:3] == ("gilkhabar", "shomal", "baran")
    assert set(alert.article_ids) == {i.article_id for i in burst}  # later articles joined the same alert
    assert alert.opened_at == DAY + timedelta(hours=3) and alert.sent_at == alert.opened_at
    assert alert.closed_at == DAY + timedelta(hours=11 + 24)  # a day without a word


def test_a_trigger_for_a_known_story_updates_and_is_not_due_again() -> None:
    rules = AlertRules(quiet_hours=None)
    first = [art(0, "gilkhabar", story="k"), art(0.5, "shomal", story="k"), art(1, "baran", story="k")]
    step = advance([], evaluate(first, [], DAY + timedelta(hours=1)), DAY + timedelta(hours=1), rules)
    assert len(step.opened) == 1 and step.due == step.opened
    step.due[0].sent_at = step.due[0].webhook_at = DAY + timedelta(hours=1)
    more = [*first, art(1.5, "sepidrud", story="k")]
    again = advance(step.opened, evaluate(more, [], DAY + timedelta(hours=2)), DAY + timedelta(hours=2), rules)
    assert again.opened == [] and again.due == [] and again.updated == step.opened
    assert again.updated[0].figures["outlets"] == 4


def test_quiet_hours_hold_non_critical_alerts_until_morning_but_not_critical_ones() -> None:
    rules = AlertRules()  # quiet 22:00–06:30 Tehran
    night = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 23:30 Tehran
    assert in_quiet_hours(night, rules.quiet_hours) and not in_quiet_hours(DAY, rules.quiet_hours)
    spread = [art(-2, "gilkhabar", story="n", base=night), art(-1, "shomal", story="n", base=night),
              art(-0.5, "baran", story="n", base=night)]
    step = advance([], evaluate(spread, [], night), night, rules)
    assert len(step.opened) == 1 and step.due == []  # held
    morning = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 06:30 Tehran: the first pulse after quiet hours
    later = advance(step.opened, evaluate(spread, [], morning), morning, rules)
    assert later.due == step.opened and later.opened == []
    fire = [art(-1, "gilkhabar", story="c", base=night, title="آتش سوزی در بازار رشت"),
            art(-0.5, "shomal", story="c", base=night, title="حریق بازار")]
    crit = advance([], evaluate(fire, [], night), night, rules)
    assert crit.due == crit.opened and crit.opened[0].critical  # a fire is never held


def test_quiet_hours_setting_is_parsed_and_a_bad_one_named() -> None:
    assert parse_quiet_hours("") is None
    assert AlertRules.from_settings(Settings(alert_quiet_hours="23:00-07:00")).quiet_hours is not None
    with pytest.raises(ValueError, match="MEDIAWATCH_ALERT_QUIET_HOURS"):
        parse_quiet_hours("late evening")


def _stories_history(rng: random.Random, *, n: int, fast: bool) -> list[DigestItem]:
    """`n` concern stories of the 28 days before DAY, each told by three outlets: within the hour when the
    city's stories travel fast, half a day apart when they do not."""
    out = []
    for k in range(n):
        base = DAY - timedelta(days=rng.uniform(1.5, 27))
        lags = [0.0, rng.uniform(0.1, 0.5), rng.uniform(0.5, 1.0)] if fast else [0.0, rng.uniform(8, 12), rng.uniform(14, 20)]
        for lag, src in zip(lags, rng.sample(OUTLETS, 3), strict=True):
            out.append(art(lag, src, story=f"hist{k}", base=base))
    return out


def test_spread_is_judged_against_how_fast_the_citys_stories_usually_travel() -> None:
    from nlp.alerts import marks

    enough = AlertRules().spread_min_stories
    rng = random.Random(11)
    story = [art(0, "gilkhabar", story="s1"), art(0.5, "shomal", story="s1"), art(1.5, "baran", story="s1")]
    now = DAY + timedelta(hours=2)
    slow_city = marks(_stories_history(rng, n=enough + 10, fast=False))
    fired = evaluate(story, slow_city, now)
    assert [(t.key, t.rule) for t in fired] == [("s1", "spread")]
    assert float(fired[0].figures["share"]) <= 0.01 and fired[0].figures["hours"] == 1.5
    assert fired[0].figures["baseline_stories"] == enough + 10
    # Where three outlets within the hour is how every story goes, the same story is ordinary news…
    fast_city = marks(_stories_history(rng, n=enough + 10, fast=True))
    assert evaluate(story, fast_city, now) == []
    # … until it outruns them: a fourth and fifth outlet within the same two hours.
    faster = [*story, art(1.6, "sepidrud", story="s1"), art(1.8, "payam", story="s1")]
    assert [t.rule for t in evaluate(faster, fast_city, now)] == ["spread"]
    # Too little history (a new installation): the outlet count alone decides.
    few = marks(_stories_history(rng, n=enough - 10, fast=True))
    assert [t.rule for t in evaluate(story, few, now)] == ["spread"]


def test_spread_needs_most_reports_to_be_concerns() -> None:
    # A ceremony that the classifier misread twice in four reports is not a spreading concern.
    mixed = [art(0, "gilkhabar", story="c", concern=True), art(0.3, "shomal", story="c", concern=False),
             art(0.6, "baran", story="c", concern=True), art(0.9, "sepidrud", story="c", concern=False)]
    assert evaluate(mixed, [], DAY + timedelta(hours=1)) == []
    assert [t.rule for t in evaluate([*mixed, art(1.0, "payam", story="c")], [], DAY + timedelta(hours=1.5))] == ["spread"]


def test_critical_reports_that_story_grouping_missed_are_one_event() -> None:
    # The second outlet's report was not grouped with the first (another headline): still two outlets.
    flood = [art(0, "gilkhabar", story="f1", title="آبگرفتگی معابر گلسار", places=("رشت", "گلسار")),
             art(0.7, "shomal", story="f2", title="آب‌گرفتگی شدید در گلسار", places=("گلسار",))]
    fired = evaluate(flood, [], DAY + timedelta(hours=1))
    assert [(t.key, t.rule, t.critical) for t in fired] == [("f1", "critical", True)]
    assert set(fired[0].article_ids) == {flood[0].article_id, flood[1].article_id}
    assert fired[0].figures["stories"] == 2
    # Two floods in two different neighbourhoods, each from one outlet, are two unconfirmed reports.
    apart = [flood[0], art(0.7, "shomal", story="f3", title="آبگرفتگی در بیجارکن", places=("بیجارکن",))]
    assert evaluate(apart, [], DAY + timedelta(hours=1)) == []


def test_surge_scan_sees_a_sharp_burst_as_it_starts_and_not_the_same_count_spread_thin() -> None:
    from nlp.alerts import marks

    # Golsar in the news about once a day, at every hour of the day over four weeks.
    history = [art(-24 * d + (7 * d) % 24, OUTLETS[d % 8], story=f"g{d}", places=("گلسار",)) for d in range(1, 29)]
    sharp = [art(h, src, story=f"x{h}", places=("گلسار",))
             for h, src in [(4.2, "gilkhabar"), (4.6, "shomal"), (5.1, "baran"), (5.6, "sepidrud")]]
    fired = [t for t in evaluate(sharp, marks(history), DAY + timedelta(hours=6)) if t.key == "place:گلسار"]
    assert len(fired) == 1 and fired[0].figures["window_hours"] == 2.0 and fired[0].figures["count"] == 4
    thin = [art(h, src, story=f"y{h}", places=("گلسار",))
            for h, src in [(0.2, "gilkhabar"), (2.0, "shomal"), (3.8, "baran"), (5.6, "sepidrud")]]
    assert [t for t in evaluate(thin, marks(history), DAY + timedelta(hours=6)) if t.key == "place:گلسار"] == []
