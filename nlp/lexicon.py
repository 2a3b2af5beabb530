"""Editable vocabulary lists in nlp/lexicons/ (one term per line, `#` comments) and fast matchers.

Terms are matched on the folded form of normalised text (see `nlp.normalize.fold`): the separator
inside a multiword term is optional (scraped text often lost its half-spaces: «آتشنشانی»), and a term
only matches between Persian-letter boundaries, so «رشت» never matches inside «رشته».
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from itertools import accumulate, chain, compress
from operator import add, or_
from pathlib import Path

from mediawatch.listfile import read_list
from nlp.normalize import fold, normalize

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"

# Persian/Arabic letters (and ZWNJ): a term must not touch one of these on either side.
_LETTER = "\u0621-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u200cA-Za-z"


@functools.cache
def load_terms(name: str, directory: Path = LEXICON_DIR) -> tuple[str, ...]:
    """The terms of lexicon `name` (file `<name>.txt`), normalised and folded, in file order."""
    terms = (fold(normalize(line)) for line in read_list(directory / f"{name}.txt"))
    return tuple(dict.fromkeys(t for t in terms if t))


def load_pairs(name: str, directory: Path = LEXICON_DIR) -> tuple[tuple[str, str], ...]:
    """`term|value` lines of lexicon `name` (e.g. org_to_group), the term folded."""
    out = []
    for line in read_list(directory / f"{name}.txt"):
        if "|" in line:
            term, value = line.rsplit("|", 1)
            out.append((fold(normalize(term.strip())), value.strip()))
    return tuple(out)


_SPLIT = re.compile(rf"([^{_LETTER}0-9]+)")
_MAX_SPAN = 8  # text tokens one term may cover («آتش نشانی» written «آتش نشانی» or «آتشنشانی»)


class LexiconIndex:
    """Every term of several lists in one dictionary: one pass over a text finds the hits of all lists.

    A term matches a run of whole tokens of folded text whose concatenation (without the separating
    single spaces) equals the term without its spaces, so the separator inside a multiword term is
    optional and a term never matches inside a longer word («رشت» is not found in «رشته»). Per list,
    hits are chosen leftmost-longest without overlap, as one regex alternation would.
    """

    def __init__(self, lists: Mapping[str, Sequence[str]]) -> None:
        self.names = tuple(lists)
        self._index: dict[str, list[tuple[int, str]]] = {}
        self._prefixes: set[str] = set()  # never holds "": empty edge tokens are skipped
        for k, name in enumerate(self.names):
            for term in lists[name]:
                key = term.replace(" ", "").replace("\u200c", "")
                if not key:
                    continue
                entries = self._index.setdefault(key, [])
                if all(j != k for j, _ in entries):
                    entries.append((k, term))
                self._prefixes.update(key[:i] for i in range(1, len(key) + 1))

    @staticmethod
    def tokens(folded: str) -> list[str]:
        """The tokens `scan` counts in (its hit positions index this list)."""
        return _SPLIT.split(folded)[0::2]

    def scan(self, folded: str) -> list[list[tuple[int, int, str]]]:
        """Per list (in `names` order): (first token, end token, canonical term) hits in text order."""
        return self._scan(_SPLIT.split(folded))

    def scan_offsets(self, folded: str) -> list[list[tuple[int, str]]]:
        """Per list (in `names` order): (character offset, canonical term) of each hit, in text order."""
        parts = _SPLIT.split(folded)
        starts = list(accumulate(map(len, parts), initial=0))[0::2]  # character offset of each token
        return [[(starts[s], t) for s, _e, t in hits] for hits in self._scan(parts)]

    def _scan(self, parts: list[str]) -> list[list[tuple[int, int, str]]]:
        # parts: token, separator, token, …, token (tokens may be empty at the ends)
        toks = parts[0::2]
        seps = parts[1::2]
        raw: list[list[tuple[int, int, str]]] = [[] for _ in self.names]
        index, prefixes = self._index, self._prefixes
        n = len(toks)
        # Most tokens start no term. A token can only start a hit when it is a whole term or when it
        # and the next token begin one: both tests run in C, leaving the loop only real candidates.
        whole = map(index.__contains__, toks)
        begins = chain(map(prefixes.__contains__, map(add, toks, toks[1:])), (False,))
        for i in compress(range(n), map(or_, whole, begins)):
            key = toks[i]
            k = i
            while True:
                hit = index.get(key)
                if hit:
                    for j, term in hit:
                        raw[j].append((i, k + 1, term))
                k += 1
                if k >= n or k - i >= _MAX_SPAN or seps[k - 1] != " ":
                    break
                key += toks[k]
                if key not in prefixes:
                    break
        out = []
        for hits in raw:
            if len(hits) > 1:
                hits.sort(key=lambda h: (h[0], -h[1]))
                kept, last = [], -1
                for h in hits:
                    if h[0] >= last:
                        kept.append(h)
                        last = h[1]
                hits = kept
            out.append(hits)
        return out


class Matcher:
    """Finds the terms of one list in folded text (see `LexiconIndex` for the matching rule)."""

    def __init__(self, terms: tuple[str, ...] | list[str]) -> None:
        self.terms = tuple(terms)
        self._index = LexiconIndex({"terms": self.terms})

    def find(self, folded: str) -> list[str]:
        """Canonical terms found, one entry per occurrence, in text order."""
        return [t for _s, _e, t in self._index.scan(folded)[0]]

    def count(self, folded: str) -> int:
        """Number of occurrences of any term."""
        return len(self._index.scan(folded)[0])

