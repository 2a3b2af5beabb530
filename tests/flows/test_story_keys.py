"""A story keeps its key night after night, even after its first report leaves the sliding window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows import steps
from mediawatch.records import Analysis, Article, Cluster, Domain, Scope, Source, SourceKind
from nlp.dedup import carry_keys
from nlp.normalize import clean_article

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
STORY = ("آبگرفتگی خیابان‌های گلسار رشت پس از بارش شدید باران؛ ساکنان از کندی کار شهرداری در باز کردن "
         "آبراه‌ها و جوی‌های مسدود گلایه دارند و می‌گویند هر سال همین وضع تکرار می‌شود.")
OTHER = "جشنواره غذای رشت در بوستان ملت با حضور گردشگران نوروزی برگزار شد و غرفه‌های محلی استقبال شدند."


def _cl(key, rep, *members):
    return Cluster(key=key, representative_id=rep, member_ids=(rep, *members))


def test_a_continuing_story_keeps_its_key_when_its_first_report_leaves():
    # Night 1: s1 = {1, 2, 3}. Night 2: article 1 left the window; the story is {2, 3, 4}, rep 2.
    out = carry_keys([_cl("s2", 2, 3, 4)], {2: "s1", 3: "s1"})
    assert [c.key for c in out] == ["s1"]
    assert out[0].member_ids == (2, 3, 4)


def test_a_split_story_gives_its_key_to_the_bigger_part_and_new_keys_never_reuse_old_ones():
    previous = {1: "s1", 2: "s1", 3: "s1", 7: "s7"}
    out = carry_keys([_cl("s1", 1), _cl("s2", 2, 3), _cl("s9", 9)], previous, in_use={"s1", "s7", "s9"})
    keys = [c.key for c in out]
    assert keys[1] == "s1"  # two of the three old members
    assert keys[0] not in {"s1", "s7", "s9"} and keys[2] not in {"s1", "s7", "s9"}
    assert len(set(keys)) == 3


def test_merged_stories_keep_the_key_most_members_had():
    out = carry_keys([_cl("s1", 1, 2, 3, 4)], {1: "s1", 2: "s3", 3: "s3", 4: "s3"})
    assert out[0].key == "s3"


def test_equal_stories_merged_keep_the_older_key():
    # "s10" sorts before "s9" as text; the older story is the one whose articles came first.
    assert carry_keys([_cl("s9", 9, 10)], {9: "s9", 10: "s10"})[0].key == "s9"


def test_one_stray_article_does_not_hand_its_story_key_to_a_new_story():
    # s1 had articles 1–10. Articles 1–9 joined story s20 (11 articles); article 10 now sits with five
    # new reports. That mostly new story must not be presented as the continuation of s1.
    previous = {i: "s1" for i in range(1, 11)} | {i: "s20" for i in range(20, 31)}
    big = _cl("s1", 1, *range(2, 10), *range(20, 31))
    small = _cl("s10", 10, *range(40, 45))
    out = carry_keys([big, small], previous, in_use={"s1", "s20"})
    assert out[0].key == "s20"
    assert out[1].key not in {"s1", "s20"}


@pytest.fixture()
def store(store_url):
    """A real Store: on SQLite, then on PostgreSQL."""
    from storage import open_store

    s = open_store(store_url)
    s.sync_sources([Source("a", "خبرگزاری الف", "https://a.example", SourceKind.news_site, Scope.rasht)])
    yield s
    s.close()


def _add(store, n: int, day: int, title: str, body: str) -> int:
    when = T0 + timedelta(days=day)
    (aid,) = store.add_articles([Article(url=f"https://a.example/{n}", source_id="a", title=title, body=body,
                                         fetched_at=when, published_at=when)])
    t, b = clean_article(title, "", body)
    store.save_analyses([(aid, Analysis(norm_title=t, norm_body=b, municipal=True, municipal_score=0.9,
                                        domain=Domain.urban_services, domain_scores={}, secondary=None,
                                        rasht=True, places=(), concern=True, concern_score=0.9,
                                        key_sentence="", tone=None, model_version="t"))])
    return aid


def test_cluster_step_keeps_a_story_key_across_nights(store):
    first = _add(store, 1, 0, "آبگرفتگی گلسار", STORY)
    _add(store, 2, 5, "باز هم آبگرفتگی در گلسار", STORY + " گزارش تازه.")
    _add(store, 3, 6, "جشنواره غذا", OTHER)
    steps.cluster_step(store, now=T0 + timedelta(days=7), window_days=14)
    key = store.cluster_keys([first])[first]
    assert key == f"s{first}"
    # Sixteen days on, the first report is outside the 14-day window; a third report arrives.
    third = _add(store, 4, 15, "آبگرفتگی گلسار ادامه دارد", STORY + " هنوز رسیدگی نشده است.")
    steps.cluster_step(store, now=T0 + timedelta(days=16), window_days=14)
    keys = store.cluster_keys([first, third])
    assert keys[third] == key  # the same story, not a new one
    assert keys[first] == key  # the old report still belongs to it
