"""Trained model versions on disk, and which one analyses articles.

    <data_dir>/models/<version>/model.pkl.zlib, model.json, metrics.json   one folder per trained model
    <data_dir>/models/active                                               the version in use (one line)

Without an `active` file (or with `shipped` in it) the model shipped in nlp/models/ is used. Versions are
never deleted here: `mediawatch model use VERSION` goes back to any of them. Whatever analyses articles
loads `Analyzer.load(active_model_dir())`; a new active version has a new `model_version`, so the next
`process`/nightly run re-analyses every article (`Store.articles_to_analyse`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.analyze import LEGACY_MODEL_FILE, MODEL_DIR, MODEL_FILE, ModelNotFoundError

__all__ = ["SHIPPED", "ModelInfo", "active_info", "active_model_dir", "active_version", "list_models", "models_root",
           "register_model", "train_version", "use_model"]

SHIPPED = "shipped"  # the name of the model in nlp/models/ (the checkout's)
ACTIVE_FILE = "active"
METRICS_FILE = "metrics.json"
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,100}$")  # a folder name, never a path


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model on disk as `mediawatch model list` shows it."""

    version: str
    path: Path
    trained_at: str = ""
    items: int | None = None
    encoder: str = ""
    sources: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)  # metrics.json: {"cv": {...}, "holdout": {...}, …}
    active: bool = False
    shipped: bool = False

    @property
    def headline(self) -> dict[str, float]:
        """The CV headline figures recorded with the model ({} when none were recorded)."""
        return dict(self.metrics.get("cv") or {})


def models_root(data_dir: Path | None = None) -> Path:
    """<data_dir>/models (data_dir: MEDIAWATCH_DATA_DIR by default)."""
    if data_dir is None:
        from mediawatch.settings import get_settings

        data_dir = get_settings().data_dir
    return Path(data_dir) / "models"


def _root(root: Path | None) -> Path:
    return Path(root) if root is not None else models_root()


def _has_model(directory: Path) -> bool:
    return (directory / MODEL_FILE).exists() or (directory / LEGACY_MODEL_FILE).exists()


def active_version(root: Path | None = None) -> str | None:
    """The version named by the `active` file, or None (the shipped model)."""
    path = _root(root) / ACTIVE_FILE
    if not path.exists():
        return None
    name = path.read_text(encoding="utf-8").strip()
    return None if name in ("", SHIPPED) else name


def active_model_dir(root: Path | None = None) -> Path:
    """The directory of the model in use: the active version's, else the shipped nlp/models/."""
    version = active_version(root)
    if version is None:
        return MODEL_DIR
    directory = _root(root) / version
    if not _has_model(directory):
        raise ModelNotFoundError(
            f"the active model {version} is missing from {directory}: choose another with "
            f"`mediawatch model use VERSION` or `mediawatch model use {SHIPPED}` (see `mediawatch model list`)")
    return directory


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _info(directory: Path, *, active: bool, shipped: bool = False, version: str | None = None) -> ModelInfo:
    meta = _read_json(directory / "model.json")
    metrics = _read_json(directory / METRICS_FILE)
    if shipped and not metrics:
        # The shipped model's CV figures are the "measured" ones of its CI floors (5-fold, seed 42).
        measured = _read_json(directory / "floors.json").get("measured")
        if isinstance(measured, dict):
            metrics = {"cv": measured, "cv_setup": {"folds": 5, "seed": 42, "from": "floors.json"}}
    return ModelInfo(version=version or meta.get("version") or directory.name, path=directory,
                     trained_at=str(meta.get("trained_at", "")), items=meta.get("items"),
                     encoder=str(meta.get("encoder") or ""), sources=tuple(meta.get("sources") or ()),
                     metrics=metrics, active=active, shipped=shipped)


def active_info(root: Path | None = None) -> ModelInfo:
    """The model in use, as `list_models` describes it (a missing active version is an error)."""
    active_model_dir(root)
    return next(m for m in list_models(root) if m.active)


def list_models(root: Path | None = None) -> list[ModelInfo]:
    """Every trained version, newest first, then the shipped model; exactly one is marked active."""
    root = _root(root)
    current = active_version(root)
    found = []
    if root.is_dir():
        for d in root.iterdir():
            if d.is_dir() and not d.name.startswith(".") and _has_model(d):
                found.append(_info(d, active=d.name == current, version=d.name))
    found.sort(key=lambda m: (m.trained_at, m.version), reverse=True)
    return [*found, _info(MODEL_DIR, active=current is None, shipped=True)]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a reader sees the old name or the new one, never half a file


def use_model(version: str, root: Path | None = None) -> ModelInfo:
    """Make `version` (or `shipped`) the model in use; what is now active."""
    root = _root(root)
    if version == SHIPPED:
        (root / ACTIVE_FILE).unlink(missing_ok=True)
        return _info(MODEL_DIR, active=True, shipped=True)
    if not _VERSION.match(version) or not _has_model(root / version):
        known = ", ".join([m.version for m in list_models(root) if not m.shipped] + [SHIPPED])
        raise ModelNotFoundError(f"no model version {version!r} in {root}: use one of {known}")
    root.mkdir(parents=True, exist_ok=True)
    _write_atomic(root / ACTIVE_FILE, version + "\n")
    return _info(root / version, active=True, version=version)


def register_model(staged: Path, metrics: dict[str, Any] | None = None, root: Path | None = None) -> ModelInfo:
    """Move a freshly trained model folder to <root>/<version>/ with its metrics.json; not made active.

    `staged` must be on the same file system (use a folder inside `root`): the move is one rename, so a
    half-copied version never appears. The same version again (an identical model file) keeps the
    folder already there and records the new figures.
    """
    root = _root(root)
    staged = Path(staged)
    version = str(_read_json(staged / "model.json").get("version") or "")
    if not _VERSION.match(version) or not _has_model(staged):
        raise ModelNotFoundError(f"{staged} holds no trained model (model.json with a version, {MODEL_FILE})")
    dest = root / version
    if dest.exists():
        shutil.rmtree(staged)
    else:
        os.replace(staged, dest)
    _write_atomic(dest / METRICS_FILE, json.dumps(metrics or {}, indent=2, ensure_ascii=False) + "\n")
    return _info(dest, active=active_version(root) == version, version=version)


def train_version(rows: Sequence[dict], *, sources: Sequence[str] = (), encoder: Any = True,
                  metrics: dict[str, Any] | None = None, root: Path | None = None) -> ModelInfo:
    """Train on `rows` (nlp.train.train_model) straight into a new version folder; not made active."""
    from nlp.train import train_model

    root = _root(root)
    root.mkdir(parents=True, exist_ok=True)
    staged = root / f".staging-{uuid.uuid4().hex[:12]}"
    try:
        train_model(rows, staged, sources=sources, encoder=encoder)
        return register_model(staged, metrics, root)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
