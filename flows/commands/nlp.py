"""CLI for the nlp stage: `classify` (stable JSONL contract), `eval`, `train`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

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
    model_dir: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model)")] = None,
) -> None:
    """Classify articles: one JSON line per input line on stdout; bad lines reported on stderr."""
    from mediawatch.errors import MediawatchError
    from nlp.analyze import Analyzer

    try:
        analyzer = Analyzer.load(model_dir)
    except MediawatchError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
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


def eval_cmd(
    labels: Annotated[Path | None, typer.Option("--labels", help="JSONL label file (train.jsonl format)")] = None,
    cv: Annotated[bool, typer.Option("--cv", help="5-fold stratified cross-validation instead of the shipped model")] = False,
    model_dir: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object")] = False,
    jobs: Annotated[int, typer.Option("--jobs", help="CV folds fitted in parallel (processes)")] = 2,
) -> None:
    """Evaluate: the shipped model on --labels, or --cv (default labels ../shared/data/train.jsonl)."""
    from rich.progress import Progress

    from mediawatch.errors import MediawatchError
    from nlp.analyze import Analyzer
    from nlp.train import cross_validate, evaluate, load_labels, shared_data_dir

    if labels is None:
        if not cv:
            _err("error: give --labels FILE (or --cv to cross-validate on ../shared/data/train.jsonl)")
            raise typer.Exit(2)
        labels = shared_data_dir() / "train.jsonl"
    try:
        rows = load_labels(labels)
        if cv:
            with Progress(transient=True) as prog:
                task = prog.add_task("cross-validating (5 folds)", total=5)
                m = cross_validate(rows, progress=lambda k: prog.update(task, completed=k), n_jobs=jobs)
            title = f"5-fold CV on {labels}"
        else:
            m = evaluate(Analyzer.load(model_dir), rows)
            title = f"shipped model on {labels}"
    except MediawatchError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    if json_out:
        typer.echo(json.dumps({**m.headline(), "tone_macro_f1": m.tone_macro_f1, "n": m.n,
                               "per_class": m.per_class, "confusion": m.confusion}))
    else:
        _print_metrics(m, title)


def train_cmd(
    labels: Annotated[list[Path], typer.Option("--labels", help="JSONL label file; repeat to combine")],
    out: Annotated[Path | None, typer.Option("--out", help="Model directory (default: nlp/models/)")] = None,
) -> None:
    """Retrain the model from label files (train.jsonl format or `mediawatch corrections export`)."""
    from rich.console import Console

    from mediawatch.errors import MediawatchError
    from nlp.analyze import MODEL_DIR
    from nlp.train import load_labels, train_model

    rows: list[dict] = []
    try:
        for p in labels:
            rows.extend(load_labels(p))
    except MediawatchError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    # Later files win: a correction replaces the training item with the same id.
    by_id: dict[object, dict] = {}
    anon: list[dict] = []
    for r in rows:
        if r.get("id"):
            by_id[r["id"]] = r
        else:
            anon.append(r)
    rows = list(by_id.values()) + anon
    console = Console(stderr=True)
    with console.status(f"training on {len(rows)} items…"):
        path = train_model(rows, out or MODEL_DIR, sources=[p.name for p in labels])
    console.print(f"model written to {path}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("classify")(classify)
    app.command("eval")(eval_cmd)
    app.command("train")(train_cmd)
