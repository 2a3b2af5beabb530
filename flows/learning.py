"""Learning from the committee as plain steps (no Prefect): read corrections, score, retrain, decide.

flows/retrain.py wraps `retrain_step` in a Prefect flow (schedule, artifact); `mediawatch train`,
`eval` and `retrain` call these directly. See docs/nlp.md, "Learning from the committee".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from mediawatch.text import md_escape
from mediawatch.timeutil import utcnow

# A candidate may trail the current model by at most this much on a headline figure and still count as
# "not worse": the seed-to-seed spread of 5-fold CV on train.jsonl is about ±0.005 for domain and
# ±0.015 for concern (nlp/models/MODEL_CARD.md), so smaller differences are fold noise, not a change.
FOLD_NOISE = 0.015
# Fewer recent corrections than this are too few to score models on (one item would swing an F1 by
# more than 0.05); the time-held-out check is then skipped and the report says so.
HOLDOUT_MIN = 20
HEADLINE = ("domain_macro_f1", "municipal_f1", "concern_f1", "rasht_f1")


def holdout_margin(n: int) -> float:
    """Noise allowance on n held-out corrections: fold noise, or one item's worth when n is small."""
    return max(FOLD_NOISE, 1.0 / max(n, 1))


def default_labels_file() -> Path:
    """MEDIAWATCH_LABELS_FILE, else ../shared/data/train.jsonl."""
    from mediawatch.settings import get_settings
    from nlp.train import shared_data_dir

    return get_settings().labels_file or shared_data_dir() / "train.jsonl"


def corrections_db_url(db_url: str | None) -> str | None:
    """The database to read corrections from: --db, MEDIAWATCH_DB_URL, or the default SQLite file when it
    exists (None otherwise: reading corrections must not create an empty database)."""
    from mediawatch.settings import get_settings

    if db_url:
        return db_url
    settings = get_settings()
    if settings.db_url:
        return settings.db_url
    return settings.database_url if (settings.data_dir / "mediawatch.sqlite").exists() else None


def read_corrections(db_url: str | None) -> list[dict[str, Any]]:
    """Every corrected article as a label row (`Store.corrections_as_labels`); [] without a database."""
    from storage import open_store

    url = corrections_db_url(db_url)
    if url is None:
        return []
    store = open_store(url)
    try:
        return list(store.corrections_as_labels())
    finally:
        store.close()


def _vectors(rows: Sequence[dict], encoder: Any):
    from nlp.encoder import article_vectors
    from nlp.train import clean_rows, encoder_for_training

    cleaned = clean_rows(rows)
    enc = encoder_for_training(encoder)
    vectors = None
    if enc is not None:
        vectors = article_vectors(enc, cleaned)
        enc.save()
    return cleaned, vectors, enc


def _fit_predict(cleaned, rows, vectors, enc, train_idx, test_idx) -> list:
    from nlp.analyze import Analyzer
    from nlp.classify import Model

    model = Model().fit([cleaned[i] for i in train_idx], [rows[i] for i in train_idx],
                        None if vectors is None else vectors[train_idx], enc.name if enc else "")
    return Analyzer(model, "cv", encoder=enc).analyze_normalized([cleaned[i] for i in test_idx])


def cross_validate_with(labelled: Sequence[dict], extra: Sequence[dict] = (), *, folds: int | None = None,
                        seed: int | None = None, encoder: Any = True):
    """5-fold CV over the labelled rows, with `extra` rows (corrections) added to every training fold.

    The folds are the ones `nlp.train.cross_validate` makes on the same labelled rows and seed, and only
    labelled rows are scored, so the figures compare directly with a model's recorded CV figures: what
    changes is only what the model learned from. Without `extra` it is `cross_validate`.
    """
    from sklearn.model_selection import StratifiedKFold

    from nlp.train import CV_FOLDS, CV_SEED, metrics

    rows = [*labelled, *extra]
    cleaned, vectors, enc = _vectors(rows, encoder)
    n = len(labelled)
    more = np.arange(n, len(rows))
    y = np.array([r["domain"] for r in labelled])
    skf = StratifiedKFold(n_splits=folds or CV_FOLDS, shuffle=True, random_state=CV_SEED if seed is None else seed)
    preds: list = [None] * n
    for tr, te in skf.split(np.zeros(n), y):
        for i, a in zip(te, _fit_predict(cleaned, rows, vectors, enc, np.concatenate([tr, more]), te), strict=True):
            preds[i] = a
    return metrics(labelled, preds)


def score_holdout(train_rows: Sequence[dict], test_rows: Sequence[dict], encoder: Any = True):
    """Fit on `train_rows` and score on `test_rows` (the corrections held out by time)."""
    from nlp.train import metrics

    rows = [*train_rows, *test_rows]
    cleaned, vectors, enc = _vectors(rows, encoder)
    n = len(train_rows)
    return metrics(test_rows, _fit_predict(cleaned, rows, vectors, enc, np.arange(n), np.arange(n, len(rows))))


def worse(candidate: dict[str, float], current: dict[str, float], margin: float) -> list[str]:
    """The headline figures on which the candidate trails the current model by more than `margin`."""
    return [f"{k} {candidate[k]:.3f} < {current[k]:.3f} − {margin:.3f}" for k in HEADLINE
            if k in candidate and k in current and candidate[k] < current[k] - margin]


@dataclass
class RetrainResult:
    """What a retrain found and decided; `markdown()` is the `retrain-report` artifact."""

    labels: str
    current: str
    candidate: str = ""
    promoted: bool = False
    promote_allowed: bool = True
    items: int = 0
    corrections: int = 0
    skipped: int = 0  # corrected articles without a full set of labels
    cv_candidate: dict[str, float] = field(default_factory=dict)
    cv_current: dict[str, float] = field(default_factory=dict)
    holdout_n: int = 0
    holdout_candidate: dict[str, float] = field(default_factory=dict)
    holdout_current: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # why the candidate was not promoted
    notes: list[str] = field(default_factory=list)

    @property
    def decision(self) -> str:
        if self.promoted:
            return f"promoted {self.candidate}: not worse than {self.current} on any headline figure"
        if self.candidate == self.current:
            return f"kept {self.current}: the candidate is the same model"
        if not self.reasons and not self.promote_allowed:
            return f"kept {self.current}: the candidate {self.candidate} qualifies, but promotion was switched off"
        return f"kept {self.current}: " + "; ".join(self.reasons)

    def markdown(self) -> str:
        lines = [f"# mediawatch retrain — {'promoted' if self.promoted else 'kept the current model'}", "",
                 md_escape(self.decision) + ".", "",
                 f"Trained on {self.items} items: {md_escape(self.labels)} + {self.corrections} corrected "
                 f"article(s)" + (f" ({self.skipped} skipped: incomplete labels)" if self.skipped else "") + ".",
                 "", "| figure | candidate (CV) | current (CV) | candidate (held-out corrections) | "
                 "current (held-out corrections) |", "|---|---:|---:|---:|---:|"]

        def cell(d: dict[str, float], k: str) -> str:
            return f"{d[k]:.3f}" if k in d else "–"

        for k in (*HEADLINE, "tone_macro_f1"):
            lines.append(f"| {k} | {cell(self.cv_candidate, k)} | {cell(self.cv_current, k)} | "
                         f"{cell(self.holdout_candidate, k)} | {cell(self.holdout_current, k)} |")
        allowed = f"Allowed shortfall: {FOLD_NOISE} on CV (fold noise)"
        if self.holdout_candidate:
            allowed += f", {holdout_margin(self.holdout_n):.3f} on the held-out corrections (one item's worth)"
        lines += ["", f"Corrections of the last 30 days (held out): {self.holdout_n}. {allowed}.", ""]
        lines += [f"- {md_escape(n)}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _figures(m) -> dict[str, float]:
    return {**{k: round(v, 4) for k, v in m.headline().items()}, "tone_macro_f1": round(m.tone_macro_f1, 4)}


def retrain_step(*, labels: Path | None = None, db_url: str | None = None, encoder: bool | None = None,
                 promote: bool = True, root: Path | None = None, now: datetime | None = None,
                 holdout_min: int = HOLDOUT_MIN) -> RetrainResult:
    """Train a candidate on the labels + corrections, compare it with the model in use, promote or keep.

    1. CV: `cross_validate_with` (labelled rows scored, corrections in every training fold), against the
       current model's recorded CV figures (metrics.json; the shipped model's floors.json "measured").
    2. Corrections held out by time: a model of the candidate's recipe trained on the labels and the
       corrections older than RECENT_DAYS, and the current model, both scored on the newer corrections.
    3. Promote when, on every headline figure, the candidate is not worse beyond FOLD_NOISE (CV) and
       `holdout_margin` (held-out corrections). The candidate is kept on disk either way.
    """
    from mediawatch.settings import get_settings
    from nlp.analyze import Analyzer
    from nlp.feedback import merge_labels, recent_cutoff, split_by_time, trainable
    from nlp.models_registry import active_info, train_version, use_model
    from nlp.train import CV_FOLDS, CV_SEED, evaluate, load_labels

    use_encoder = get_settings().retrain_encoder if encoder is None else encoder
    enc_arg: Any = True if use_encoder else None
    labels = Path(labels) if labels else default_labels_file()
    labelled = load_labels(labels)
    corrected, incomplete = trainable(read_corrections(db_url))
    current = active_info(root)
    corrected_ids = {r["id"] for r in corrected}
    base = [r for r in labelled if r.get("id") not in corrected_ids]  # a correction overrides the label
    rows = merge_labels(labelled, corrected)
    result = RetrainResult(labels=labels.name, current=current.version, items=len(rows),
                           corrections=len(corrected), skipped=len(incomplete), promote_allowed=promote)
    if incomplete:
        result.notes.append(f"{len(incomplete)} corrected article(s) left out: no analysis to fill the fields "
                            "nobody corrected (correct municipal, domain, concern and rasht, or run `process`)")

    # 1. the same CV as the current model's recorded figures
    cv = cross_validate_with(base, corrected, encoder=enc_arg)
    result.cv_candidate = _figures(cv)
    recorded = current.headline
    if recorded:
        result.cv_current = {k: float(v) for k, v in recorded.items() if isinstance(v, int | float)}
        result.reasons += [f"CV {w}" for w in worse(result.cv_candidate, result.cv_current, FOLD_NOISE)]
    else:
        result.notes.append(f"{current.version} has no recorded CV figures (trained without --cv): compared on "
                            "the held-out corrections only")

    # 2. the corrections held out by time
    now = now or utcnow()
    older, recent = split_by_time(corrected, recent_cutoff(now))
    result.holdout_n = len(recent)
    if len(recent) < holdout_min:
        result.notes.append(f"{len(recent)} correction(s) in the last 30 days, fewer than {holdout_min}: "
                            "the held-out check was skipped")
    elif not any(r["municipal"] for r in recent):
        result.notes.append("no municipal article among the recent corrections: the held-out check was skipped")
    else:
        recent_ids = {r["id"] for r in recent}
        train_rows = merge_labels([r for r in labelled if r.get("id") not in recent_ids], older)
        result.holdout_candidate = _figures(score_holdout(train_rows, recent, enc_arg))
        result.holdout_current = _figures(evaluate(Analyzer.load(current.path), recent))
        margin = holdout_margin(len(recent))
        result.reasons += [f"held-out corrections {w}"
                           for w in worse(result.holdout_candidate, result.holdout_current, margin)]

    # 3. the candidate itself, on everything; kept whatever the decision
    info = train_version(rows, sources=[labels.name, "corrections"], encoder=enc_arg, root=root, metrics={
        "cv": result.cv_candidate, "cv_setup": {"folds": CV_FOLDS, "seed": CV_SEED, "scored": labels.name,
                                                "corrections_in_training": len(corrected)},
        "holdout": {"n": result.holdout_n, "figures": result.holdout_candidate},
        "labels": labels.name, "corrections": len(corrected), "compared_with": current.version,
    })
    result.candidate = info.version
    if promote and not result.reasons and info.version != current.version:
        use_model(info.version, root)
        result.promoted = True
    elif result.reasons or not promote:
        result.notes.append(f"the candidate is kept as {info.version}; `mediawatch model use {info.version}` "
                            "makes it the model in use anyway")
    return result
