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

from nlp.lexicon import LexiconIndex, load_pairs, load_terms
from nlp.normalize import fold
from nlp.places import gazetteer_names, places_from_names, rasht_evidence

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

@functools.cache
def _index() -> LexiconIndex:
    """One index over every list the features count: one pass per text finds all of them."""
    lists: dict[str, tuple[str, ...]] = {f"dom:{d}": load_terms(n) for d, n in DOMAIN_LISTS.items()}
    groups: dict[str, list[str]] = {}
    for term, group in load_pairs("org_to_group"):
        groups.setdefault(group, []).append(term)
    lists.update({f"org:{g}": tuple(ts) for g, ts in groups.items()})
    lists.update({f"other:{n}": load_terms(n) for n in OTHER_LISTS})
    lists[_PLACES] = gazetteer_names()  # places come out of the same pass
    return LexiconIndex(lists)


_PLACES = "places"
HEAD_CHARS = 400  # the opening (fold() turns newlines into spaces, so "first paragraph" is by length)


@functools.lru_cache(maxsize=8192)
def _scan_article(title: str, text: str) -> tuple[dict[str, int], bool, tuple[str, ...]]:
    """(weighted hits per list: title 3×, opening 2×, rest 1×; a municipal marker in the title; the
    article's places), one pass over the title and one over the text."""
    idx = _index()
    in_title = idx.scan(fold(title))
    in_head, in_rest = idx.scan_split(fold(text), HEAD_CHARS)
    weighted = {name: 3 * len(th) + 2 * len(hh) + len(rh)
                for name, th, hh, rh in zip(idx.names, in_title, in_head, in_rest, strict=True)}
    k = idx.names.index(_PLACES)
    places = places_from_names([t for _s, _e, t in in_title[k]] + in_head[k] + in_rest[k])
    return weighted, bool(in_title[idx.names.index("other:municipal_markers")]), places


def article_places(title: str, text: str) -> tuple[str, ...]:
    """The gazetteer places of a normalised article (title, then text), as `find_places` finds them."""
    return _scan_article(title, text)[2]


def feature_names() -> list[str]:
    """Column names of `lexicon_features`, in order."""
    names = [f"lex_{d}" for d in DOMAIN_LISTS] + [f"lexshare_{d}" for d in DOMAIN_LISTS]
    names += [f"org_{d}" for d in DOMAIN_LISTS if d != "management"]
    names += [f"lex_{n}" for n in OTHER_LISTS] + ["title_concern_pattern", "title_muni", "text_len"]
    names += list(rasht_evidence("", "", ()).keys())
    return names


@functools.lru_cache(maxsize=8192)
def lexicon_features_one(title: str, text: str) -> tuple[float, ...]:
    """Feature row for one normalised (title, text); cached, so CV folds compute each row once."""
    ft = fold(title)
    weighted, title_muni, places = _scan_article(title, text)
    row: list[float] = []
    dom = [weighted[f"dom:{d}"] for d in DOMAIN_LISTS]
    total = sum(dom) or 1.0
    row += [math.log1p(v) for v in dom] + [v / total for v in dom]
    row += [math.log1p(weighted.get(f"org:{d}", 0.0)) for d in DOMAIN_LISTS if d != "management"]
    row += [math.log1p(weighted[f"other:{n}"]) for n in OTHER_LISTS]
    row.append(float(bool(_TITLE_PATTERNS.search(ft))))
    row.append(float(title_muni))
    row.append(math.log1p(len(fold(text))) / 10)
    ev = rasht_evidence(title, text, places)
    row += [math.log1p(v) for v in ev.values()]
    return tuple(row)


def lexicon_features(items: Sequence[tuple[str, str]]) -> np.ndarray:
    """Feature matrix for normalised (title, text) pairs."""
    return np.asarray([lexicon_features_one(t, x) for t, x in items], dtype=np.float64)
