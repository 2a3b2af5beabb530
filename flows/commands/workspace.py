"""The workspace's commands: `mediawatch web`, `mediawatch users …`, `mediawatch report monthly`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.commands.choices import DigestFormat, Role, WorkingGroup
from flows.commands.store import DbOpt, _fail, _open
from mediawatch.files import write_atomic

console = Console()
err = Console(stderr=True)

users_app = typer.Typer(help="Workspace accounts: add, list, disable.", no_args_is_help=True)
report_app = typer.Typer(help="Accountability reports.", no_args_is_help=True)
# Who the audit log names for changes made from the command line.
CLI_WHO = "cli"


def web_cmd(
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 behind a reverse proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes; one per CPU core serves more people at once.")] = 1,
    db: DbOpt = None,
) -> None:
    """Serve the workspace (the secretariat's and chairs' web pages) on the database."""
    import os

    import uvicorn

    from mediawatch.settings import get_settings
    from web.app import create_app
    from web.auth import secret_key

    if workers < 1:
        raise _fail("--workers takes 1 or more.", 2)
    settings = get_settings()
    serve: dict[str, Any] = dict(host=host, port=port, log_level="warning", proxy_headers=False,
                                 server_header=False)
    with _open(db) as store:
        if not store.workspace.users():
            err.print("[yellow]No accounts yet:[/] add one with "
                      "`mediawatch users add NAME --role secretariat --password-stdin`.")
        console.print(f"Workspace on http://{host}:{port}/ (database {escape(store.display_url)})")
        if workers == 1:
            uvicorn.run(create_app(store, settings), **serve)
            return
        secret_key(settings)  # made once here, before the workers race to make it
        os.environ["MEDIAWATCH_DB_URL"] = store.url
    get_settings.cache_clear()
    uvicorn.run("web.app:from_environment", factory=True, workers=workers, **serve)


def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the account may do (docs/workspace.md).")],
    group: Annotated[WorkingGroup | None, typer.Option(help="A chair's working group.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    db: DbOpt = None,
) -> None:
    """Add an account. The password is read from stdin (never from the command line)."""
    from mediawatch.records import WORKING_GROUPS
    from web.auth import hash_password

    groups = [str(g) for g in WORKING_GROUPS]
    if role == "chair" and group not in groups:
        raise _fail(f"A chair needs --group, one of {', '.join(groups)}.", 2)
    if role != "chair" and group is not None:
        raise _fail("Only a chair has a --group.", 2)
    if not password_stdin:
        raise _fail("Give the password on stdin with --password-stdin (e.g. from a password manager).", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    with _open(db) as store:
        store.workspace.add_user(name, role=role, group=group, password_hash=hashed, who=CLI_WHO)
    console.print(f"added {escape(name)} ({role}{', ' + group if group else ''})")


def users_list(db: DbOpt = None) -> None:
    """List the accounts."""
    with _open(db, read_only=True) as store:
        rows = store.workspace.users()
    table = Table()
    for col in ("name", "role", "group", "disabled", "created"):
        table.add_column(col)
    for u in rows:
        table.add_row(escape(u.name), u.role, u.group or "", "yes" if u.disabled else "", u.created_at.isoformat()[:16])
    console.print(table)


def users_disable(name: Annotated[str, typer.Argument(help="Login name.")], db: DbOpt = None) -> None:
    """Disable an account (its sessions end at once)."""
    with _open(db) as store:
        store.workspace.set_disabled(name, True, who=CLI_WHO)
    console.print(f"disabled {escape(name)}")


def report_monthly(
    month: Annotated[str | None, typer.Option(help="Jalali month, e.g. 1405-09; default this month.")] = None,
    fmt: Annotated[DigestFormat, typer.Option("--format", help="The output format.")] = "md",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    db: DbOpt = None,
) -> None:
    """The monthly accountability report: concerns raised per group, referred, answered, days to answer, open."""
    from web.report import FORMATS, monthly_report, parse_month

    try:
        year, mon = parse_month(month)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    with _open(db, read_only=True) as store:
        text = FORMATS[fmt](monthly_report(store, year, mon))
    if out:
        write_atomic(out, text)
        console.print(str(out))
    else:
        sys.stdout.write(text)


DEMO_USER = "demo"


def prepare_demo_workspace(db_url: str) -> None:
    """Give the demo database a secretariat account `demo` with a fresh random password, and say how to
    open the workspace (run by `mediawatch demo`; a rerun sets a new password)."""
    import secrets

    from storage import open_store
    from web.auth import hash_password

    password = secrets.token_urlsafe(12)
    store = open_store(db_url)
    try:
        ws = store.workspace
        if ws.user(DEMO_USER) is None:
            ws.add_user(DEMO_USER, role="secretariat", group=None, password_hash=hash_password(password), who="demo")
        else:
            ws.set_password_hash(DEMO_USER, hash_password(password), who="demo")
    finally:
        store.close()
    console.print(f"Workspace: [bold]mediawatch web --db {escape(db_url)}[/]", soft_wrap=True)
    console.print(f"then open http://127.0.0.1:8000/ and log in as [bold]{DEMO_USER}[/], "
                  f"password: [bold]{escape(password)}[/]", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("web")(web_cmd)
    users_app.command("add")(users_add)
    users_app.command("list")(users_list)
    users_app.command("disable")(users_disable)
    report_app.command("monthly")(report_monthly)
    app.add_typer(users_app, name="users")
    app.add_typer(report_app, name="report")
