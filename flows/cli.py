"""The `mediawatch` command line: one Typer app; each stage's commands live in flows/commands/."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from flows.commands import alerts, collect, digest, learn, nlp, run, store, workspace
from mediawatch.errors import MediawatchError

app = typer.Typer(
    name="mediawatch",
    help="Reads the Persian press for Rasht municipality's media committee.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)



def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"mediawatch {version('mediawatch')}")
        raise typer.Exit(0)


@app.callback()
def _main(
    _version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the installed version and exit.")] = False,
) -> None:
    """Reads the Persian press for Rasht municipality's media committee."""


for module in (run, collect, store, nlp, learn, digest, workspace, alerts):
    module.register(app)


def main() -> None:
    """Entry point: expected errors print one clear line (what and what to do), not a traceback."""
    try:
        app()
    except MediawatchError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
