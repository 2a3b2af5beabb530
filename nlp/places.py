"""Places: a gazetteer of Rasht (districts, neighbourhoods, streets, squares, rivers) and Gilan towns.

The lists live in nlp/lexicons/*.txt so the committee can edit them. Names that also exist elsewhere
or are common words (`ambiguous_places.txt`: «معلم», «خیابان امام خمینی», «منطقه ۲» …) count only
when the text names Rasht too. «رشت» never matches inside «رشته» (letter boundaries).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from mediawatch.gazetteer import gilan_place_names
from mediawatch.listfile import read_list
from nlp.lexicon import LEXICON_DIR, Matcher, load_terms
from nlp.normalize import fold, normalize

__all__ = ["RASHT", "find_places", "gazetteer_names", "is_rasht", "places_from_names", "rasht_evidence"]

RASHT = "رشت"
_PROVINCE = "گیلان"  # the province's own name is not another town

# Lists whose names are places in or around the city of Rasht itself.
_RASHT_LISTS = (
    "rasht_districts",
    "rasht_neighborhoods_verified",
    "rasht_neighborhoods_unverified",
    "rasht_squares_streets_verified",
    "rasht_streets_unverified",
)
# Towns and places of Gilan outside the city (and the province's own name): the project's one list,
# mediawatch/data/gilan_places.txt, which the scrapers' door filter reads too.


@functools.cache
def _gazetteer() -> tuple[Matcher, frozenset[str], frozenset[str], frozenset[str]]:
    """(matcher over every name, Rasht-city names, Gilan names, ambiguous names)."""
    rasht = {t for name in _RASHT_LISTS for t in load_terms(name)} | {RASHT}
    gilan = {fold(normalize(t)) for t in gilan_place_names()} - {""}
    ambiguous = set(load_terms("ambiguous_places"))
    every = sorted(rasht | gilan)
    return Matcher(every), frozenset(rasht), frozenset(gilan - rasht), frozenset(ambiguous)


@functools.cache
def _datelines() -> re.Pattern[str]:
    """Rasht datelines («رشت - ایرنا -», «به گزارش … از رشت»): lexicons/rasht_datelines.txt."""
    return re.compile("|".join(f"(?:{p})" for p in read_list(LEXICON_DIR / "rasht_datelines.txt")))


def gazetteer_names() -> tuple[str, ...]:
    """Every name the gazetteer matches (folded), for indexes that find them with other lists."""
    return _gazetteer()[0].terms


@functools.lru_cache(maxsize=2048)
def find_places(text: str) -> tuple[str, ...]:
    """Gazetteer names found in `text` (any normalisation), unique, in order of first mention."""
    return places_from_names(_gazetteer()[0].find(fold(text)))


def places_from_names(hits: Sequence[str]) -> tuple[str, ...]:
    """The places of an article from the gazetteer names found in it, in text order: unique, and the
    ambiguous ones («معلم», «منطقه ۲») only when the article names Rasht too."""
    _m, _rasht, _gilan, ambiguous = _gazetteer()
    seen: dict[str, None] = {}
    names_rasht = any(h == RASHT for h in hits) or any(h not in ambiguous and h in _rasht for h in hits)
    for h in hits:
        if h in ambiguous and not names_rasht:
            continue
        seen.setdefault(h, None)
    return tuple(seen)


def rasht_evidence(title: str, text: str, places: tuple[str, ...] | None = None) -> dict[str, float]:
    """Numbers that say how much an article is about Rasht (features for the classifier and the rule)."""
    if places is None:
        places = find_places(f"{title}\n{text}")
    return dict(_evidence(title, text, places))


@functools.lru_cache(maxsize=2048)
def _evidence(title: str, text: str, places: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """`rasht_evidence`, cached: the classifier's features and the Rasht rule ask for the same article."""
    ft, fx = fold(title), fold(text)
    _m, rasht_names, gilan_names, ambiguous = _gazetteer()
    rasht_re = _rasht_re()
    head = fx[:300]
    return (
        ("rasht_title", float(bool(rasht_re.search(ft)))),
        ("rasht_count", float(len(rasht_re.findall(fx)))),
        ("rasht_head", float(bool(rasht_re.search(head)))),
        ("rasht_dateline", float(bool(_datelines().search(head)) and bool(rasht_re.search(head)))),
        ("rasht_municipality", float((RASHT in fx and bool(_muni_re().search(f"{ft}\n{fx}")))
                                     or (RASHT in ft and bool(_muni_re().search(ft))))),
        ("rasht_places", float(sum(1 for p in places if p in rasht_names and p != RASHT))),
        ("rasht_places_specific", float(sum(1 for p in places if p in rasht_names and p not in ambiguous
                                            and p != RASHT))),
        ("gilan_places", float(sum(1 for p in places if p in gilan_names))),
        ("gilan_title", float(any(p in ft for p in gilan_names))),
    )


@functools.cache
def _rasht_re() -> re.Pattern[str]:
    # Starts with the literal, then looks behind it: the regex engine can skip ahead to each «رشت».
    return re.compile(r"رشت(?<![\u0621-\u06ff\u200c]رشت)(?![\u0621-\u06ff\u200c])")


@functools.cache
def _muni_re() -> re.Pattern[str]:
    return re.compile(r"(?:شهرداری|شورای (?:اسلامی )?شهر|شهردار|کلانشهر) رشت(?![\u0621-\u06ff\u200c])")


def is_rasht(title: str, text: str, places: tuple[str, ...] | None = None) -> bool:
    """Rule: the article concerns Rasht (named in the title, datelined there, or its municipality).

    A single passing «رشت» next to other Gilan towns, with no Rasht street or district, is a list of
    towns (as the labels have it: other towns are not Rasht unless Rasht is a main subject): not Rasht. On the
    municipal items of train.jsonl this exception took rasht F1 from 0.974 to 0.980.
    """
    if places is None:
        places = find_places(f"{title}\n{text}")
    ev = rasht_evidence(title, text, places)
    if ev["rasht_title"] or ev["rasht_municipality"] or ev["rasht_dateline"] or ev["rasht_count"] >= 2:
        return True
    gilan_towns = _gazetteer()[2] - {_PROVINCE}
    if ev["rasht_count"] == 1 and not ev["rasht_places_specific"] and any(p in gilan_towns for p in places):
        return False
    if ev["rasht_head"]:
        return True
    return bool(ev["rasht_count"] >= 1 and ev["rasht_places_specific"] >= 1)
