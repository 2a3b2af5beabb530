"""`mediawatch collect` and `mediawatch sources list|check`: the crawler from the command line."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.commands.output import JsonOpt, print_json
from flows.exitcodes import NightFailed
from mediawatch.text import short_message

if TYPE_CHECKING:
    from mediawatch.records import Source, SourceReport

console = Console()
err = Console(stderr=True)

sources_app = typer.Typer(
    help="The source registry (sources.toml): list the outlets, probe them for broken feeds and parsers.",
    no_args_is_help=True,
)

FileOpt = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="The sources file (default: MEDIAWATCH_SOURCES_FILE or ./sources.toml)."),
]
PrivateOpt = Annotated[
    bool,
    typer.Option("--allow-private", help="Allow loopback/private addresses for every source (the demo sites)."),
]


def _load(path: Path | None, ids: list[str] | None = None, *, enabled_only: bool = True) -> list[Source]:
    """Sources from the file, narrowed to `ids`; a configuration error exits with code 2."""
    from mediawatch.errors import ConfigError
    from scrapers.registry import load_sources, select_sources

    try:
        return select_sources(load_sources(path), ids, enabled_only=enabled_only)
    except ConfigError as exc:
        err.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from None


@sources_app.command("list")
def list_sources(file: FileOpt = None, as_json: JsonOpt = False) -> None:
    """Show every outlet in the registry: kind, scope, parser family, feeds and listings, verified or not."""
    sources = _load(file, enabled_only=False)
    if as_json:
        from dataclasses import asdict

        print_json([{**asdict(s), "filters_gilan": s.filters_gilan} for s in sources])
        return
    table = Table(title=f"{len(sources)} sources ({sum(s.verified for s in sources)} verified)", show_lines=False)
    for col in ("id", "name", "kind", "scope", "parser", "feeds", "listings", "gilan filter", "verified", "enabled"):
        table.add_column(col, overflow="fold")
    for s in sources:
        table.add_row(
            s.id, s.name, s.kind.value, s.scope.value, s.parser,
            str(len(s.feeds)), str(len(s.listings) + len(s.sitemaps)), "yes" if s.filters_gilan else "",
            "[green]yes[/]" if s.verified else "[yellow]no[/]", "yes" if s.enabled else "[dim]no[/]",
        )
    console.print(table)


@sources_app.command("check")
def check(
    ids: Annotated[list[str] | None, typer.Argument(help="Source ids to probe (default: every enabled source).")] = None,
    file: FileOpt = None,
    pages: Annotated[int, typer.Option("--pages", min=1, max=20, help="Article pages to parse per source.")] = 3,
    allow_private: PrivateOpt = False,
    save_fixture: Annotated[Path | None, typer.Option(
        "--save-fixture", help="Save one fetched article page per source into this folder as a test fixture "
        "(<family>/<id>.html.gz + its parsed JSON; see docs/scrapers.md).")] = None,
) -> None:
    """Probe sources: is the feed reachable and valid, do a few article pages parse with every required
    field? Prints a coverage table; exit code 1 when any source fails."""
    from scrapers.check import check_sources
    from scrapers.fetch import PoliteClient

    sources = _load(file, ids)

    async def run() -> list:
        async with PoliteClient(allow_private=allow_private) as client:
            return await check_sources(sources, client, pages=pages, save_to=save_fixture)

    with console.status(f"[bold]Probing {len(sources)} source(s)…"):
        results = asyncio.run(run())
    table = Table(title="Source coverage")
    for col in ("source", "feed", "items", "parsed / tried", "missing fields", "verdict"):
        table.add_column(col)
    colour = {"ok": "green", "partial": "yellow", "fail": "red"}
    for r in results:
        feed = "—" if r.feed_ok is None else ("[green]ok[/]" if r.feed_ok else "[red]broken[/]")
        missing = ", ".join(f"{k} ({v})" for k, v in sorted(r.missing.items()))
        table.add_row(r.source_id, feed, str(r.items), f"{r.parsed} / {r.tried}", missing,
                      f"[{colour[r.verdict]}]{r.verdict}[/]")
    console.print(table)
    for r in results:
        for p in r.problems[:5]:
            console.print(f"[dim]{r.source_id}:[/] {escape(short_message(p))}", overflow="fold")
        if r.saved is not None:
            console.print(f"[dim]{r.source_id}:[/] fixture saved to {escape(str(r.saved))}")
    failed = [r.source_id for r in results if r.verdict == "fail"]
    if failed:
        err.print(f"[red]{len(failed)} source(s) failed: {', '.join(failed)}[/] — fix their URLs or parser in sources.toml")
        raise typer.Exit(1)


def _report_table(reports: list[SourceReport]) -> Table:
    table = Table(title="Collection")
    for col in ("source", "found", "new", "skipped", "failed", "status"):
        table.add_column(col)
    for r in reports:
        # Error texts quote remote pages and URLs: escaped, so a "[/b]" in a broken feed stays text.
        if r.fatal:
            status = f"[red]{escape(short_message(r.fatal))}[/]"
        else:
            status = (f"[yellow]{escape(short_message(r.errors[0], url_limit=120, limit=200))}[/]"
                      if r.state == "partial" and r.errors else "[green]ok[/]")
        table.add_row(r.source_id, str(r.found), str(r.new), str(r.skipped), str(r.failed), status)
    return table


def collect_cmd(
    sources_file: Annotated[Path | None, typer.Option("--sources", help="The sources file (default: ./sources.toml).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: MEDIAWATCH_DB_URL or the SQLite file).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Backfill from this day (Tehran): 2026-11-01 or 1405-08-10.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source id (repeatable).")] = None,
    allow_private: PrivateOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Collect new articles from the outlets into the database and print what each source gave.
    Exit 0 when the run completed (even if some sites failed), 2 for a configuration error."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from mediawatch.timeutil import parse_date_arg, tehran_midnight
    from scrapers.collect import collect_all
    from storage import open_store

    start = None
    if since:
        try:
            start = tehran_midnight(parse_date_arg(since))
        except ValueError as exc:
            err.print(f"[red]{escape(str(exc))}[/]")
            raise typer.Exit(2) from None
    sources = _load(sources_file, source)
    store = open_store(db)  # its errors: one line and the policy's exit code (flows/cli.py)
    run_id = None
    try:
        store.sync_sources(sources)
        run_id = store.start_run("collect", {"since": since, "sources": [s.id for s in sources]})
        sink = store.bind_run(run_id)
        with Progress(SpinnerColumn(), TextColumn("[bold]Collecting"), BarColumn(), TextColumn("{task.completed} pages"),
                      TimeElapsedColumn(), console=err if as_json else console, transient=True) as bar:
            task = bar.add_task("collect", total=None)
            reports = asyncio.run(collect_all(sources, state=sink, sink=sink, since=start, allow_private=allow_private,
                                              progress=lambda n: bar.advance(task, n)))
        down = [r.source_id for r in reports if r.fatal]
        status = "failed" if reports and len(down) == len(reports) else "partial" if down or any(
            r.failed for r in reports) else "ok"
        store.finish_run(run_id, status=status, reports=reports,
                         summary={"new": sum(r.new for r in reports), "failed_sources": down})
    except BaseException as exc:
        if run_id is not None:  # stopped (SIGTERM, Ctrl-C) or broken (disk full): say so, keep what is stored
            with contextlib.suppress(Exception):
                store.finish_run(run_id, status="interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit)
                                 else "failed", reports=[], summary={"error": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    finally:
        store.close()
    if as_json:
        print_json({"run_id": run_id, "new": sum(r.new for r in reports), "sources_down": down, "reports": reports})
    else:
        console.print(_report_table(reports))
        console.print(f"{sum(r.new for r in reports)} new article(s) from {len(reports)} source(s); "
                      f"{len(down)} source(s) down.")
    if status == "failed":
        raise NightFailed(f"every source failed in collection run {run_id} (see the table above for why): "
                          "check the network and `mediawatch sources check`")


def register(app: typer.Typer) -> None:
    """Add `collect` and the `sources` sub-app to the main app."""
    app.command("collect")(collect_cmd)
    app.add_typer(sources_app, name="sources")
