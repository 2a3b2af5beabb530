"""`mediawatch db …`, `mediawatch search`, `mediawatch export`, `mediawatch corrections …`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from flows.commands.choices import CorrectableField, DomainName, ExportFormat
from flows.commands.output import JsonOpt, print_json
from flows.exitcodes import USAGE

if TYPE_CHECKING:
    from storage import Store

console = Console()
err = Console(stderr=True)


DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: MEDIAWATCH_DB_URL or the SQLite file in the data dir).")
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="From this day on (Tehran): Gregorian 2026-11-01 or Jalali 1405-08-10.")
]
DomainOpt = Annotated[DomainName | None, typer.Option("--domain", help="Only this working group (label).")]

db_app = typer.Typer(help="The database: upgrade its schema, copy it to another backend, show what it holds.",
                     no_args_is_help=True)
corrections_app = typer.Typer(help="People's corrections of the classifier, and their export for retraining.",
                              no_args_is_help=True)


def _fail(message: str, code: int = USAGE) -> typer.Exit:
    err.print(f"[red]{escape(message)}[/]")
    return typer.Exit(code)


def _db_url(db: str | None) -> str:
    from mediawatch.settings import get_settings

    return db or get_settings().database_url


@contextmanager
def _open(db: str | None, *, read_only: bool = False) -> Iterator[Store]:
    """The store; its errors reach flows/cli.py, which prints one line and picks the exit code.
    Commands that only read pass `read_only=True`: a read-only file works, a mistyped path creates nothing."""
    from storage import open_store

    store = open_store(_db_url(db), read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def _since(text: str | None) -> datetime | None:
    from mediawatch.timeutil import parse_date_arg, tehran_midnight

    if not text:
        return None
    try:
        return tehran_midnight(parse_date_arg(text))
    except ValueError as exc:
        raise _fail(str(exc)) from None


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Migrate the database schema to this version of mediawatch (back it up first: docs/storage.md)."""
    from sqlalchemy.exc import OperationalError

    from storage import DatabaseUnavailable
    from storage import db as dbm

    engine = dbm.make_engine(_db_url(db))
    try:
        before, after = dbm.upgrade(engine)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach the database {engine.url.render_as_string(hide_password=True)}: "
                                  f"{exc.orig}. Check --db / MEDIAWATCH_DB_URL.".replace("\n", " ")) from None
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"{where}: already at schema revision {after}.")
    else:
        console.print(f"{where}: schema {before or '(empty)'} → {after}.")


@db_app.command("info")
def db_info(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Show which database is in use, its schema revision and how many rows each table holds."""
    from rich.table import Table

    with _open(db, read_only=True) as store:
        counts = store.table_counts()
        if as_json:
            print_json({"database": store.display_url, "backend": store.dialect,
                        "schema_revision": store.revision(), "tables": counts})
            return
        console.print(f"database: {store.display_url}\nbackend: {store.dialect}\nschema revision: {store.revision()}")
        table = Table("table", "rows")
        for name, n in counts.items():
            table.add_row(name, f"{n:,}")
        console.print(table)


@db_app.command("copy")
def db_copy(
    to: Annotated[str, typer.Option("--to", help="Target database URL, e.g. postgresql://user@host/mediawatch.")],
    db: DbOpt = None,
) -> None:
    """Copy every table into another database (e.g. SQLite → PostgreSQL); safe to rerun."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with _open(db, read_only=True) as src, _open(to) as dst:
        from storage.copy import copy_database

        totals = src.table_counts()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
            tasks = {name: bar.add_task(name, total=n) for name, n in totals.items()}
            added = copy_database(src, dst, progress=lambda name, n: bar.advance(tasks[name], n))
        console.print(f"copied {src.display_url} → {dst.display_url}: "
                      + ", ".join(f"{k} +{v:,}" for k, v in added.items() if totals[k]))
        console.print("Point MEDIAWATCH_DB_URL at the target to use it.")


def search(
    query: Annotated[str, typer.Argument(help="Words to find, e.g. «آسفالت معابر»; every word must match.")],
    domain: DomainOpt = None,
    since: SinceOpt = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this outlet (source id).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many matches.")] = 20,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the collected articles (half-space and Arabic/Persian letter variants match each other)."""
    from dataclasses import asdict

    from rich.table import Table
    from rich.text import Text

    from mediawatch.text import short_url
    from mediawatch.timeutil import format_jalali_date

    since_dt, dom = _since(since), domain
    with _open(db, read_only=True) as store:
        hits = store.search(query, domain=dom, since=since_dt, source=source, limit=limit)
    if as_json:  # no match is an empty array, exit 0, as in the table's case
        print_json([{**asdict(h), "seen_at": h.seen_at} for h in hits])
        return
    if not hits:
        err.print(f"No article matches «{escape(query)}».")
        raise typer.Exit(0)
    table = Table(title=Text(f"«{query}»: {len(hits)} matches"), show_lines=True)
    table.add_column("title", ratio=3)
    table.add_column("outlet", ratio=1)
    table.add_column("date", no_wrap=True)
    table.add_column("url", overflow="fold", ratio=2)  # shown whole, folded: people copy it
    for h in hits:
        # Scraped text is shown as it is, never parsed as Rich markup (a "[/b]" in a title must not crash).
        table.add_row(Text(h.title), Text(h.source_name), format_jalali_date(h.seen_at), Text(short_url(h.url)))
    console.print(table)


def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv is UTF-8 with BOM (opens in Excel).")] = "csv",
    since: SinceOpt = None,
    domain: DomainOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output file (default: mediawatch-export-<date>.<format>).")] = None,
    db: DbOpt = None,
) -> None:
    """Export articles with their classification for a spreadsheet or another tool."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from mediawatch.timeutil import jalali_iso, utcnow
    from storage.export import write_export

    since_dt = _since(since)
    path = out or Path(f"mediawatch-export-{jalali_iso(utcnow())}.{fmt}")
    with _open(db, read_only=True) as store, Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err) as bar:
        task = bar.add_task("exporting", total=None)
        n = write_export(store, fmt, path, since=since_dt, domain=domain,
                         progress=lambda k: bar.update(task, description=f"exported {k:,} articles"))
    console.print(f"wrote {n:,} articles to {path}")


@corrections_app.command("add")
def corrections_add(
    article_id: Annotated[int, typer.Argument(help="The article's id (from `mediawatch search` or export).")],
    field: Annotated[CorrectableField, typer.Option("--field", help="The label to correct.")],
    value: Annotated[str, typer.Option("--value", help="The right value: a domain label, true/false, a tone, or null.")],
    who: Annotated[str, typer.Option("--who", help="Who made the correction (name).")],
    note: Annotated[str, typer.Option("--note", help="Why, in a few words.")] = "",
    db: DbOpt = None,
) -> None:
    """Record a person's correction of one article's label (used to retrain the classifier)."""
    with _open(db) as store:
        cid = store.add_correction(article_id, field=field, value=value, who=who, note=note)
    console.print(f"correction {cid} recorded: article {article_id} {field} = {value} ({who})")


@corrections_app.command("export")
def corrections_export(
    out: Annotated[Path, typer.Option("--out", help="Labels file (JSONL) for `mediawatch train --labels FILE`.")],
    db: DbOpt = None,
) -> None:
    """Write every corrected article as a labelled row (train.jsonl shape)."""
    import json

    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with _open(db, read_only=True) as store, out.open("w", encoding="utf-8") as fh:
        for row in store.corrections_as_labels():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    console.print(f"wrote {n} corrected article(s) to {out}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.add_typer(db_app, name="db")
    app.command("search")(search)
    app.command("export")(export)
    app.add_typer(corrections_app, name="corrections")
