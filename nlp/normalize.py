"""Persian normalisation: hazm's Normalizer (one shared instance) plus the cleaning real pages need.

`normalize()` unifies Arabic/Persian letters and digits, removes diacritics and fixes spacing while
keeping half-spaces (ZWNJ). `clean_article()` also drops what news pages carry around the story: a
lead repeated as the first paragraph, boilerplate lines («انتهای پیام», «Share»), agency signatures
(«/ایسنا», «// گیل‌آوا») and Latin fragments glued to Persian words («بهره مندی hasaniاز»).
The original text is never modified in place; callers keep it next to the normalised form.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

from mediawatch.text import ARABIC_TO_PERSIAN

__all__ = ["clean_article", "fold", "normalize", "paragraphs", "shared_tokenizer"]

ZWNJ = "\u200c"
SPACING_PREFIX = 500  # characters of a text that get hazm's word-list spacing (titles and leads: all of it)
_FA = "\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff"

_lock = threading.Lock()


@functools.cache
def _normalizer():  # -> hazm.Normalizer
    """The shared hazm Normalizer, configured without its slow passes (we run its cheap ones ourselves).

    hazm's full `normalize()` costs ~4 ms per 3 kB: a dict-based `str.translate` of every character
    (twice), a word-list tokenizer per line for spacing, and a repeated-letter pass. We keep hazm's
    tables and passes but replace the per-character translation by one precompiled regex that only
    touches the characters to change, and apply its spacing rules as precompiled regexes.
    """
    from hazm import Normalizer

    return Normalizer(correct_spacing=False, decrease_repeated_chars=False, persian_numbers=False)


# hazm's spacing patterns that start with a look-behind or a wide class scan every position; these
# equivalents (same matches, same replacements) start with a literal or a narrow class instead.
_FAST_EQUIVALENT = {
    r"^ +| +$": None,  # done with str.strip(" ")
    r"[ـ\r]": None,  # folded into the character map
    # A ZWNJ after a letter and before a non-letter: start at the ZWNJ, then look behind for the letter.
    r"\b\u200c*\B": (r"\u200c(?<=\w\u200c)\u200c*\B", "\u200c"),
    # A ZWNJ after a non-letter (or at the start) and before a letter.
    r"\B\u200c*\b": (r"\u200c(?<!\w\u200c)\u200c*\b", "\u200c"),
    # Needles that must occur for the pattern to match: a C-level `in` test skips a regex scan.
    r"\u200c{2,}": (r"\u200c{2,}", "\u200c\u200c"),
    r"\u200c{1,} ": (r"\u200c+ ", "\u200c "),
    r" \u200c{1,}": (r" \u200c+", " \u200c"),
    r" ?\.\.\.": (r" ?\.\.\.", "..."),
    r" {2,}": (r" {2,}", "  "),
    r"\n{3,}": (r"\n{3,}", "\n\n\n"),
    r"([^ ]ه) ی ": (r"([^ ]ه) ی ", "ه ی "),
    r"(^| )(ن?می) ": (r"(^| )(ن?می) ", "می "),
    r"([^ ]ه) (ا(م|یم|ش|ند|ی|ید|ت))(?=[ \n\.:!،؛؟»\]\)\}]|$)":
        (r"([^ ]ه) (ا(م|یم|ش|ند|ی|ید|ت))(?=[ \n\.:!،؛؟»\]\)\}]|$)", "ه ا"),
    r"(ه)(ها)": (r"(ه)(ها)", "هها"),
    r'" ([^\n"]+) "': (r'" ([^\n"]+) "', '" '),
    r'"([^\n"]+)"': (r'"([^\n"]+)"', '"'),
}


_CLASS_PAIR = re.compile(r"\((\[[^]]+\]|\\d)\)\((\[[^]]+\]|\\d)\)")


@functools.cache
def _hazm_tables():
    """hazm's own tables, compiled once: (char map regex, char map, [(regex, repl, needle)] passes)."""
    from hazm import constants as c

    table = dict(zip(c.TRANSLATION_SRC, c.TRANSLATION_DST, strict=False))
    table.update(zip(c.NUMBERS_SRC, c.NUMBERS_DST, strict=False))
    table = {k: v for k, v in table.items() if k != v}
    # Deletions hazm does with regex passes (diacritics, special marks, keshide, CR): one map here.
    for patterns in (c.DIACRITICS_PATTERNS, c.SPECIAL_CHARS_PATTERNS):
        for pat, _repl in patterns:
            for ch in re.findall(r"\\u([0-9a-f]{4})", pat.encode("unicode_escape").decode()):
                table[chr(int(ch, 16))] = ""
            for ch in pat.strip("[]"):
                if "\u0600" <= ch <= "\ufeff":
                    table[ch] = ""
    table["ـ"] = ""
    table["\r"] = ""
    char_re = re.compile("[" + "".join(re.escape(k) for k in table) + "]")

    def comp(patterns):
        out = []
        for p, r in patterns:
            fast = _FAST_EQUIVALENT.get(p, (p, ""))
            if fast is None:
                continue
            pat, needle = fast
            if pat.startswith("(?<=[^\\n\\d "):  # «کتاب ها» → «کتاب‌ها»: test the space first
                head, rest = pat[4:].split("]{2}) ", 1)
                pat = f" (?<={head}]{{2}} ){rest}"
            elif (m := _CLASS_PAIR.fullmatch(pat)) and r == r"\1 \2":
                # «([^x])([y])» → look at the second class first, then look behind for the first one.
                first, second = m.groups()
                if first.startswith("[^") or len(first) > len(second):
                    pat, r = f"({second})(?<={first}{second})", r" \1"
            out.append((re.compile(pat), r, needle))
        return out

    before = comp(c.PERSIAN_STYLE_PATTERNS + c.EXTRA_SPACE_PATTERNS)
    after = comp(c.AFFIX_SPACING_PATTERNS + c.PUNCTUATION_SPACING_PATTERNS)
    for a, b in c.UNICODE_REPLACEMENTS:  # ligatures: run only when one of their characters occurs
        literal = "|" not in a and "(" not in a
        after.append((re.compile(re.escape(a) if literal else a), b, a if literal else None))
    uni_chars = "".join(ch for a, _b in c.UNICODE_REPLACEMENTS for ch in a if ch not in "|()")
    uni_any = re.compile("[" + re.escape(uni_chars) + "]")
    return char_re, table, before, after, uni_any


def _hazm_normalize(text: str) -> str:
    """hazm 0.12's Normalizer passes in its order, minus the word-list token spacing and repeat folding."""
    char_re, table, before, after, uni_any = _hazm_tables()
    if char_re.search(text):
        text = char_re.sub(lambda m: table[m.group()], text)
    text = text.strip(" ")
    for rx, repl, needle in before:
        if not needle or needle in text:
            text = rx.sub(repl, text)
    with _lock:  # hazm's tokenizer and verb table are shared across threads
        text = _token_spacing(text)
        has_ligature = uni_any.search(text) is not None
        for rx, repl, needle in after:
            if needle is None:  # a ligature alternation: only when one of those characters occurs
                if has_ligature:
                    text = rx.sub(repl, text)
            elif not needle or needle in text:
                text = rx.sub(repl, text)
        return _normalizer().seperate_mi(text)


def _token_spacing(text: str) -> str:
    """hazm's word-list spacing («بهره مندی» → «بهره‌مندی») on the opening SPACING_PREFIX characters.

    It needs hazm's tokenizer on every line (~1 ms per 3 kB), so it runs where it matters: titles,
    leads and the opening paragraph, which carry the topic and the key facts.
    """
    n = _normalizer()
    if n._words is None:  # share the tokenizer's word list instead of loading a second copy
        tok = shared_tokenizer()
        n._tokenizer, n._words = tok, tok.words
    lines = text.split("\n")
    done = 0
    for i, line in enumerate(lines):
        if done >= SPACING_PREFIX:
            break
        if line.strip():
            # A long paragraph is spaced up to the first space past the limit; the rest stays as it is.
            cut = line.find(" ", SPACING_PREFIX - done)
            head, tail = (line, "") if cut < 0 else (line[:cut], line[cut:])
            lines[i] = " ".join(n.token_spacing(n._tokenizer.tokenize(head))) + tail
            done += len(head)
    return "\n".join(lines)


@functools.cache
def shared_tokenizer():  # -> hazm.WordTokenizer
    """One shared hazm WordTokenizer: hazm's `word_tokenize()` builds a new one on every call."""
    from hazm import WordTokenizer

    return WordTokenizer(join_verb_parts=False)


# Characters hazm leaves alone but pages carry: Arabic-Indic digits hazm maps, but also the
# "Arabic letter" forms of kaf/yeh/heh in presentation blocks, bidi marks and odd spaces.
_PRE = (
    ("\u200b", ""), ("\u200e", ""), ("\u200f", ""),  # zero-width space, LRM, RLM
    ("\u202a", ""), ("\u202b", ""), ("\u202c", ""), ("\u202d", ""), ("\u202e", ""), ("\ufeff", ""),
    ("\u00a0", " "), ("\u2009", " "), ("\u202f", " "), ("\u2002", " "), ("\u2003", " "),
    *ARABIC_TO_PERSIAN.items(),  # Arabic yeh, alef maksura, kaf, teh marbuta → Persian ی ی ک ه
    ("\u06c0", "\u0647"),  # heh with yeh above → heh
    ("\r", ""),
)


def _replace_all(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """Chained str.replace: much faster than str.translate with a dict on long non-Latin text."""
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text


# A Latin fragment glued to a Persian word on either side («hasaniاز», «مندیhasani»): CMS debris.
_GLUED_LATIN_BEFORE = re.compile(rf"(?<![A-Za-z0-9])[A-Za-z]{{2,}}(?=[{_FA}])")
_GLUED_LATIN_AFTER = re.compile(rf"(?<=[{_FA}])[A-Za-z]{{2,}}(?![A-Za-z0-9])")
_SPACES = re.compile(r"[ \t]+")
_MANY_NL = re.compile(r"\n{3,}")


_LATIN = re.compile(r"[A-Za-z]{2}")


def _prepare(text: str) -> str:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _replace_all(text, _PRE)
    if _LATIN.search(text):
        text = _GLUED_LATIN_BEFORE.sub(" ", text)
        text = _GLUED_LATIN_AFTER.sub(" ", text)
    return text


def normalize(text: str) -> str:
    """Normalise Persian text with hazm (letters, digits, diacritics, spacing); ZWNJ is kept."""
    if not text:
        return ""
    out = _hazm_normalize(_prepare(text))
    lines = [(_SPACES.sub(" ", line) if "  " in line or "\t" in line else line).strip()
             for line in out.split("\n")]
    return _MANY_NL.sub("\n\n", "\n".join(lines)).strip()


_FOLD = (
    (ZWNJ, " "), ("ـ", ""), ("ۀ", "ه"), ("أ", "ا"), ("إ", "ا"), ("ٱ", "ا"), ("ؤ", "و"),
    *ARABIC_TO_PERSIAN.items(),
    *((chr(0x06F0 + i), str(i)) for i in range(10)),
    *((chr(0x0660 + i), str(i)) for i in range(10)),
)


@functools.lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """A matching key for lexicons: ZWNJ → space, digits → ASCII, hamza forms folded, one space."""
    return " ".join(_replace_all(text, _FOLD).split())  # str.split(): the same whitespace as \s


# --- article cleaning ----------------------------------------------------------------------------

_BOILERPLATE = re.compile(
    r"^\s*(?:"
    r"انتهای\s*پیام\.?|پایان\s*پیام|"
    r"share|اشتراک[\s\u200c]*گذاری|به\s*اشتراک\s*بگذارید|"
    r"کد\s*خبر\s*[:：]?\s*[\d۰-۹]+|"
    r"(?:لینک|آدرس)\s*(?:کوتاه|خبر)\s*[:：]?.*|"
    r"print|چاپ(?:\s*خبر)?|ارسال\s*به\s*دوستان|"
    r"برچسب[\s\u200c]*ها\s*[:：]?.*|"
    r"منبع\s*[:：]\s*[^\n]{1,40}|"
    r"(?:/\s*){1,2}(?:[^\W\d_]|[\u200c ]){2,30}"  # a signature alone on its line: «/ایسنا», «// گیل‌آوا»
    r")\s*$",
    re.IGNORECASE,
)
# A signature at the end of a paragraph: «... گفت. /ایسنا» or «... // گیل‌آوا».
_TRAILING_SIGNATURE = re.compile(r"(?<=[.!؟»)])\s*(?:/\s*){1,2}(?:[^\W\d_]|[\u200c ]){2,25}$")
_PUNCT_EDGE = re.compile(r"[\s.،:؛\-–—«»\"']+")


def paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs (lines) of a text."""
    return [p.strip() for p in text.split("\n") if p.strip()]


def _key(text: str) -> str:
    return _PUNCT_EDGE.sub(" ", fold(text)).strip()


def _repeats_lead(paragraph: str, lead_key: str) -> bool:
    """True when a paragraph is the lead again (equal, or one contains the other at its start)."""
    if not lead_key:
        return False
    key = _key(paragraph)
    if not key:
        return False
    if key == lead_key:
        return True
    short, long_ = sorted((key, lead_key), key=len)
    return len(short) >= 40 and long_.startswith(short[: max(40, int(len(short) * 0.9))])


def clean_article(title: str, lead: str, body: str) -> tuple[str, str]:
    """Normalised (title, body): the lead once at the top, boilerplate and signatures removed."""
    norm_title = normalize(title or "").replace("\n", " ")
    norm_lead = " ".join(paragraphs(normalize(lead or "")))
    paras = []
    for p in paragraphs(normalize(body or "")):
        if _BOILERPLATE.match(p):
            continue
        if "/" in p:
            p = _TRAILING_SIGNATURE.sub("", p).strip()
        if p:
            paras.append(p)
    lead_key = _key(norm_lead)
    if lead_key:
        while paras and _repeats_lead(paras[0], lead_key):
            paras.pop(0)
        paras.insert(0, norm_lead)
    return norm_title, "\n\n".join(paras)
