"""CLI for the nlp stage: `classify` (stable JSONL contract), `eval`, `train` (models: flows/commands/learn.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.exitcodes import code_for

CLASSIFY_KEYS = ("id", "municipal", "domain", "domain_scores", "secondary", "rasht", "places", "concern",
                 "concern_score", "key_sentence", "tone", "model_version")
BATCH = 1000  # items per model pass: from analyze.PARALLEL_MIN on, the batch is split over 2 processes


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def _emit(item_id, a) -> str:
    row = {
        "id": item_id,
        "municipal": a.municipal,
        "domain": a.domain.value,
        "domain_scores": a.domain_scores,
        "secondary": a.secondary.value if a.secondary else None,
        "rasht": a.rasht,
        "places": list(a.places),
        "concern": a.concern,
        "concern_score": a.concern_score,
        "key_sentence": a.key_sentence,
        "tone": a.tone.value if a.tone else None,
        "model_version": a.model_version,
    }
    return json.dumps(row, ensure_ascii=False)


def classify(
    path: Annotated[str, typer.Argument(help="JSONL file of {\"id\",\"title\",\"text\"} objects, or - for stdin")] = "-",
    model_dir: Annotated[Path | None, typer.Option(help="Model directory (default: the model in use)")] = None,
) -> None:
    """Classify articles: one JSON line per input line on stdout; bad lines reported on stderr."""
    from mediawatch.errors import MediawatchError
    from nlp.analyze import Analyzer
    from nlp.models_registry import active_model_dir

    try:
        analyzer = Analyzer.load(model_dir or active_model_dir())
    except MediawatchError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code_for(exc)) from None
    if path == "-":
        fh = sys.stdin.buffer  # bytes: a line in another encoding is reported, not fatal
    else:
        p = Path(path)
        if not p.exists():
            _err(f"error: {p}: no such file")
            raise typer.Exit(2)
        fh = p.open("rb")
    bad = 0
    batch: list[tuple[object, str, str]] = []

    def flush() -> None:
        results = analyzer.analyze_many([(t, x, "") for _, t, x in batch])
        for (item_id, _, _), a in zip(batch, results, strict=True):
            sys.stdout.write(_emit(item_id, a) + "\n")
        sys.stdout.flush()
        batch.clear()

    with fh:
        for n, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                _err(f"line {n}: not UTF-8 text (byte {exc.start}); skipped")
                bad += 1
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("expected a JSON object")
                title = obj.get("title") or ""
                text = obj.get("text")
                if not isinstance(text, str) or not isinstance(title, str):
                    raise ValueError("fields 'title' and 'text' must be strings ('text' is required)")
            except (json.JSONDecodeError, ValueError) as exc:
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                _err(f"line {n}: {msg}; skipped")
                bad += 1
                continue
            batch.append((obj.get("id"), title, text))
            if len(batch) >= BATCH:
                flush()
    if batch:
        flush()
    if bad:
        _err(f"{bad} bad line(s) skipped")
        raise typer.Exit(1)


def _print_metrics(m, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=title)
    for col in ("class", "precision", "recall", "F1", "support"):
        t.add_column(col)
    for c, v in m.per_class.items():
        t.add_row(c, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", str(v["support"]))
    console.print(t)
    labels = list(m.per_class)
    cm = Table(title="confusion matrix (rows: label, columns: predicted)")
    cm.add_column("")
    for c in labels:
        cm.add_column(c[:10])
    for c, row in zip(labels, m.confusion, strict=True):
        cm.add_row(c, *[str(v) for v in row])
    console.print(cm)
    console.print(f"items: {m.n}")
    console.print(f"domain macro-F1: {m.domain_macro_f1:.3f}")
    console.print(f"municipal F1: {m.municipal_f1:.3f}")
    console.print(f"concern F1 (municipal items): {m.concern_f1:.3f}")
    console.print(f"rasht F1 (municipal items): {m.rasht_f1:.3f}")
    console.print(f"tone macro-F1 (municipal items): {m.tone_macro_f1:.3f}")


def _print_agreement(agree: dict, days: int) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"agreement with the committee's corrections of the last {days} days")
    for col in ("field", "corrected", "model agrees"):
        t.add_column(col)
    for f, v in agree.items():
        t.add_row(f, str(v["n"]), "–" if v["agree"] is None else f"{v['agree']:.0%}")
    Console().print(t)


def eval_cmd(
    labels: Annotated[Path | None, typer.Option("--labels", help="JSONL label file (train.jsonl format)")] = None,
    cv: Annotated[bool, typer.Option("--cv", help="5-fold stratified cross-validation instead of the model in use")] = False,
    model_dir: Annotated[Path | None, typer.Option(help="Model directory (default: the model in use)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object")] = False,
    jobs: Annotated[int, typer.Option("--jobs", help="CV folds fitted in parallel (processes)")] = 2,
    db: Annotated[str | None, typer.Option("--db", help="Database with the corrections (default: the configured one)")] = None,
    no_corrections: Annotated[bool, typer.Option("--no-corrections", help="Skip the agreement with recent corrections")] = False,
) -> None:
    """Evaluate: the model in use on --labels, or --cv (default labels ../shared/data/train.jsonl); and
    how often the model in use agrees with the committee's corrections of the last 30 days."""
    from rich.progress import Progress

    from flows.learning import read_corrections
    from mediawatch.errors import MediawatchError
    from mediawatch.timeutil import utcnow
    from nlp.analyze import Analyzer
    from nlp.feedback import RECENT_DAYS, agreement, recent_cutoff
    from nlp.models_registry import active_model_dir
    from nlp.train import cross_validate, evaluate, load_labels, shared_data_dir

    m = agree = None
    try:
        fixes = [] if no_corrections else read_corrections(db)
        if labels is None and not cv and not fixes:
            _err("error: give --labels FILE, or --cv to cross-validate on ../shared/data/train.jsonl "
                 "(with no corrections in the database there is nothing else to compare against)")
            raise typer.Exit(2)
        analyzer = Analyzer.load(model_dir or active_model_dir()) if (fixes or not cv) else None
        if fixes:
            agree = agreement(analyzer, fixes, since=recent_cutoff(utcnow()))
        if cv or labels is not None:
            labels = labels or shared_data_dir() / "train.jsonl"
            rows = load_labels(labels)
            if cv:
                with Progress(transient=True) as prog:
                    task = prog.add_task("cross-validating (5 folds)", total=5)
                    m = cross_validate(rows, progress=lambda k: prog.update(task, completed=k), n_jobs=jobs)
                title = f"5-fold CV on {labels}"
            else:
                analyzer = analyzer or Analyzer.load(model_dir or active_model_dir())
                m = evaluate(analyzer, rows)
                title = f"model {analyzer.model_version} on {labels}"
    except MediawatchError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code_for(exc)) from None
    if json_out:
        out: dict = {}
        if m is not None:
            out = {**m.headline(), "tone_macro_f1": m.tone_macro_f1, "n": m.n, "per_class": m.per_class,
                   "confusion": m.confusion}
        if agree is not None:
            out["corrections_agreement"] = {"days": RECENT_DAYS, "fields": agree}
        typer.echo(json.dumps(out))
        return
    if m is not None:
        _print_metrics(m, title)
    if agree is not None:
        _print_agreement(agree, RECENT_DAYS)


def train_cmd(
    labels: Annotated[list[Path], typer.Option("--labels", help="JSONL label file; repeat to combine")],
    out: Annotated[Path | None, typer.Option("--out", help="Model directory (default: a new version in <data dir>/models/)")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database with the corrections (default: the configured one)")] = None,
    no_corrections: Annotated[bool, typer.Option("--no-corrections", help="Learn from the label files only")] = False,
    use: Annotated[bool, typer.Option("--use", help="Make the new version the model in use")] = False,
    cv: Annotated[bool, typer.Option("--cv", help="Also record 5-fold CV figures with the version (minutes)")] = False,
) -> None:
    """Train a model from label files plus the committee's corrections (a correction overrides the label)."""
    from rich.console import Console

    from flows.learning import cross_validate_with, read_corrections
    from mediawatch.errors import MediawatchError
    from nlp.feedback import merge_labels, trainable
    from nlp.models_registry import train_version, use_model
    from nlp.train import load_labels, train_model

    if use and out is not None:
        _err("error: --use makes a version in the data dir the model in use; drop --out (or --use)")
        raise typer.Exit(2)
    console = Console(stderr=True)
    try:
        # Later files win: a row with the id of an earlier one replaces it; the corrections come last.
        labelled = merge_labels(*(load_labels(p) for p in labels))
        fixes, incomplete = trainable([] if no_corrections else read_corrections(db))
        rows = merge_labels(labelled, fixes)
        if fixes or incomplete:
            console.print(f"{len(fixes)} corrected article(s) from the database"
                          + (f"; {len(incomplete)} left out (labels incomplete: no analysis)" if incomplete else ""))
        sources = [p.name for p in labels] + (["corrections"] if fixes else [])
        with console.status(f"training on {len(rows)} items…"):
            if out is not None:
                path = train_model(rows, out, sources=sources)
                console.print(f"model written to {path}")
                return
            figures = None
            if cv:
                ids = {r["id"] for r in fixes}
                m = cross_validate_with([r for r in labelled if r.get("id") not in ids], fixes)
                figures = {"cv": {**m.headline(), "tone_macro_f1": m.tone_macro_f1}}
            info = train_version(rows, sources=sources, metrics=figures)
            if use:
                use_model(info.version)
    except MediawatchError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code_for(exc)) from None
    console.print(f"model {info.version} written to {info.path}")
    console.print("it is now the model in use" if use else f"use it: mediawatch model use {info.version}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("classify")(classify)
    app.command("eval")(eval_cmd)
    app.command("train")(train_cmd)
