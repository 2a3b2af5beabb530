"""Editable vocabulary lists in nlp/lexicons/ (one term per line, `#` comments) and fast matchers.

Terms are matched on the folded form of normalised text (see `nlp.normalize.fold`): the separator
inside a multiword term is optional (scraped text often lost its half-spaces: «آتشنشانی»), and a term
only matches between Persian-letter boundaries, so «رشت» never matches inside «رشته».
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from nlp.normalize import fold, normalize

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"

# Persian/Arabic letters (and ZWNJ): a term must not touch one of these on either side.
_LETTER = "\u0621-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u200cA-Za-z"


@functools.cache
def load_terms(name: str, directory: Path = LEXICON_DIR) -> tuple[str, ...]:
    """The terms of lexicon `name` (file `<name>.txt`), normalised and folded, in file order."""
    path = directory / f"{name}.txt"
    terms: list[str] = []
    seen: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        term = fold(normalize(line))
        if term and term not in seen:
            seen.add(term)
            terms.append(term)
    return tuple(terms)


def load_pairs(name: str, directory: Path = LEXICON_DIR) -> tuple[tuple[str, str], ...]:
    """`term|value` lines of lexicon `name` (e.g. org_to_group), the term folded."""
    out = []
    for raw in (directory / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "|" not in line:
            continue
        term, value = line.rsplit("|", 1)
        out.append((fold(normalize(term.strip())), value.strip()))
    return tuple(out)


def term_pattern(term: str) -> str:
    """Regex source for one folded term: optional separator between tokens, letter boundaries."""
    tokens = [re.escape(t) for t in term.split(" ") if t]
    return "[ \u200c]?".join(tokens)


class Matcher:
    """Finds the terms of one list in folded text; one compiled alternation (longest term first)."""

    def __init__(self, terms: tuple[str, ...] | list[str]) -> None:
        self.terms = tuple(terms)
        # Map the separator-free key back to the canonical term.
        self._canon = {t.replace(" ", ""): t for t in self.terms}
        ordered = sorted(self.terms, key=len, reverse=True)
        body = "|".join(term_pattern(t) for t in ordered) or "(?!x)x"
        # A first-character class up front lets the engine skip most positions cheaply.
        first = "".join(sorted({re.escape(t[0]) for t in ordered if t})) or "x"
        self._re = re.compile(rf"(?=[{first}])(?<![{_LETTER}])(?:{body})(?![{_LETTER}])")

    def find(self, folded: str) -> list[str]:
        """Canonical terms found, one entry per occurrence, in text order."""
        out = []
        for m in self._re.finditer(folded):
            key = m.group(0).replace(" ", "").replace("\u200c", "")
            out.append(self._canon.get(key, m.group(0)))
        return out

    def count(self, folded: str) -> int:
        """Number of occurrences of any term."""
        return len(self._re.findall(folded))


@functools.cache
def matcher(name: str) -> Matcher:
    """A cached matcher for lexicon `name`."""
    return Matcher(load_terms(name))
