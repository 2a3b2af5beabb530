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


def show_flags_as_flags() -> None:
    """Typer 0.29 prints `<bool>` beside on/off flags in `--help`, as if they took a value; show them bare,
    the way git, curl and argparse do. (One narrow override of Typer's help display, checked by a test.)"""
    from typer.core import TyperOption

    if getattr(TyperOption.display_type_rich, "_mediawatch", False):
        return
    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return "" if self.is_flag else shown(self, ctx)

    display_type_rich._mediawatch = True  # type: ignore[attr-defined]  # marks the override (idempotent)
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]  # the override itself
