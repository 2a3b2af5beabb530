"""Early warning on the command line: `mediawatch pulse` (the hourly flow, once now) and `mediawatch alerts`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.commands.output import JsonOpt, print_json

console = Console()
err = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: MEDIAWATCH_DB_URL or the SQLite file).")]




def pulse_cmd(
    sources_file: Annotated[Path | None, typer.Option("--sources", help="The sources file.")] = None,
    db: DbOption = None,
) -> None:
    """Run the pulse flow once now: collect the local outlets, analyse, raise and deliver alerts."""
    from flows.commands.run import _preflight, _start_prefect, _use_db
    from flows.pulse import pulse

    _use_db(db)
    _preflight(str(sources_file) if sources_file else None, None)  # settings, sources, database, disk: one line
    _start_prefect()
    result = pulse(sources_file=str(sources_file) if sources_file else None)
    a = result.alerts
    console.print(f"pulse {result.run_id}: {result.new} new, {len(a.opened)} alert(s) opened, "
                  f"{len(result.delivered)} delivered, {len(a.held)} held by quiet hours")


def alerts_cmd(
    days: Annotated[int, typer.Option(help="Alerts opened, updated or open in the last DAYS days.", min=1)] = 7,
    db: DbOption = None,
    json_out: JsonOpt = False,
) -> None:
    """The early-warning alerts: rule, headline, when raised, outlets, whether delivered."""
    from mediawatch.timeutil import format_jalali_datetime, utcnow
    from storage import open_store

    store = open_store(db)
    try:
        now = utcnow()
        found = store.alerts.between(now - timedelta(days=days), now + timedelta(minutes=1))
    finally:
        store.close()
    if json_out:
        print_json([dict(key=a.key, rule=a.rule, critical=a.critical, domain=a.domain, headline=a.headline,
                         figures=a.figures, outlets=list(a.outlets), article_ids=list(a.article_ids),
                         started_at=a.started_at, opened_at=a.opened_at, closed_at=a.closed_at, sent_at=a.sent_at,
                         webhook_at=a.webhook_at, delivery_error=a.delivery_error) for a in found])
        return
    if not found:
        err.print(f"no alerts in the last {days} day(s)")
        return
    table = Table(title=f"Alerts of the last {days} day(s)")
    for col in ("rule", "headline", "raised", "outlets", "state", "delivered"):
        table.add_column(col)
    for a in found:
        delivered = "yes" if a.sent_at and a.webhook_at else ("held/pending" if not a.delivery_error else "FAILED")
        table.add_row(a.rule + (" (critical)" if a.critical else ""), escape(a.headline or a.key),
                      format_jalali_datetime(a.opened_at), str(len(a.outlets)), "closed" if a.closed_at else "open",
                      delivered)
    console.print(table)
    for a in found:
        if a.delivery_error:
            err.print(f"[yellow]! {escape(a.key)}[/]: {escape(a.delivery_error)}")


def register(app: typer.Typer) -> None:
    """Add the early-warning commands to the main app."""
    app.command("pulse")(pulse_cmd)
    app.command("alerts")(alerts_cmd)
