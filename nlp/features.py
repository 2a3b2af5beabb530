"""Lexicon features: weighted hits of each working group's vocabulary, organisations, concern/PR markers.

These strengthen the n-gram models; they are not the method. Title hits count 3×, the first paragraph
2×, the rest 1×. Every count is log-damped so long texts do not dominate.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import NamedTuple

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
_PLACES = "places"
HEAD_CHARS = 400  # the opening (fold() turns newlines into spaces, so "first paragraph" is by length)


@functools.cache
def _title_patterns() -> re.Pattern[str]:
    """A title that asks or insists («چرا», «تا کی», «باز هم», «؟»): lexicons/concern_title_patterns.txt."""
    return re.compile("|".join(re.escape(t) for t in load_terms("concern_title_patterns")))


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


class ArticleScan(NamedTuple):
    weighted: dict[str, int]  # hits per list: title 3×, opening 2×, rest 1×
    title_muni: bool  # a municipal marker in the title
    actor: tuple[float, ...]  # who acts: see ACTOR_FEATURES
    places: tuple[str, ...]


# Who acts (as the labels have it: a programme run by a governor, ministry or heritage office with no municipal
# role is not municipal): where the municipality and other public bodies are first named in «title .
# text» (relative position, 1 = never), whether the municipality comes first, their hits in the title
# and opening, and the municipality's share of both. Read by the municipal model only.
ACTOR_FEATURES = ("actor_first_muni", "actor_first_other", "actor_muni_first", "actor_muni_head",
                  "actor_other_head", "actor_muni_share")


@functools.lru_cache(maxsize=2048)  # a batch's features and analyses; keyed by whole texts, so bounded
def _scan_article(title: str, text: str) -> ArticleScan:
    """Every lexicon, the actors and the places of a normalised article: one pass over the title and
    one over the text."""
    idx = _index()
    ft, fx = fold(title), fold(text)
    in_title, in_text = idx.scan_offsets(ft), idx.scan_offsets(fx)
    weighted = {name: 3 * len(th) + sum(2 if o < HEAD_CHARS else 1 for o, _t in xh)
                for name, th, xh in zip(idx.names, in_title, in_text, strict=True)}
    k = idx.names.index(_PLACES)
    places = places_from_names([t for _o, t in in_title[k]] + [t for _o, t in in_text[k]])
    muni, other = idx.names.index("other:municipal_markers"), idx.names.index("other:non_municipal_bodies")
    shift, size = len(ft) + 3, max(len(ft) + 3 + len(fx), 1)  # offsets in «title . text»

    def first(j: int) -> float:
        return min([o for o, _t in in_title[j]] + [shift + o for o, _t in in_text[j]], default=size) / size

    def head(j: int) -> int:
        return len(in_title[j]) + sum(1 for o, _t in in_text[j] if o < HEAD_CHARS)

    n_muni, n_other = len(in_title[muni]) + len(in_text[muni]), len(in_title[other]) + len(in_text[other])
    first_muni, first_other = first(muni), first(other)
    actor = (first_muni, first_other, float(first_muni < first_other), math.log1p(head(muni)),
             math.log1p(head(other)), n_muni / (n_muni + n_other + 1))
    return ArticleScan(weighted, bool(in_title[muni]), actor, places)


def actor_features(items: Sequence[tuple[str, str]]) -> np.ndarray:
    """The ACTOR_FEATURES columns for normalised (title, text) pairs."""
    return np.asarray([_scan_article(t, x).actor for t, x in items], dtype=np.float64)


def article_places(title: str, text: str) -> tuple[str, ...]:
    """The gazetteer places of a normalised article (title, then text), as `find_places` finds them."""
    return _scan_article(title, text).places


@functools.lru_cache(maxsize=2048)  # CV folds reuse rows (611 items); bounded, as keys are whole texts
def lexicon_features_one(title: str, text: str) -> tuple[float, ...]:
    """Feature row for one normalised (title, text); cached, so CV folds compute each row once."""
    ft = fold(title)
    weighted, title_muni, _actor, places = _scan_article(title, text)
    row: list[float] = []
    dom = [weighted[f"dom:{d}"] for d in DOMAIN_LISTS]
    total = sum(dom) or 1.0
    row += [math.log1p(v) for v in dom] + [v / total for v in dom]
    row += [math.log1p(weighted.get(f"org:{d}", 0.0)) for d in DOMAIN_LISTS if d != "management"]
    row += [math.log1p(weighted[f"other:{n}"]) for n in OTHER_LISTS]
    row.append(float(bool(_title_patterns().search(ft))))
    row.append(float(title_muni))
    row.append(math.log1p(len(fold(text))) / 10)
    ev = rasht_evidence(title, text, places)
    row += [math.log1p(v) for v in ev.values()]
    return tuple(row)


def lexicon_features(items: Sequence[tuple[str, str]]) -> np.ndarray:
    """Feature matrix for normalised (title, text) pairs."""
    return np.asarray([lexicon_features_one(t, x) for t, x in items], dtype=np.float64)
