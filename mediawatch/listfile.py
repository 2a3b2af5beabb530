"""The committee's editable list files: one entry per line, `#` starts a comment line.

Lexicons, the gazetteer and the dateline patterns all use this format; `read_list` is their one reader.
"""

from __future__ import annotations

from pathlib import Path

from mediawatch.errors import ConfigError


def read_list(path: Path) -> tuple[str, ...]:
    """The entries of `path` in file order, stripped, without blank lines, comments or repeats."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the list as UTF-8") from exc
    entries: dict[str, None] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            entries.setdefault(line, None)
    return tuple(entries)
