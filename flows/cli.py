"""The `mediawatch` command line: one Typer app; each stage's commands live in flows/commands/."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from flows import exitcodes
from flows.commands import alerts, collect, digest, learn, nlp, run, store, workspace
from flows.commands.output import show_flags_as_flags
from flows.lifecycle import exit_on_sigterm
from mediawatch.errors import MediawatchError
from mediawatch.log import set_verbosity


class _Group(TyperGroup):
    """The root command group: expected errors from any command become one line and the policy's code."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (Typer 0.29 types it with its own copy of click)
        words = [*getattr(ctx, "_protected_args", []), *ctx.args]  # the command and its arguments
        try:
            if not {"--help", "-h"} & set(words):
                from mediawatch.settings import get_settings

                get_settings()  # a wrong MEDIAWATCH_* value is refused here, before any work, with its name
            return super().invoke(ctx)
        except MediawatchError as exc:
            raise fail(exc) from None
        except OSError as exc:
            if not exitcodes.is_disk_full(exc):
                raise
            raise fail(exc) from None


def fail(exc: BaseException) -> typer.Exit:
    """Print the error as one line (what and what to do); exit with the code the policy assigns."""
    message = str(exc)
    if exitcodes.is_disk_full(exc) and not isinstance(exc, MediawatchError):
        where = getattr(exc, "filename", None) or "a file"
        message = (f"cannot write {where}: the disk is full ({getattr(exc, "strerror", None) or exc}). Free some space (or point "
                   "MEDIAWATCH_DATA_DIR / --out at a disk with room), then run the command again.")
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(exitcodes.code_for(exc))


app = typer.Typer(
    cls=_Group,
    name="mediawatch",
    help="Reads the Persian press for Rasht municipality's media committee.",
    epilog=exitcodes.EPILOG,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
show_flags_as_flags()


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"mediawatch {version('mediawatch')}")
        raise typer.Exit(0)


@app.callback()
def _main(
    _version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the installed version and exit.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also the stages' debug lines and Prefect's progress (on stderr).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors (on stderr).")] = False,
) -> None:
    """Reads the Persian press for Rasht municipality's media committee."""
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet exclude each other.")
    set_verbosity(verbose=verbose, quiet=quiet)


for module in (run, collect, store, nlp, learn, digest, workspace, alerts):
    module.register(app)


def main() -> None:
    """Entry point: expected errors print one clear line (what and what to do), not a traceback (see
    `_Group`); the exit codes follow the one policy in flows/exitcodes.py."""
    exit_on_sigterm()
    app()


if __name__ == "__main__":
    main()
