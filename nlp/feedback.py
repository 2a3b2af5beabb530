"""Learning from the committee: corrections as training rows, split by time, and agreement with the model.

The rows come from `Store.corrections_as_labels()` (train.jsonl shape, plus `corrected`: field → when it
was last corrected, and `corrected_at`: the article's latest correction). Plain functions: the CLI and
the retrain flow open the store, these only compute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

__all__ = ["AGREEMENT_FIELDS", "RECENT_DAYS", "agreement", "merge_labels", "split_by_time", "trainable"]

# The committee's corrections of the last 30 days measure the model in use: about four weekly retrains,
# recent enough to reflect today's news, long enough to hold more than a handful of corrections.
RECENT_DAYS = 30
AGREEMENT_FIELDS = ("municipal", "domain", "concern", "tone", "rasht")
_REQUIRED = ("municipal", "domain", "concern", "rasht")  # what a training row must have (tone may be null)


def trainable(rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(usable rows, incomplete rows): a corrected article without an analysis may lack concern or rasht."""
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for r in rows:
        complete = all(r.get(k) is not None for k in _REQUIRED) and bool((r.get("text") or "").strip())
        (good if complete else bad).append(r)
    return good, bad


def merge_labels(*sources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Label rows from several sources, later sources winning: a row with the id of an earlier one
    replaces it (a correction overrides the label file's judgement). Rows without an id are all kept."""
    by_id: dict[Any, dict[str, Any]] = {}
    anon: list[dict[str, Any]] = []
    for rows in sources:
        for r in rows:
            if r.get("id"):
                by_id.pop(r["id"], None)  # re-insert: the row takes the position of its latest source
                by_id[r["id"]] = r
            else:
                anon.append(r)
    return list(by_id.values()) + anon


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    return datetime.fromisoformat(str(value))


def split_by_time(rows: Iterable[dict[str, Any]], cutoff: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(corrected before `cutoff`, corrected at or after it), by each article's latest correction."""
    older: list[dict[str, Any]] = []
    recent: list[dict[str, Any]] = []
    for r in rows:
        when = _when(r.get("corrected_at"))
        (recent if when is not None and when >= cutoff else older).append(r)
    return older, recent


def recent_cutoff(now: datetime, days: int = RECENT_DAYS) -> datetime:
    return now - timedelta(days=days)


def _model_value(a: Any, name: str) -> Any:
    v = getattr(a, name)
    return getattr(v, "value", v)  # Domain/Tone enums → their label; bools and None as they are


def agreement(analyzer: Any, rows: Sequence[dict[str, Any]], *, since: datetime,
              fields: Sequence[str] = AGREEMENT_FIELDS) -> dict[str, dict[str, Any]]:
    """How often `analyzer` already says what people corrected since `since`, per field.

    Only fields corrected at or after `since` count (an article whose domain was corrected last week and
    whose tone was corrected last year counts for domain only). `{field: {"n": corrected, "agree": share
    in 0..1 or None when n = 0}}`. The model reads the article as the nightly run does (title, lead+body).
    """
    todo = []
    for r in rows:
        when = {f: _when(t) for f, t in (r.get("corrected") or {}).items() if f in fields}
        recent = [f for f, t in when.items() if t is not None and t >= since]
        if recent:
            todo.append((r, recent))
    counts = {f: [0, 0] for f in fields}
    if todo:
        preds = analyzer.analyze_many([(r.get("title") or "", r.get("text") or "", "") for r, _ in todo])
        for (r, recent), a in zip(todo, preds, strict=True):
            for f in recent:
                counts[f][0] += 1
                counts[f][1] += _model_value(a, f) == r.get(f)
    return {f: {"n": n, "agree": (k / n if n else None)} for f, (n, k) in counts.items()}
