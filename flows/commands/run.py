"""Running the job: `mediawatch demo`, `nightly`, `process`, `morning`, `serve`."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mediawatch.files import write_atomic
from mediawatch.records import DOMAIN_TITLES_FA
from mediawatch.text import short_message
from mediawatch.timeutil import format_jalali_date, parse_date_arg, tehran_midnight, tehran_today

console = Console()
err = Console(stderr=True)

# The demo backfills 30 days: the demo sites publish over the 24 days before their reference day.
DEMO_BACKFILL_DAYS = 30
DEMO_PORTS_FILE = "demo-ports.json"

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: MEDIAWATCH_DB_URL or the SQLite file).")]


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_date_arg(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _quiet_prefect() -> None:
    """Prefect's and the stages' INFO lines would drown the demo's one-screen summary; warnings and errors
    still show."""
    for name in ["prefect", "mediawatch", *logging.root.manager.loggerDict]:
        if name.startswith(("prefect", "mediawatch")):
            logging.getLogger(name).setLevel(logging.WARNING)


def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo's database, digest and briefs go.")] = Path(
        "mediawatch-demo"
    ),
    day: Annotated[str | None, typer.Option(help="The demo's morning (Gregorian or Jalali); default today.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the demo database first.")] = False,
) -> None:
    """Start the bundled demo news sites, run the nightly flow into a demo SQLite database, then the
    morning digest; write the digest and the five briefs into OUT. Offline; safe to run twice."""
    from demo.server import DemoSites
    from flows.digest import morning_digest
    from flows.nightly import nightly

    started = time.monotonic()
    _quiet_prefect()
    the_day = _date(day) or tehran_today()
    _start_prefect()
    out = out.resolve()
    if fresh and out.exists():
        for name in ("demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm", DEMO_PORTS_FILE):
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / "digests", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{out / 'demo.sqlite'}"
    ports_file = out / DEMO_PORTS_FILE
    ports = json.loads(ports_file.read_text()) if ports_file.exists() else None

    with console.status("[bold]Starting the demo news sites…") as status:
        sites = DemoSites(reference_day=the_day, ports=ports)
        sites.start()
        try:
            # Same ports on every run, so the same article keeps the same URL and is never stored twice.
            write_atomic(ports_file, json.dumps(sites.ports))
            sources_file = out / "demo-sources.toml"
            sites.write_sources_toml(sources_file)
            console.print(f"[green]✓[/] {len(sites.base_urls)} demo sites on 127.0.0.1 "
                          f"(ports {', '.join(str(p) for p in sites.ports.values())})")
            status.update("[bold]Nightly flow: collecting, storing, understanding…")
            since = tehran_midnight(the_day) - timedelta(days=DEMO_BACKFILL_DAYS)
            result = nightly(since=since, db_url=db_url, sources_file=str(sources_file), allow_private=True)
            console.print(f"[green]✓[/] nightly run: {result.found} found, {result.new} new, "
                          f"{result.analysed} analysed, {result.clusters} stories, "
                          f"{len(result.failed_sources)} source(s) with problems")
            status.update("[bold]Early warning: the hourly pulse, replayed over yesterday…")
            alerts = _demo_alerts(db_url, the_day)
            status.update("[bold]Morning digest flow: digest and the five briefs…")
            paths = morning_digest(day=the_day.isoformat(), db_url=db_url, out_dir=str(out / "digests"))
            on_purpose = {*sites.broken_urls(), sites.dead_link()}
        finally:
            sites.stop()
    _summary(out, db_url, the_day, [Path(p) for p in paths], result, time.monotonic() - started, on_purpose,
             alerts)
    from flows.commands.workspace import prepare_demo_workspace

    prepare_demo_workspace(db_url)


def _broken_on_purpose(report, on_purpose: frozenset[str] | set[str]) -> bool:
    """Did this demo outlet fail only on the pages the demo sites break on purpose?"""
    from urllib.parse import unquote

    return not report.fatal and bool(report.errors) and all(
        any(u in unquote(e) for u in on_purpose) for e in report.errors)


def _demo_alerts(db_url: str, the_day: date) -> list:
    """The demo's news was collected in one night; replay the hourly pulse's alert step over the day
    before the morning (each hour sees only what was published by then, at :30 as the pulse runs), so
    the alerts open when they would have. Nothing is e-mailed or posted from the demo."""
    from flows.alerting import replay_pulse
    from mediawatch.settings import get_settings
    from storage import open_store

    morning = tehran_midnight(the_day) + timedelta(hours=6, minutes=30)
    settings = get_settings().model_copy(update={"smtp_host": ""})
    store = open_store(db_url)
    try:
        opened = replay_pulse(store, morning - timedelta(hours=30), morning, settings=settings)
        console.print(f"[green]✓[/] early warning: the hourly pulse replayed over the day, "
                      f"{len(opened)} alert(s) raised")
        return store.alerts.between(morning - timedelta(days=1), morning + timedelta(hours=1))
    finally:
        store.close()


def _summary(out: Path, db_url: str, the_day: date, paths: list[Path], result, seconds: float,
             on_purpose: frozenset[str] | set[str] = frozenset(), alerts: list | None = None) -> None:
    digest_json = next((p for p in paths if p.name == "digest.json"), None)
    console.rule(f"[bold]mediawatch demo — {format_jalali_date(the_day, weekday=True)}")
    if alerts:
        from mediawatch.timeutil import format_jalali_datetime

        table = Table(title="Early-warning alerts raised by the pulse", show_lines=False)
        table.add_column("rule")
        table.add_column("headline")
        table.add_column("raised (Tehran)")
        table.add_column("outlets", justify="right")
        table.add_column("articles", justify="right")
        for a in alerts:
            table.add_row(a.rule + (" (critical)" if a.critical else ""), escape(a.headline or a.key),
                          format_jalali_datetime(a.opened_at), str(len(a.outlets)), str(len(a.article_ids)))
        console.print(table)
    if digest_json and digest_json.exists():
        data = json.loads(digest_json.read_text(encoding="utf-8"))
        concerns = data.get("top_concerns", [])[:5]
        table = Table(title="Top concerns in the digest", show_lines=False)
        table.add_column("#", justify="right")
        table.add_column("headline")
        table.add_column("group")
        table.add_column("outlets", justify="right")
        for i, c in enumerate(concerns, 1):
            group = DOMAIN_TITLES_FA.get(c.get("domain", ""), "").removeprefix("کارگروه ").split(" (")[0]
            table.add_row(str(i), escape(c.get("headline", "")), group, str(len(c.get("outlets", []))))
        console.print(table)
    html = [p for p in paths if p.suffix == ".html"]
    console.print(f"Digest and briefs ({len(html)} HTML files) in [bold]{out / 'digests'}[/]:")
    for p in html:
        console.print(f"  {p}")
    deliberate = [r for r in result.failed_sources if _broken_on_purpose(r, on_purpose)]
    if deliberate:
        console.print(f"[dim]{len(deliberate)} demo outlet(s) report failed pages — broken on purpose (a page "
                      "answering 500, one cut off mid-body, a future date, a dead link) to show how the run "
                      "report and the digest name a failing outlet; nothing to fix:[/] "
                      + ", ".join(r.source_id for r in deliberate))
    for r in result.failed_sources:
        if r not in deliberate:
            console.print(f"[yellow]! {r.source_id}[/]: {escape(short_message(r.fatal or '; '.join(r.errors[:2])))}")
    console.print(f"Database: {db_url}   ·   took {seconds:.0f} s")


def nightly_cmd(
    since: Annotated[str | None, typer.Option(help="Backfill from this date (Gregorian or Jalali).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these source ids.")] = None,
    sources_file: Annotated[Path | None, typer.Option("--sources", help="The sources file.")] = None,
    db: DbOption = None,
) -> None:
    """Run the nightly flow once now: collect, store, analyse, group stories. Exit 0 when the night ran
    (pages or outlets that failed are in the run report), 3 when it failed (every source down, storage
    unusable), 2 for a wrong argument or setting."""
    from flows.nightly import nightly

    since_day = _date(since)
    _use_db(db)
    _preflight(str(sources_file) if sources_file else None, source or None)
    _start_prefect()
    state = nightly(
        since=tehran_midnight(since_day) if since_day else None,
        source_ids=source or None,
        sources_file=str(sources_file) if sources_file else None,
        return_state=True,
    )
    result = _night_result(state)
    console.print(f"run {result.run_id}: {result.found} found, {result.new} new, {result.analysed} analysed"
                  + (f"; {len(result.failed_sources)} source(s) with problems (see the run report)"
                     if result.failed_sources else ""))


def _preflight(sources_file: str | None, source_ids: list[str] | None) -> None:
    """What can be checked before Prefect starts, so a wrong argument or an unreachable database is one
    line and not a flow run's traceback: settings, the sources named (unknown ids, disabled ones) and
    the database."""
    from flows.exitcodes import UsageError
    from flows.nightly import load_sources
    from mediawatch.files import check_room
    from mediawatch.settings import get_settings

    settings = get_settings()
    check_room(settings.data_dir, "the data folder (MEDIAWATCH_DATA_DIR)")
    sources = load_sources(sources_file, source_ids)
    if not sources:
        raise UsageError(f"no enabled source in {sources_file or settings.sources_file}: enable one "
                         "(enabled = true) or name it with --source")
    for s in sources:
        if not s.enabled:
            err.print(f"[yellow]note:[/] source {s.id} is disabled in the sources file (enabled = false); "
                      "collecting it because --source names it")
    _check_database()


def _check_database() -> None:
    """Open and close the database before Prefect starts: unreachable, corrupt or not upgraded is one
    line and exit 3, not a flow run's traceback."""
    from mediawatch.settings import get_settings
    from storage import open_store

    open_store(get_settings().database_url).close()


def _start_prefect() -> None:
    from flows.lifecycle import start_prefect_server

    start_prefect_server()


def _night_result(state):
    """The night's result from its final Prefect state; a failed night raises `NightFailed` (exit 3)."""
    from flows.exitcodes import NightFailed
    from mediawatch.errors import MediawatchError

    value = state.result(raise_on_failure=False)
    if isinstance(value, BaseException) or not state.is_completed():
        if isinstance(value, MediawatchError):  # every source down, disk full, database gone: its own line
            raise value
        why = f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else state.message
        raise NightFailed(f"the nightly run failed ({why}); what was collected is stored; see the "
                          "'nightly-run-report' artifact, then run `mediawatch process` or the night again")
    return value


def process_cmd(db: DbOption = None) -> None:
    """Analyse stored articles that have no analysis by the current model, then regroup stories."""
    from rich.progress import Progress

    from storage import open_store

    store = open_store(db)  # first: a wrong or broken database is said before the models load
    try:
        from flows import steps
        from nlp.analyze import Analyzer
        from nlp.models_registry import active_model_dir

        analyzer = Analyzer.load(active_model_dir())
        if analyzer.fallback:
            console.print(f"[yellow]warning:[/] analysing without the encoder ({analyzer.fallback}); "
                          "judgements come from the sparse fallback model")
        with Progress(console=console) as progress:
            task = progress.add_task("analysing", total=None)
            n = steps.analyse_step(store, analyzer, progress=lambda k: progress.advance(task, k))
        stories = steps.cluster_step(store)
    finally:
        store.close()
    console.print(f"{n} article(s) analysed with {analyzer.model_version}; {stories} stories")


def morning_cmd(
    day: Annotated[str | None, typer.Option("--date", help="Gregorian or Jalali date; default today.")] = None,
    out: Annotated[Path | None, typer.Option(help="Archive directory.")] = None,
    send: Annotated[bool, typer.Option("--send", help="E-mail the digest and briefs.")] = False,
    db: DbOption = None,
) -> None:
    """Run the morning-digest flow once now (digest + five daily briefs)."""
    from flows.digest import morning_digest

    _date(day)
    _use_db(db)
    _check_database()
    _start_prefect()
    paths = morning_digest(day=day, out_dir=str(out) if out else None, send=send)
    for p in paths:
        console.print(p)


def serve_cmd(db: DbOption = None) -> None:
    """Serve prefect.yaml's scheduled deployments (nightly, digest, briefs, retrain) from this process until Ctrl-C."""
    from flows.serve import deployment_specs, serve_all

    _use_db(db)
    _check_database()
    _start_prefect()
    for spec in deployment_specs():
        for cron, tz in spec.schedules:
            console.print(f"{spec.name}: cron '{cron}' {tz}")
    serve_all()


def _use_db(db: str | None) -> None:
    """--db for flow runs goes through the environment, not a flow parameter Prefect would store."""
    if db:
        from mediawatch.settings import get_settings

        os.environ["MEDIAWATCH_DB_URL"] = db
        get_settings.cache_clear()


def register(app: typer.Typer) -> None:
    """Add the run commands to the main app."""
    app.command("demo")(demo)
    app.command("nightly")(nightly_cmd)
    app.command("process")(process_cmd)
    app.command("morning")(morning_cmd)
    app.command("serve")(serve_cmd)

