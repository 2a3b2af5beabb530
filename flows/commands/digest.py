"""CLI commands for this stage; `register(app)` adds them to the main app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
