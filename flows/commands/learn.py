"""`mediawatch model list|use`, `mediawatch review-queue`, `mediawatch retrain`: learning from the committee."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from flows.commands.choices import DomainName
from flows.commands.store import DbOpt, SinceOpt, _open, _since
from flows.exitcodes import code_for

console = Console()
err = Console(stderr=True)

model_app = typer.Typer(help="Trained model versions: which exist, which one analyses articles.",
                        no_args_is_help=True)
TITLE_CHARS = 70  # a title cut to this many characters keeps the queue one line per article


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)  # one line, however long
    return typer.Exit(code)


@model_app.command("list")
def model_list(
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per model, one per line.")] = False,
) -> None:
    """Every trained version (newest first) and the shipped model, with their CV figures; * = in use."""
    from rich import box
    from rich.table import Table

    from nlp.models_registry import list_models

    models = list_models()
    if json_out:
        for m in models:
            typer.echo(json.dumps({"version": "shipped" if m.shipped else m.version, "model": m.version,
                                   "active": m.active, "trained_at": m.trained_at, "items": m.items,
                                   "encoder": m.encoder, "cv": m.headline, "path": str(m.path)}))
        return
    table = Table(title="model versions (* = in use); CV F1: domain macro, municipal, concern, rasht",
                  box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False)  # fits 80 columns
    table.add_column("version", no_wrap=True)
    table.add_column("trained", no_wrap=True)
    table.add_column("items", justify="right", no_wrap=True)
    table.add_column("encoder", overflow="ellipsis", max_width=14)  # the only column that may give way
    for col in ("dom.", "mun.", "conc.", "rasht"):
        table.add_column(col, justify="right", no_wrap=True)
    shipped = ""
    for m in models:
        h = m.headline

        def fig(k: str, h: dict = h) -> str:
            return f"{h[k]:.3f}" if isinstance(h.get(k), int | float) else "–"

        if m.shipped:
            shipped = m.version
        name = "shipped" if m.shipped else m.version
        table.add_row(f"* {name}" if m.active else f"  {name}", m.trained_at[:10],
                      "" if m.items is None else str(m.items), m.encoder or "sparse", fig("domain_macro_f1"),
                      fig("municipal_f1"), fig("concern_f1"), fig("rasht_f1"))
    console.print(table)
    console.print(f"shipped = {shipped} (nlp/models/); switch: mediawatch model use VERSION|shipped",
                  soft_wrap=True)


@model_app.command("use")
def model_use(
    version: Annotated[str, typer.Argument(help="A version from `mediawatch model list`, or `shipped`.")],
) -> None:
    """Make VERSION the model that analyses articles; the next `process`/nightly run re-analyses them."""
    from mediawatch.errors import MediawatchError
    from nlp.models_registry import use_model

    try:
        info = use_model(version)
    except MediawatchError as exc:
        raise _fail(str(exc), code_for(exc)) from None
    name = f"the shipped model ({info.version})" if info.shipped else info.version
    console.print(f"{name} is now in use; `mediawatch process` (or the next night) re-analyses the articles")


def review_queue(
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many articles.")] = 20,
    group: Annotated[DomainName | None, typer.Option("--group", help="Only this working group (label).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per article, one per line.")] = False,
    since: SinceOpt = None,
    db: DbOpt = None,
) -> None:
    """The articles whose judgement is least certain, first: confirm or correct them (`corrections add`)."""
    from rich.table import Table

    dom, since_dt = group, _since(since)
    with _open(db, read_only=True) as store:
        items = store.review_queue(limit, domain=dom, since=since_dt)
    if json_out:
        for it in items:
            typer.echo(json.dumps({"id": it.article_id, "title": it.title, "source_id": it.source_id,
                                   "outlet": it.source_name, "url": it.url, "domain": it.domain,
                                   "concern": it.concern, "uncertainty": it.uncertainty,
                                   "seen_at": it.seen_at.isoformat()}, ensure_ascii=False))
        return
    if not items:
        err.print("Nothing to review: every analysed article has a correction (or none is analysed yet).")
        return
    table = Table("id", "title", "outlet", "domain", "concern", "uncertainty",
                  title="least certain first — confirm or correct with `mediawatch corrections add ID …`")
    for it in items:
        title = it.title if len(it.title) <= TITLE_CHARS else it.title[: TITLE_CHARS - 1] + "…"
        # Scraped text is shown as text, never parsed as Rich markup.
        table.add_row(str(it.article_id), Text(title), Text(it.source_name), it.domain,
                      "yes" if it.concern else "no", "–" if it.uncertainty is None else f"{it.uncertainty:.2f}")
    console.print(table)


def retrain_cmd(
    labels: Annotated[Path | None, typer.Option("--labels", help="Label file (default: MEDIAWATCH_LABELS_FILE or ../shared/data/train.jsonl).")] = None,
    promote: Annotated[bool, typer.Option("--promote/--no-promote", help="Make the candidate the model in use when it is not worse.")] = True,
    sparse: Annotated[bool, typer.Option("--sparse", help="Without the encoder (faster; for machines where it cannot run).")] = False,
    db: DbOpt = None,
) -> None:
    """Run the retrain flow once now: candidate from labels + corrections, compared, promoted or kept."""
    from flows.commands.run import _start_prefect, _use_db
    from flows.retrain import retrain
    from mediawatch.errors import MediawatchError

    if labels is not None and not labels.exists():
        raise _fail(f"{labels}: no such label file")
    _use_db(db)
    _start_prefect()
    try:
        result = retrain(labels=str(labels) if labels else None, promote=promote, encoder=False if sparse else None)
    except MediawatchError as exc:
        raise _fail(str(exc), code_for(exc)) from None
    from rich.markdown import Markdown

    console.print(Markdown(result.markdown()))


def register(app: typer.Typer) -> None:
    """Add these commands to the main app."""
    app.add_typer(model_app, name="model")
    app.command("review-queue")(review_queue)
    app.command("retrain")(retrain_cmd)
