"""The public face of nlp: `Analyzer.load()` the shipped model, then `analyze()` articles into Analysis records."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import pickle
import re
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mediawatch.errors import MediawatchError
from mediawatch.records import Analysis, Domain, Tone
from nlp.classify import MUNICIPAL_DOMAINS, MUNICIPAL_THRESHOLD, TONES, Model
from nlp.features import article_places
from nlp.lexicon import LexiconIndex, load_terms
from nlp.normalize import clean_article, fold
from nlp.places import is_rasht

__all__ = ["MODEL_DIR", "Analyzer", "ModelNotFoundError", "key_sentence"]

MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_FILE = "model.pkl.zlib"  # pickle (protocol 5) + zlib: C unpickler, ~10× faster to load than joblib's
LEGACY_MODEL_FILE = "model.joblib"  # models written before the switch still load
CONCERN_THRESHOLD = 0.5  # P(concern) at or above this → concern
SECONDARY_MIN = 0.2  # a second domain is named only when its share of the municipal score is ≥ 0.2

_SENTENCE = re.compile(r"(?<=[.!؟?])\s+|\n+")


class ModelNotFoundError(MediawatchError):
    """No trained model where one was expected."""


@functools.cache
def _key_sentence_index() -> LexiconIndex:
    return LexiconIndex({"concern": load_terms("concern_markers"), "actors": load_terms("concern_actors")})


def key_sentence(title: str, text: str) -> str:
    """The sentence with the most concern evidence (markers, affected citizens, questions); extractive."""
    best, best_score = "", 0.0
    index = _key_sentence_index()
    for sent in [title, *_SENTENCE.split(text)]:
        s = sent.strip()
        if len(s) < 15:
            continue
        concern, actors = index.scan(fold(s))  # both lists in one pass over the sentence
        score = len(concern) + 0.5 * len(actors) + (0.5 if "؟" in s or "?" in s else 0.0)
        score /= 1 + len(s) / 400  # prefer a short sentence that says it over a long one that mentions it
        if score > best_score:
            best, best_score = s, score
    return best


PARALLEL_MIN = 300  # items from which analyze_many uses worker processes (below: start-up costs more)
_POOL_ANALYZER: Analyzer | None = None


def _pool_size(n_items: int, workers: int | None) -> int:
    """Worker processes to use for a batch (1: analyse here)."""
    if workers == 1 or n_items < PARALLEL_MIN:
        return 1
    if threading.active_count() > 1 or multiprocessing.parent_process() is not None:
        return 1  # threaded host (e.g. a Prefect flow) or already a worker: stay in this process
    return max(1, min(workers or 2, os.cpu_count() or 1))


def _pool_work(chunk: list[tuple[str, str, str]]) -> list[Analysis]:
    """Worker side of `analyze_many`: the analyzer was inherited by fork."""
    assert _POOL_ANALYZER is not None
    return _POOL_ANALYZER.analyze_many(chunk, workers=1)


class Analyzer:
    """The shipped model plus the rules around it; thread-safe for prediction."""

    def __init__(self, model: Model, model_version: str) -> None:
        self.model = model
        self.model_version = model_version
        self._pool = None  # multiprocessing pool for large batches, made on first use
        self._pool_n = 0

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_pool"} | {"_pool": None, "_pool_n": 0}

    @classmethod
    def load(cls, model_dir: Path | None = None) -> Analyzer:
        """Load the model from `model_dir` (default: the one shipped in nlp/models/)."""
        directory = Path(model_dir) if model_dir else MODEL_DIR
        path = directory / MODEL_FILE
        legacy = directory / LEGACY_MODEL_FILE
        if not path.exists() and not legacy.exists():
            raise ModelNotFoundError(f"no model at {path}: run `mediawatch train --labels FILE --out {directory}`")
        try:
            if path.exists():
                model = pickle.loads(zlib.decompress(path.read_bytes()))
            else:
                import joblib

                model = joblib.load(legacy)
        except (zlib.error, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError) as exc:
            used = path if path.exists() else legacy
            raise ModelNotFoundError(
                f"the model file {used} is damaged or from another version ({type(exc).__name__}: {exc}); "
                f"restore it from the checkout (`git checkout -- {used.name}` in {directory}) "
                f"or retrain: `mediawatch train --labels FILE --out {directory}`"
            ) from exc
        meta_path = directory / "model.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        return cls(model, meta.get("version", "unknown"))

    def analyze(self, title: str, text: str, lead: str = "") -> Analysis:
        """Analyse one article (original text; normalised here)."""
        return self.analyze_many([(title, text, lead)])[0]

    def analyze_many(self, items: Sequence[tuple[str, str, str]], *, workers: int | None = None) -> list[Analysis]:
        """Analyse a batch of (title, text, lead) articles; one vectorised pass through the models.

        Batches of at least PARALLEL_MIN items are split over `workers` forked processes (default: up
        to 2, the CPU count) when this process is single-threaded (forking a threaded process is unsafe);
        smaller batches and threaded callers run here. `workers=1` forces a single process.
        """
        if not items:
            return []
        n = _pool_size(len(items), workers)
        if n > 1:
            return self._analyze_in_pool(list(items), n)
        cleaned = [clean_article(t or "", lead or "", x or "") for t, x, lead in items]
        return self.analyze_normalized(cleaned)

    def _analyze_in_pool(self, items: list[tuple[str, str, str]], n: int) -> list[Analysis]:
        global _POOL_ANALYZER
        if self._pool is None or self._pool_n != n:
            import multiprocessing as mp

            if self._pool is not None:
                self._pool.close()
            # Load hazm's tables and the lexicons here first, so the workers inherit them instead of
            # each loading them again.
            self.analyze_many([("شهرداری رشت", "شهرداری رشت می‌گوید خیابان‌ها آسفالت می‌شود.", "")], workers=1)
            _POOL_ANALYZER = self  # inherited by the forked workers: no model reload, shared pages
            self._pool = mp.get_context("fork").Pool(n)
            self._pool_n = n
        step = max(50, -(-len(items) // (4 * n)))
        chunks = [items[i : i + step] for i in range(0, len(items), step)]
        return [a for part in self._pool.map(_pool_work, chunks) for a in part]

    def analyze_normalized(self, cleaned: Sequence[tuple[str, str]]) -> list[Analysis]:
        """Analyse already-cleaned (norm_title, norm_body) pairs."""
        if not cleaned:
            return []
        pred = self.model.predict(cleaned)
        out = []
        for i, (title, body) in enumerate(cleaned):
            out.append(self._one(title, body, float(pred.municipal[i]), pred.domain[i], float(pred.concern[i]),
                                 pred.tone[i]))
        return out

    def _one(self, title: str, body: str, p_mun: float, p_dom: np.ndarray, p_con: float,
             p_tone: np.ndarray) -> Analysis:
        municipal = p_mun >= MUNICIPAL_THRESHOLD
        scores = {d: round(float(p_mun * p), 4) for d, p in zip(MUNICIPAL_DOMAINS, p_dom, strict=True)}
        scores["other"] = round(1.0 - p_mun, 4)
        order = np.argsort(-p_dom)
        if municipal:
            domain = Domain(MUNICIPAL_DOMAINS[order[0]])
            second = MUNICIPAL_DOMAINS[order[1]]
            secondary = Domain(second) if p_dom[order[1]] >= SECONDARY_MIN else None
            tone = Tone(TONES[int(np.argmax(p_tone))])
        else:
            domain, secondary, tone = Domain.other, None, None
        places = article_places(title, body)
        concern = p_con >= CONCERN_THRESHOLD
        return Analysis(
            norm_title=title,
            norm_body=body,
            municipal=municipal,
            municipal_score=round(p_mun, 4),
            domain=domain,
            domain_scores=scores,
            secondary=secondary,
            rasht=is_rasht(title, body, places),
            places=places,
            concern=concern,
            concern_score=round(p_con, 4),
            key_sentence=key_sentence(title, body) if concern else "",
            tone=tone,
            model_version=self.model_version,
        )
