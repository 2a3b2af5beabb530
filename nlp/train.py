"""Training and evaluation: label files, fitting the shipped model, 5-fold CV and metrics."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from mediawatch.errors import ConfigError
from mediawatch.jsonl import read_objects
from mediawatch.records import Domain, Tone
from mediawatch.settings import PROJECT_ROOT
from nlp.analyze import LEGACY_MODEL_FILE, MODEL_DIR, MODEL_FILE, Analyzer
from nlp.classify import Model
from nlp.encoder import CachedEncoder, Encoder, article_vectors, get_encoder
from nlp.normalize import clean_article

__all__ = ["Metrics", "cross_validate", "evaluate", "load_labels", "shared_data_dir", "train_model"]

DOMAINS = [d.value for d in Domain]
CV_FOLDS = 5
CV_SEED = 42


class LabelFileError(ConfigError):
    """A label file is malformed; the message names the file, the line and the field."""


def shared_data_dir() -> Path:
    """Where ../shared/data lives: env MEDIAWATCH_SHARED_DIR or <repo>/../shared/data."""
    env = os.environ.get("MEDIAWATCH_SHARED_DIR")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def _check(path: Path, n: int, obj: dict, key: str, ok: Callable[[object], bool], what: str) -> None:
    if key not in obj or not ok(obj[key]):
        got = repr(obj.get(key, "<missing>"))[:60]
        raise LabelFileError(f"{path}:{n}: field '{key}' must be {what} (got {got})")


def load_labels(path: Path) -> list[dict]:
    """Read a JSONL label file (train.jsonl format or `mediawatch corrections export`), validated."""
    path = Path(path)
    if not path.exists():
        raise LabelFileError(f"{path}: no such label file")
    rows = []
    tones = {t.value for t in Tone}
    for n, obj in read_objects(path, LabelFileError, where="{path}:{n}"):
        _check(path, n, obj, "text", lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
        _check(path, n, obj, "title", lambda v: v is None or isinstance(v, str), "a string or null")
        _check(path, n, obj, "municipal", lambda v: isinstance(v, bool), "true or false")
        _check(path, n, obj, "domain", lambda v: v in DOMAINS, f"one of {', '.join(DOMAINS)}")
        _check(path, n, obj, "concern", lambda v: isinstance(v, bool), "true or false")
        _check(path, n, obj, "rasht", lambda v: isinstance(v, bool), "true or false")
        if obj.get("tone") is not None:
            _check(path, n, obj, "tone", lambda v: v in tones, "positive, neutral, negative or null")
        if obj["municipal"] != (obj["domain"] != "other"):
            raise LabelFileError(f"{path}:{n}: field 'domain' is '{obj['domain']}' but municipal is "
                                 f"{str(obj['municipal']).lower()} (other ⇔ not municipal)")
        rows.append(obj)
    if not rows:
        raise LabelFileError(f"{path}: no labelled items")
    return rows


def clean_rows(rows: Sequence[dict]) -> list[tuple[str, str]]:
    """Normalised (title, body) for label rows."""
    return [clean_article(r.get("title") or "", r.get("lead") or "", r["text"]) for r in rows]


def encoder_for_training(encoder: Encoder | bool | None = True) -> CachedEncoder | None:
    """The encoder training and CV use, behind a cache file in the data dir (None: sparse only).

    True = the process-wide encoder (None when it cannot load: the model is then sparse only).
    """
    enc = get_encoder() if encoder is True else (encoder or None)
    if enc is None:
        return None
    if isinstance(enc, CachedEncoder):
        return enc
    from mediawatch.settings import get_settings

    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in enc.name)
    return CachedEncoder(enc, get_settings().cache_dir / f"vectors-{safe}.npz")


def train_model(rows: Sequence[dict], out_dir: Path = MODEL_DIR, sources: Sequence[str] = (),
                encoder: Encoder | bool | None = True) -> Path:
    """Fit on all rows and write model.pkl.zlib + model.json into `out_dir`; the model path.

    With an encoder (default: the process-wide one, when it loads) the joint models are fitted too.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cleaned, vectors, enc = prepare(rows, encoder)
    model = Model().fit(cleaned, rows, vectors, enc.name if enc else "").compact()
    path = out_dir / MODEL_FILE
    blob = zlib.compress(pickle.dumps(model, protocol=5), 3)
    digest = hashlib.sha1(blob).hexdigest()[:8]
    meta = {
        "version": f"{datetime.now(UTC):%Y%m%d}-{digest}",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": len(rows),
        "sources": list(sources),
        "encoder": model.encoder_name,
    }
    # Written aside then renamed: a run killed half-way leaves the previous model whole, never a torn one.
    _replace(path, blob)
    _replace(out_dir / "model.json", (json.dumps(meta, indent=2) + "\n").encode())
    (out_dir / LEGACY_MODEL_FILE).unlink(missing_ok=True)
    return path


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass
class Metrics:
    """Quality figures of predictions against labels."""

    n: int
    domain_macro_f1: float
    municipal_f1: float
    concern_f1: float  # on items labelled municipal
    rasht_f1: float  # on items labelled municipal
    tone_macro_f1: float  # on items labelled municipal
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: list[list[int]] = field(default_factory=list)

    def headline(self) -> dict[str, float]:
        """The four gated figures."""
        return {"domain_macro_f1": self.domain_macro_f1, "municipal_f1": self.municipal_f1,
                "concern_f1": self.concern_f1, "rasht_f1": self.rasht_f1}


def metrics(rows: Sequence[dict], preds: Sequence) -> Metrics:
    """Compare Analysis predictions with label rows."""
    y_dom = [r["domain"] for r in rows]
    p_dom = [a.domain.value for a in preds]
    mun = np.array([r["municipal"] for r in rows])
    p_mun = np.array([a.municipal for a in preds])
    y_con = np.array([r["concern"] for r in rows])[mun]
    p_con = np.array([a.concern for a in preds])[mun]
    y_r = np.array([r["rasht"] for r in rows])[mun]
    p_r = np.array([a.rasht for a in preds])[mun]
    y_t = [r.get("tone") or "neutral" for r, m in zip(rows, mun, strict=True) if m]
    p_t = [(a.tone.value if a.tone else "neutral") for a, m in zip(preds, mun, strict=True) if m]
    labels = [d for d in DOMAINS if d in set(y_dom) | set(p_dom)]
    p, r, f, s = precision_recall_fscore_support(y_dom, p_dom, labels=labels, zero_division=0)
    per = {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
           for i, c in enumerate(labels)}
    return Metrics(
        n=len(rows),
        domain_macro_f1=float(f1_score(y_dom, p_dom, labels=[d for d in DOMAINS if d in set(y_dom)],
                                       average="macro", zero_division=0)),
        municipal_f1=float(f1_score(mun, p_mun, zero_division=0)),
        concern_f1=float(f1_score(y_con, p_con, zero_division=0)),
        rasht_f1=float(f1_score(y_r, p_r, zero_division=0)),
        tone_macro_f1=float(f1_score(y_t, p_t, average="macro", zero_division=0)) if y_t else 0.0,
        per_class=per,
        confusion=confusion_matrix(y_dom, p_dom, labels=labels).tolist(),
    )


def evaluate(analyzer: Analyzer, rows: Sequence[dict]) -> Metrics:
    """Metrics of a fitted analyzer on label rows."""
    return metrics(rows, analyzer.analyze_normalized(clean_rows(rows)))


def prepare(rows: Sequence[dict], encoder: Encoder | bool | None = True):
    """(cleaned items, their article vectors or None, the cached encoder or None) for label rows.

    The encoder is a fixed, pre-trained function of the text, so every row is encoded once up front
    (from the cache when seen before); nothing about it is fitted on held-out rows.
    """
    cleaned = clean_rows(rows)
    enc = encoder_for_training(encoder)
    vectors = None
    if enc is not None:
        vectors = article_vectors(enc, cleaned)
        enc.save()
    return cleaned, vectors, enc


def fit_predict(cleaned: Sequence[tuple[str, str]], rows: Sequence[dict], train_idx, test_idx,
                vectors: np.ndarray | None = None, enc: CachedEncoder | None = None) -> list:
    """Fit on the rows `train_idx`, analyse the rows `test_idx` (one CV fold, or a held-out set).

    The held-out items go through the analyzer as a night's articles would: encoded (from the cache)
    only when the sparse model does not rule them out.
    """
    model = Model().fit([cleaned[i] for i in train_idx], [rows[i] for i in train_idx],
                        None if vectors is None else vectors[train_idx], enc.name if enc else "")
    return Analyzer(model, "cv", encoder=enc).analyze_normalized([cleaned[i] for i in test_idx])


def cross_validate(rows: Sequence[dict], folds: int = CV_FOLDS, seed: int = CV_SEED,
                   progress: Callable[[int], None] | None = None, n_jobs: int = 1,
                   encoder: Encoder | bool | None = True) -> Metrics:
    """Stratified k-fold CV: every model, vocabulary and scaler is fitted inside the training folds.

    The encoder (default: the process-wide one; None/False = sparse only) is a fixed, pre-trained
    function of the text, so every item is encoded once up front; nothing is fitted on held-out items.
    """
    from joblib import Parallel, delayed

    cleaned, vectors, enc = prepare(rows, encoder)
    y = np.array([r["domain"] for r in rows])
    preds: list = [None] * len(rows)
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(skf.split(np.zeros(len(rows)), y))
    if n_jobs == 1:
        results = []
        for k, (tr, te) in enumerate(splits):
            results.append(fit_predict(cleaned, rows, tr, te, vectors, enc))
            if progress:
                progress(k + 1)
    else:
        results = Parallel(n_jobs=n_jobs)(delayed(fit_predict)(cleaned, rows, tr, te, vectors, enc)
                                          for tr, te in splits)
        if progress:
            progress(len(splits))
    for (_tr, te), fold_preds in zip(splits, results, strict=True):
        for i, a in zip(te, fold_preds, strict=True):
            preds[i] = a
    return metrics(rows, preds)
