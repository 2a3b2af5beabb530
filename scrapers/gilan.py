"""Is an item about Gilan? Place names as whole words, and the wire services' datelines.

The place names are the project's one list, mediawatch/data/gilan_places.txt (nlp's gazetteer reads
the same file); the datelines live in scrapers/data/gilan_datelines.txt. The committee edits them
without touching code.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from mediawatch.gazetteer import GILAN_PLACES_FILE, gilan_place_names
from mediawatch.listfile import read_list
from mediawatch.text import persian_letters

DATA_DIR = Path(__file__).parent / "data"
PLACES_FILE = GILAN_PLACES_FILE
DATELINES_FILE = DATA_DIR / "gilan_datelines.txt"

# A Persian letter (Arabic block, including Persian additions) on either side breaks the word.
_LETTER = r"\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF"


@functools.cache
def _patterns(places_file: Path = PLACES_FILE, datelines_file: Path = DATELINES_FILE) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = sorted({persian_letters(p) for p in gilan_place_names(places_file)}, key=len, reverse=True)
    alts = "|".join(r"[\s\u200c]?".join(re.escape(w) for w in name.split()) for name in names)
    places = re.compile(rf"(?<![{_LETTER}])(?:{alts})(?![{_LETTER}])")
    datelines = re.compile("|".join(f"(?:{persian_letters(p)})" for p in read_list(datelines_file)))
    return places, datelines


def gilan_places(text: str) -> list[str]:
    """The Gilan place names mentioned in `text`, in order of appearance (duplicates kept)."""
    places, _ = _patterns()
    return [m.group(0) for m in places.finditer(persian_letters(text))]


def has_gilan_dateline(text: str) -> bool:
    """True when the text carries a Gilan dateline such as «رشت - ایرنا -»."""
    _, datelines = _patterns()
    return bool(datelines.search(persian_letters(text)))


def is_about_gilan(*texts: str) -> bool:
    """True when any of the texts (title, lead, body…) names a Gilan place or has a Gilan dateline."""
    joined = "\n".join(t for t in texts if t)
    return bool(gilan_places(joined)) or has_gilan_dateline(joined)
