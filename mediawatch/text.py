"""Text folding shared by the search index and search queries.

`search_fold` maps the spellings a Persian reader treats as the same word onto one form, so that
«می‌شود», «میشود» and «می شود», or «ي»/«ی» and «ك»/«ک», find each other. It is for matching only:
the original text is always kept and shown.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic code points and variants that Persian text uses interchangeably with the Persian letter.
_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ئ": "ی",
        "ك": "ک",  # Arabic kaf
        "ۀ": "ه",  # heh with yeh above (ezafe)
        "ة": "ه",  # teh marbuta
        "ە": "ه",
        "ھ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ـ": "",  # tatweel (kashida)
        "\u200c": "",  # ZWNJ (half-space): «می‌شود» → «میشود»
        "\u200d": "",  # ZWJ
        "\u200e": "",  # LRM
        "\u200f": "",  # RLM
        "\ufeff": "",  # BOM / ZWNBSP
        **{d: str(i) for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")},
        **{d: str(i) for i, d in enumerate("٠١٢٣٤٥٦٧٨٩")},
    }
)
_NON_WORD = re.compile(r"[^\w]+")
# Verb prefixes written apart («می شود») and suffixes written apart («کتاب ها») are joined to their word.
_PREFIXES = frozenset({"می", "نمی"})
_SUFFIXES = frozenset({"ها", "های", "هایی", "تر", "ترین", "تری"})


def _fold_chars(text: str) -> str:
    text = text.translate(_LETTERS)
    # NFKC turns Arabic presentation forms (ﻛ, ﯾ, ﻻ …) into base letters; map again afterwards.
    text = unicodedata.normalize("NFKC", text).translate(_LETTERS)
    # Diacritics (harakat, tanwin, shadda, hamza above, superscript alef) are combining marks.
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def search_fold(text: str) -> str:
    """The folded form of `text` used in the search index and for queries (space-separated words)."""
    words = _NON_WORD.sub(" ", _fold_chars(text).replace("_", " ")).split()
    out: list[str] = []
    pending = ""
    for word in words:
        if word in _PREFIXES:
            pending += word
            continue
        word = pending + word
        pending = ""
        if word in _SUFFIXES and out:
            out[-1] += word
        else:
            out.append(word)
    if pending:
        out.append(pending)
    return " ".join(out)


_COMPOUND = re.compile(r"\w+(?:\u200c+\w+)+")


def search_doc(text: str) -> str:
    """What the search index holds for `text`: its folded form, plus the parts of half-space compounds.

    «جمع‌آوری» is indexed as «جمعاوری» and also as «جمع» «اوری», so that the query «جمع آوری» (typed
    with a space) finds it; prefixes and suffixes («می‌شود», «کتاب‌ها») stay joined either way.
    """
    folded = search_fold(text)
    extra = []
    for m in _COMPOUND.finditer(text):
        whole, parts = search_fold(m.group()), search_fold(m.group().replace("\u200c", " "))
        if parts != whole:
            extra.append(parts)
    return f"{folded}\n{' '.join(extra)}" if extra else folded


def search_terms(text: str) -> list[str]:
    """The distinct folded words of a query, in order; a half-space compound counts as its parts."""
    return list(dict.fromkeys(search_fold(text.replace("\u200c", " ")).split()))
