"""Machine-readable output for `--json`: one JSON document on stdout, nothing else there."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import typer

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout for scripts (messages stay on stderr).")
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def print_json(document: Any) -> None:
    """Write `document` as UTF-8 JSON (Persian as it is, not \\u escapes) and a newline to stdout."""
    typer.echo(json.dumps(document, ensure_ascii=False, default=_plain, indent=2))
