"""Ranking: a period's items grouped into stories, each scored, and the score explained in one Persian line.

Every number that shapes the score is here with its reason; every ranked story carries the parts of its
score (`Story.score_parts`), so the digest can say why it ranks where it does.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from digests import text_fa as ui
from digests.records import OutletRef, Story, article_ref, safe_url
from mediawatch.records import KIND_TITLES_FA, DigestItem
from mediawatch.text import display_fa
from mediawatch.timeutil import fa_digits, format_jalali_date

# --- tunables: every number that shapes the score, with its reason -----------------------------------
# Score weights. Story size grows with log2 so one story republished 20 times does not drown the rest.
W_SIZE = 1.0
# Distinct outlets count more than articles: independent outlets mean independent attention.
W_OUTLETS = 1.0
# Fresh items matter more in a morning digest; half-life 12 h (last night vs. yesterday morning).
W_RECENCY = 1.0
RECENCY_HALF_LIFE_H = 12.0
# The committee serves Rasht; a concern named in Rasht outranks one elsewhere in Gilan.
W_RASHT = 1.0
# Negative coverage is what the municipality must answer; share of negative toned articles.
W_NEGATIVE = 1.0
# A story not seen before the period is news to the reader; continuing stories still rank, lower.
W_NEW = 0.5
# How much each kind of outlet weighs: the municipality's own site does not make a citizen's concern larger.
KIND_WEIGHT: dict[str, float] = {
    "agency": 1.0,
    "national_daily": 1.2,
    "local_daily": 1.0,
    "weekly": 0.8,
    "news_site": 0.7,
    "municipal_site": 0.3,
}


def _story_key(item: DigestItem) -> str:
    return item.cluster_key or f"a{item.article_id}"


def first_seen_before(history: Iterable[DigestItem], start: datetime) -> dict[str, datetime]:
    """When each story (cluster key) in `history` was first seen before `start`: the story is not new."""
    first: dict[str, datetime] = {}
    for h in history:
        if h.cluster_key is None:
            continue
        seen = h.seen_at
        if seen < start and (h.cluster_key not in first or seen < first[h.cluster_key]):
            first[h.cluster_key] = seen
    return first


def _why(story: Story) -> str:
    """The score explained in one Persian line."""
    kinds = Counter(o.kind for o in story.outlets)
    kind_text = "، ".join(f"{fa_digits(n)} {KIND_TITLES_FA.get(k, k)}" for k, n in kinds.most_common())
    parts = [f"{fa_digits(story.article_count)} خبر از {fa_digits(len(story.outlets))} رسانه ({kind_text})"]
    if story.rasht:
        parts.append("درباره رشت")
    if story.negative_share > 0:
        parts.append(f"{fa_digits(round(story.negative_share * 100))}٪ با لحن منفی")
    parts.append("تازه" if story.new else f"ادامه‌دار از {story.first_seen_fa}")
    return "؛ ".join(parts)


def build_stories(
    items: Sequence[DigestItem],
    *,
    period_end: datetime,
    first_before: Mapping[str, datetime],
    only_concerns: bool,
) -> list[Story]:
    """Group items into stories by cluster, score each and rank them (highest score first)."""
    groups: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        groups[_story_key(item)].append(item)
    stories = []
    for key, members in groups.items():
        if only_concerns and not any(m.concern for m in members):
            continue
        members.sort(key=lambda m: (m.is_duplicate, -m.concern_score, m.seen_at, m.article_id))
        lead = members[0]
        domain = Counter(str(m.domain) for m in members).most_common(1)[0][0]
        with_sentence = [m for m in members if m.key_sentence.strip()]
        sentence = display_fa(
            max(with_sentence, key=lambda m: m.concern_score).key_sentence if with_sentence else lead.lead
        )
        title, lead_text = display_fa(lead.title), display_fa(lead.lead)
        if sentence.split() == title.split():  # saying the headline twice says nothing
            sentence = lead_text if lead_text.split() != title.split() else ""
        by_time = sorted(members, key=lambda m: (m.seen_at, m.article_id))
        outlets: dict[str, OutletRef] = {}
        for m in by_time:
            outlets.setdefault(m.source_id, OutletRef(m.source_name, str(m.source_kind), safe_url(m.url)))
        first = by_time[0].seen_at
        before = first_before.get(key)
        new = before is None
        if before is not None:
            first = min(first, before)
        toned = [m for m in members if m.tone is not None]
        negative = sum(1 for m in toned if m.tone == "negative") / len(toned) if toned else 0.0
        last = by_time[-1].seen_at
        age_h = max(0.0, (period_end - last).total_seconds() / 3600)
        parts = {
            "size": round(W_SIZE * math.log2(1 + len(members)), 3),
            "outlets": round(W_OUTLETS * sum(KIND_WEIGHT.get(o.kind, 0.7) for o in outlets.values()), 3),
            "recency": round(W_RECENCY * 0.5 ** (age_h / RECENCY_HALF_LIFE_H), 3),
            "rasht": W_RASHT if any(m.rasht for m in members) else 0.0,
            "negative": round(W_NEGATIVE * negative, 3),
            "new": W_NEW if new else 0.0,
        }
        story = Story(
            key=key,
            domain=domain,
            headline=display_fa(lead.title) or ui.UNTITLED,
            key_sentence=sentence,
            url=safe_url(lead.url),
            articles=[article_ref(m) for m in by_time],
            outlets=list(outlets.values()),
            article_count=len(members),
            first_seen=first,
            last_seen=last,
            first_seen_fa=format_jalali_date(first),
            new=new,
            rasht=parts["rasht"] > 0,
            negative_share=negative,
            score=round(sum(parts.values()), 3),
            score_parts=parts,
        )
        story.why = _why(story)
        story.links = [a.url for a in story.articles if a.url]
        stories.append(story)
    stories.sort(key=lambda s: (-s.score, -s.article_count, s.first_seen, s.key))
    return stories
