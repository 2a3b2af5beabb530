"""The one list of Gilan place names, shared by the scrapers' door filter and nlp's gazetteer."""

from __future__ import annotations

import functools
from pathlib import Path

from mediawatch.listfile import read_list

DATA_DIR = Path(__file__).parent / "data"
GILAN_PLACES_FILE = DATA_DIR / "gilan_places.txt"


@functools.cache
def gilan_place_names(path: Path = GILAN_PLACES_FILE) -> tuple[str, ...]:
    """The names in `path` in file order, without comments, blank lines or repeats (not normalised)."""
    return read_list(path)
