"""Lexicon features: weighted hits of each working group's vocabulary, organisations, concern/PR markers.

These strengthen the n-gram models; they are not the method. Title hits count 3×, the first paragraph
2×, the rest 1× (REFERENCE.md §2 advice). Every count is log-damped so long texts do not dominate.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import numpy as np

from nlp.lexicon import Matcher, load_pairs, matcher
from nlp.normalize import fold
from nlp.places import rasht_evidence

DOMAIN_LISTS = {
    "culture_social_tourism": "domain_culture_social_tourism",
    "civil_works_traffic": "domain_civil_works_traffic",
    "urban_planning_legal": "domain_urban_planning_legal",
    "urban_services": "domain_urban_services",
    "economic_budget_it": "domain_economic_budget_it",
    "management": "domain_management",
}
OTHER_LISTS = ("municipal_markers", "concern_markers", "concern_actors", "pr_markers", "non_municipal_bodies")
_TITLE_PATTERNS = re.compile(r"[؟?!]|چرا|تا کی|کجاست|هنوز|همچنان|باز هم|دوباره|پاسخگوست")

_org_cache: dict[str, Matcher] = {}


def _org_matchers() -> dict[str, Matcher]:
    if not _org_cache:
        groups: dict[str, list[str]] = {}
        for term, group in load_pairs("org_to_group"):
            groups.setdefault(group, []).append(term)
        _org_cache.update({g: Matcher(ts) for g, ts in groups.items()})
    return _org_cache


def feature_names() -> list[str]:
    """Column names of `lexicon_features`, in order."""
    names = [f"lex_{d}" for d in DOMAIN_LISTS] + [f"lexshare_{d}" for d in DOMAIN_LISTS]
    names += [f"org_{d}" for d in DOMAIN_LISTS if d != "management"]
    names += [f"lex_{n}" for n in OTHER_LISTS] + ["title_concern_pattern", "title_muni", "text_len"]
    names += list(rasht_evidence("", "", ()).keys())
    return names


def _weighted(m: Matcher, title: str, head: str, rest: str) -> float:
    return 3 * m.count(title) + 2 * m.count(head) + m.count(rest)


@functools.lru_cache(maxsize=8192)
def lexicon_features_one(title: str, text: str) -> tuple[float, ...]:
    """Feature row for one normalised (title, text); cached, so CV folds compute each row once."""
    ft, fx = fold(title), fold(text)
    cut = fx.find("\n\n", 200)
    head, rest = (fx[:cut], fx[cut:]) if cut > 0 else (fx[:400], fx[400:])
    row: list[float] = []
    dom = [_weighted(matcher(name), ft, head, rest) for name in DOMAIN_LISTS.values()]
    total = sum(dom) or 1.0
    row += [math.log1p(v) for v in dom] + [v / total for v in dom]
    orgs = _org_matchers()
    row += [math.log1p(_weighted(orgs[d], ft, head, rest)) if d in orgs else 0.0
            for d in DOMAIN_LISTS if d != "management"]
    row += [math.log1p(_weighted(matcher(n), ft, head, rest)) for n in OTHER_LISTS]
    row.append(float(bool(_TITLE_PATTERNS.search(ft))))
    row.append(float(matcher("municipal_markers").count(ft) > 0))
    row.append(math.log1p(len(fx)) / 10)
    ev = rasht_evidence(title, text)
    row += [math.log1p(v) for v in ev.values()]
    return tuple(row)


def lexicon_features(items: Sequence[tuple[str, str]]) -> np.ndarray:
    """Feature matrix for normalised (title, text) pairs."""
    return np.asarray([lexicon_features_one(t, x) for t, x in items], dtype=np.float64)
