"""Text helpers every stage shares: search folding, Persian letters for display, inert one-line text.

`search_fold` maps the spellings a Persian reader treats as the same word onto one form, so that
«می‌شود», «میشود» and «می شود», or «ي»/«ی» and «ك»/«ک», find each other. It is for matching only:
the original text is always kept and shown.

`one_line` (the plain-text cleaner) and `md_escape` (the Markdown escaper) are the only ways scraped or
remote text enters plain text and Markdown: the digests' templates and the nightly run report use them.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"
# The one letter-folding table: Arabic letter forms that old (windows-1256) sites and some agencies
# print where a Persian reader expects the Persian letter. Display, date parsing, normalisation
# (nlp.normalize) and search all fold these; each adds only what its own job needs on top.
ARABIC_TO_PERSIAN: dict[str, str] = {
    "ي": "ی",  # Arabic yeh
    "ى": "ی",  # alef maksura
    "ك": "ک",  # Arabic kaf
    "ة": "ه",  # teh marbuta
}
# For matching only: also the variants a reader treats as the same letter (hamza forms, ezafe heh …).
_LETTER_MAP: dict[str, str] = {
        **ARABIC_TO_PERSIAN,
        "ئ": "ی",
        "ۀ": "ه",  # heh with yeh above (ezafe)
        "ە": "ه",
        "ھ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ـ": "",  # tatweel (kashida)
        "\u200d": "",  # ZWJ
        "\u200e": "",  # LRM
        "\u200f": "",  # RLM
        "\ufeff": "",  # BOM / ZWNBSP
        "_": " ",
        **{d: str(i) for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")},
        **{d: str(i) for i, d in enumerate("٠١٢٣٤٥٦٧٨٩")},
}
# A regex finds the few characters to map (C speed); str.translate walks every character in Python.
_LETTER_RE = re.compile("[" + "".join(_LETTER_MAP) + "]")
# Compatibility characters (Arabic presentation forms ﻛ ﯾ ﻻ, ligatures, fullwidth) need NFKC first.
_COMPAT = re.compile(r"[\u00a0-\u00bf\u2070-\u209f\ufb00-\ufdff\ufe70-\ufeff\uff00-\uffef]")
# Diacritics: harakat, tanwin, shadda, sukun, hamza above/below, superscript alef, Quranic marks.
_MARKS = re.compile(r"[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
# Anything that is neither a word character nor a half-space separates words.
_NON_WORD = re.compile(r"[^\w\u200c]+")
# Verb prefixes written apart («می شود») and suffixes written apart («کتاب ها») are joined to their word.
_PREFIXES = frozenset({"می", "نمی"})
_SUFFIXES = frozenset({"ها", "های", "هایی", "تر", "ترین", "تری"})


def _tokens(text: str) -> list[str]:
    """Folded words, half-spaces kept inside them (stripped at their ends)."""
    if _COMPAT.search(text):
        text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", _LETTER_RE.sub(lambda m: _LETTER_MAP[m.group()], text)).lower()
    words = _NON_WORD.sub(" ", text).split()
    if ZWNJ in text:
        words = [w for w in (w.strip(ZWNJ) for w in words) if w]
    return words


def _join_affixes(words: list[str]) -> list[str]:
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
    return out


def search_fold(text: str) -> str:
    """The folded form of `text` used in the search index and for queries (space-separated words)."""
    return " ".join(_join_affixes([w.replace(ZWNJ, "") for w in _tokens(text)]))


def search_doc(text: str) -> str:
    """What the search index holds for `text`: its folded form, plus the parts of half-space compounds.

    «جمع‌آوری» is indexed as «جمعاوری» and also as «جمع» «اوری», so that the query «جمع آوری» (typed
    with a space) finds it; prefixes and suffixes («می‌شود», «کتاب‌ها») stay joined either way.
    """
    tokens = _tokens(text)
    folded = " ".join(_join_affixes([w.replace(ZWNJ, "") for w in tokens]))
    extra: list[str] = []
    for w in tokens:
        if ZWNJ in w:
            parts = _join_affixes([p for p in w.split(ZWNJ) if p])
            if len(parts) > 1:
                extra.extend(parts)
    return f"{folded}\n{' '.join(extra)}" if extra else folded


def search_terms(text: str) -> list[str]:
    """The distinct folded words of a query, in order; a half-space compound counts as its parts."""
    return list(dict.fromkeys(_join_affixes([p for w in _tokens(text) for p in w.split(ZWNJ) if p])))


# For display only the Arabic forms change: digits, spacing and punctuation stay as written.
# A no-break space becomes a plain one so that word lists match whatever spacing a page used.
_PERSIAN_LETTERS = str.maketrans({**ARABIC_TO_PERSIAN, "\xa0": " "})


def persian_letters(text: str) -> str:
    """Arabic letter forms (ي ى ك ة) as their Persian ones; nothing else changes, half-spaces included."""
    return text.translate(_PERSIAN_LETTERS)


def display_fa(text: str) -> str:
    """Scraped Persian as a reader should see it: Persian ی/ک instead of Arabic ي/ك, trimmed."""
    return persian_letters(text).strip()


def one_line(text: str) -> str:
    """Text on one line: every run of whitespace, newlines included, folded to one space; ends trimmed."""
    return " ".join(text.split())


# Every CommonMark/GFM character that can open or close markup inside a line: backslash escapes, code,
# emphasis, links and images ([ ] ( ) !), autolinks and raw HTML (< >), headings, entity references (&),
# table cells (|), strikethrough (~) and braces (attribute syntaxes). Escaping one that needed no escape
# costs nothing: a backslash before ASCII punctuation renders as that character.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!~&])")


def md_escape(text: str) -> str:
    """Remote text as inert Markdown on one line (safe in a paragraph, a heading or a table cell).

    Put it after a marker or other text, never at the very start of a line: a leading `-`, `+`, `=` or
    `1.` is left alone so that numbers such as «+۳» read as written.
    """
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


# A URL is shown whole up to this length: a Persian slug percent-encodes to six characters a letter, so
# real article URLs reach several hundred; anything longer is a broken link or a trap, and a 100 KB URL
# must not fill a log, a run report or a terminal.
URL_SHOWN_CHARS = 600
# Messages (a page's error, a source's "why") are stored and shown up to this length.
MESSAGE_CHARS = 2000
# A scheme is short (RFC 3986 allows any length; real ones are ≤ 20). Unbounded, `[…]*://` backtracks at
# every position of a long word without "://": 16 s on a 100,000-character message.
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{0,31}://\S+")


def short_url(url: str, limit: int = URL_SHOWN_CHARS) -> str:
    """`url` as shown in logs and reports: whole when short, else its start and how long it was."""
    if len(url) <= limit:
        return url
    return f"{url[: max(limit - 40, 20)]}…[URL of {len(url):,} characters]"


def short_message(text: str, *, url_limit: int = URL_SHOWN_CHARS, limit: int = MESSAGE_CHARS) -> str:
    """A message for a log, a report or the database: every long URL in it shortened (`short_url`), and the
    whole cut at `limit` characters."""
    if len(text) <= url_limit:
        return text
    def shorten(m: re.Match[str]) -> str:
        url = m.group(0)
        bare = url.rstrip(":,;.)]")  # "URL: why" — the colon is the message's, not the URL's
        return short_url(bare, url_limit) + url[len(bare):]

    text = _URL.sub(shorten, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
