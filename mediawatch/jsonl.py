"""Reading JSON-lines files people write by hand (label files, demo content): errors name file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def read_objects(path: Path, error: type[Exception], *, where: str = "{path}: line {n}") -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of `path`.

    A line that is not UTF-8, not JSON or not a JSON object raises `error` with a message that starts
    with `where` (formatted with the path and the line number), so the person can go straight there.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    for n, raw in enumerate(data.splitlines(), start=1):
        at = where.format(path=path, n=n)
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{at}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{at}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise error(f"{at}: expected a JSON object, got {type(obj).__name__}")
        yield n, obj
