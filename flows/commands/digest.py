"""`mediawatch digest`: the secretariat's morning digest, or a working-group chair's brief."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from flows.commands.choices import GroupOrAll
from flows.exitcodes import UsageError
from mediawatch.records import DIGEST_FORMATS

console = Console()
err = Console(stderr=True)


def digest(
    date_: Annotated[
        str | None,
        typer.Option(
            "--date", help="The morning: Gregorian 2026-11-26 or Jalali 1405-09-05 (default: today, Tehran)."
        ),
    ] = None,
    group: Annotated[
        GroupOrAll | None,
        typer.Option("--group", help="A working group's brief instead of the digest, or 'all' for the five."),
    ] = None,
    weekly: Annotated[
        bool, typer.Option("--weekly", help="The weekly brief (last Saturday–Friday week).")
    ] = False,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", help=f"{', '.join(DIGEST_FORMATS)}; repeat for several (default: all three)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Archive root (default: MEDIAWATCH_DIGEST_DIR or <data dir>/digests)."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="E-mail it through MEDIAWATCH_SMTP_* to MEDIAWATCH_RECIPIENTS.")
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: MEDIAWATCH_DB_URL or the SQLite file).")
    ] = None,
) -> None:
    """Build the morning digest (or, with --group, a chair's brief), archive it by Jalali date and print where."""
    from digests.run import make_briefs, make_morning_digest
    from mediawatch.settings import get_settings
    from mediawatch.timeutil import format_jalali_date, parse_date_arg, tehran_today

    formats = tuple(fmt or DIGEST_FORMATS)
    bad = [f for f in formats if f not in DIGEST_FORMATS]
    if bad:
        err.print(f"[red]Unknown format {escape(', '.join(bad))}[/]: use --format {', '.join(DIGEST_FORMATS)}.")
        raise typer.Exit(2)
    if weekly and group is None:
        group = "all"
    try:
        day = parse_date_arg(date_) if date_ else tehran_today()
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from None

    settings = get_settings()
    out_dir = out or settings.digest_root
    from storage import open_store

    store = open_store(db or settings.database_url)  # its errors: one line and the policy's exit code (flows/cli.py)
    try:
        with console.status(f"[bold]Building for {format_jalali_date(day, weekday=True)}…"):
            if send:
                from flows.secrets import with_smtp_password

                settings = with_smtp_password(settings)  # the Prefect Secret block when the env has no password
            if group is None:
                results = [
                    make_morning_digest(
                        store, day, out_dir=out_dir, formats=formats, send=send, settings=settings
                    )
                ]
            else:
                groups = None if group == "all" else [group]
                results = make_briefs(
                    store,
                    day,
                    out_dir=out_dir,
                    weekly=weekly,
                    groups=groups,
                    formats=formats,
                    send=send,
                    settings=settings,
                )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        close = getattr(store, "close", None)
        if close:
            close()
    for r in results:
        f = r.doc.figures
        label = "digest" if r.group is None else f"brief {r.group}" + (" (weekly)" if weekly else "")
        console.print(f"[green]✓[/] {label}: {f.articles} articles")
        for p in r.paths:
            console.print(f"    {p}")
        if r.sent_to:
            console.print(f"    e-mailed to {', '.join(r.sent_to)}")
        elif send:
            console.print(
                "    [yellow]not e-mailed: no recipients configured for it (MEDIAWATCH_RECIPIENTS)[/]"
            )


def register(app: typer.Typer) -> None:
    """Add `digest` to the main app."""
    app.command("digest")(digest)
