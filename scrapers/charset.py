"""Bytes → text: HTTP header, then <meta charset>, then detection. windows-1256 comes out right."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.I)
# Declared "latin-1" on an Iranian site almost always hides windows-1256 (old IIS/ASP defaults).
_LATIN_ALIASES = {"latin-1", "iso8859-1", "cp1252"}
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_\x00-\x7f]")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def _persian_ratio(text: str) -> float:
    """Share of Arabic-script letters among the non-ASCII letters (markup is ASCII either way)."""
    letters = len(_NON_ASCII_LETTER.findall(text))
    return len(_ARABIC_SCRIPT.findall(text)) / letters if letters else 0.0


def _try(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


# UTF-8 with a few broken sequences (a summary cut mid-letter by a byte-counting substr, a stray byte
# pasted in) is still UTF-8: at least this many well-formed non-ASCII characters per broken sequence.
# Persian in windows-1256 read as UTF-8 is the reverse, nearly every letter broken (under 0.1 : 1 on the
# fixtures), so the two never meet; reading such a page as windows-1256 would turn all of it into mojibake.
MOSTLY_UTF8_RATIO = 10


def _mostly_utf8(body: bytes) -> str | None:
    """The body read as UTF-8, broken sequences replaced (U+FFFD), when they are rare; else None."""
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return text if non_ascii - broken >= MOSTLY_UTF8_RATIO * broken else None


def header_charset(content_type: str | None) -> str | None:
    """The charset named by a Content-Type header, if Python knows it."""
    m = _HEADER.search(content_type or "")
    return _codec(m.group(1)) if m else None


def _detect(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """(encoding, the text when a strict decode on the way already produced it)."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    declared = header_charset(content_type)
    if declared is None:
        m = _META.search(body[:4096])
        declared = _codec(m.group(1).decode("ascii", "ignore")) if m else None
    utf8: str | None = None
    # Non-ASCII bytes that form valid UTF-8 are UTF-8 whatever a single-byte label claims: Persian
    # in windows-1256 is practically never valid UTF-8, while mislabelled UTF-8 pages are common.
    if declared and not declared.startswith("utf") and not body.isascii():
        utf8 = _try(body, "utf-8") or _mostly_utf8(body)
        if utf8 is not None:
            return "utf-8", utf8
    if declared and declared not in _LATIN_ALIASES:
        text = _try(body, declared)
        if text is not None:
            return declared, text
    utf8 = utf8 if utf8 is not None else (_try(body, "utf-8") or _mostly_utf8(body))
    if utf8 is not None:
        return "utf-8", utf8
    cp1256 = _try(body, "cp1256")
    if cp1256 is not None and _persian_ratio(cp1256) > 0.8:
        return "cp1256", cp1256
    if declared:
        text = _try(body, declared)
        if text is not None:
            return declared, text
    best = charset_normalizer.from_bytes(body).best()
    return (_codec(best.encoding) if best else None) or "utf-8", None


def detect_encoding(body: bytes, content_type: str | None = None) -> str:
    """The encoding to decode `body` with, in the order header → BOM → meta → detection."""
    return _detect(body, content_type)[0]


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode a page to text; keeps ZWNJ (U+200C) and never raises (bad bytes → U+FFFD).

    The body is decoded once: the strict decode that confirmed the encoding is the result."""
    encoding, text = _detect(body, content_type)
    return text if text is not None else body.decode(encoding, errors="replace")
