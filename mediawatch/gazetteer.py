"""The one list of Gilan place names, shared by the scrapers' door filter and nlp's gazetteer."""

from __future__ import annotations

import functools
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
GILAN_PLACES_FILE = DATA_DIR / "gilan_places.txt"


@functools.cache
def gilan_place_names(path: Path = GILAN_PLACES_FILE) -> tuple[str, ...]:
    """The names in `path` in file order, without comments, blank lines or repeats (not normalised)."""
    names: dict[str, None] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            names.setdefault(line, None)
    return tuple(names)
