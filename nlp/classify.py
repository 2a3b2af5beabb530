"""The classifier: hierarchical scikit-learn models over n-grams, lexicon features and encoder vectors.

Representation: TF-IDF of word 1–2-grams and char_wb 2–5-grams of «title title text» (the title counts
twice), next to the standardised lexicon features of `nlp.features` (working-group vocabulary hits,
organisation → working group, concern/PR markers, Rasht evidence) and, when an encoder is available,
the article's sentence-encoder vector (`nlp.encoder.article_vectors`: the title and the opening window,
each L2-normalised) as dense columns.
Models: municipal yes/no (linear SVM, calibrated), then, among municipal items, the domain (linear SVM,
calibrated), concern and tone (logistic regressions).
Every model is fitted twice: on the joint matrix (n-grams + lexicon + vector) and on the sparse matrix
alone, the fallback for machines where the encoder cannot load. Concern and tone also blend in a
logistic regression on the vector alone (`BLEND`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from nlp.features import actor_features, lexicon_features
from nlp.ngrams import tfidf_transform

MUNICIPAL_DOMAINS = (
    "culture_social_tourism",
    "civil_works_traffic",
    "urban_planning_legal",
    "urban_services",
    "economic_budget_it",
    "management",
)
TONES = ("positive", "neutral", "negative")

# Tunables, chosen by 5-fold CV on train.jsonl (see nlp/models/MODEL_CARD.md):
WORD_MAX_FEATURES = 60_000  # word 1–2-grams kept; more adds size, not F1
CHAR_MAX_FEATURES = 80_000  # char_wb 2–5-grams kept
CHAR_PREFIX = 800  # characters of «title title text» the char n-grams read (CV: 800 ≥ 1500 on every figure; speed)
LEXICON_WEIGHT = 0.05  # scale of the standardised lexicon columns next to unit-norm TF-IDF rows (0.05–0.1 best)
SVM_C = 1.0  # 0.3 and 3 were both worse on domain macro-F1
CONCERN_C = 10.0
CONCERN_LEXICON_WEIGHT = 0.2  # concern leans more on marker counts than domain does
TONE_C = 10.0
MUNICIPAL_THRESHOLD = 0.5  # P(municipal) at or above this → municipal
# Encoder vectors next to the n-grams (CV on train.jsonl, model card): the vector columns scaled by
# EMBED_WEIGHT in the municipal/domain/tone matrix (0.3: +0.008 domain F1, 1.0: +0.024, 2.0: +0.004)
# and by EMBED_WEIGHT_CONCERN in the concern matrix, which leans more on meaning than on words.
EMBED_WEIGHT = 1.0
EMBED_WEIGHT_CONCERN = 2.5
# Share of the joint model in each final probability; the rest comes from a logistic regression on the
# vector alone (C = EMBED_HEAD_C). 1.0 = joint model only.
BLEND = {"municipal": 1.0, "domain": 1.0, "concern": 0.7, "tone": 0.85}
EMBED_HEAD_C = 10.0


def _char_doc(doc: str) -> str:
    """Character n-grams read the opening only: it carries the topic, and char n-grams cost ~10 ms per 3 kB."""
    return doc[:CHAR_PREFIX]


def doc_text(title: str, text: str) -> str:
    """What the n-gram models read: the title twice, then the text."""
    return f"{title} \n {title} \n {text}"


@dataclass
class Predictions:
    """Scores for a batch: P(municipal), P(domain | municipal) per MUNICIPAL_DOMAINS, P(concern), P(tone)."""

    municipal: np.ndarray
    domain: np.ndarray
    concern: np.ndarray
    tone: np.ndarray


class _Heads:
    """The four task models fitted on one kind of matrix (sparse, joint, or vector-only)."""

    def __init__(self) -> None:
        self.municipal = None
        self.domain = None
        self.concern = None
        self.tone = None


class Model:
    """The fitted models and vectorisers; pickled (zlib) as the shipped model."""

    encoder_name: str = ""  # the encoder the joint models were fitted with; "" = sparse only
    joint: _Heads | None = None
    vector: _Heads | None = None

    def __init__(self) -> None:
        self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                    max_features=WORD_MAX_FEATURES, token_pattern=r"(?u)[\w\u200c]+",
                                    dtype=np.float32)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                    max_features=CHAR_MAX_FEATURES, dtype=np.float32)
        self.scaler = StandardScaler()
        self.actor_scaler = StandardScaler()  # who-acts columns, for the municipal model only
        self.municipal_model = None
        self.domain_model = None
        self.concern_model = None
        self.tone_model = None

    # -- features ---------------------------------------------------------------------------------
    def _matrices(self, docs: Sequence[str], lex: np.ndarray):
        """(domain matrix, concern matrix): the same n-grams, the lexicon columns weighted differently."""
        scaled = np.nan_to_num(self.scaler.transform(lex))
        grams = [tfidf_transform(self.word, docs), tfidf_transform(self.char, [_char_doc(d) for d in docs])]
        return (hstack([*grams, csr_matrix(scaled * LEXICON_WEIGHT)]).tocsr(),
                hstack([*grams, csr_matrix(scaled * CONCERN_LEXICON_WEIGHT)]).tocsr())

    def _municipal_matrix(self, x, items: Sequence[tuple[str, str]]):
        """The domain matrix plus the standardised who-acts columns (models trained before them: x)."""
        scaler = getattr(self, "actor_scaler", None)
        if scaler is None:
            return x
        actor = np.nan_to_num(scaler.transform(actor_features(items)))
        return hstack([x, csr_matrix(actor * LEXICON_WEIGHT)]).tocsr()

    # -- training ---------------------------------------------------------------------------------
    def fit(self, items: Sequence[tuple[str, str]], labels: Sequence[dict], vectors: np.ndarray | None = None,
            encoder_name: str = "") -> Model:
        """Fit every model on normalised (title, text) items and their label dicts.

        With `vectors` (one row per item, from `nlp.encoder.article_vectors`) the joint and vector-only
        models are fitted too, and `encoder_name` is recorded: predictions then need the same encoder.
        """
        docs = [doc_text(t, x) for t, x in items]
        lex = lexicon_features(items)
        self.word.fit(docs)
        self.char.fit([_char_doc(d) for d in docs])
        self.word.stop_words_ = None  # the pruned vocabulary is not needed to predict: keep the file small
        self.char.stop_words_ = None
        self.scaler.fit(lex)
        self.actor_scaler.fit(actor_features(items))
        x, xc = self._matrices(docs, lex)
        y_mun = np.array([bool(r["municipal"]) for r in labels])
        y_dom = np.array([r["domain"] for r in labels])
        y_con = np.array([bool(r["concern"]) for r in labels])
        y_tone = np.array([r.get("tone") or "neutral" for r in labels])
        mi = np.nonzero(y_mun)[0]
        xm = self._municipal_matrix(x, items)
        self.municipal_model = _svm(y_mun).fit(xm, y_mun)
        self.domain_model = _svm(y_dom[mi]).fit(x[mi], y_dom[mi])
        # Concern is learnt among municipal items only (as tone is): what counts as a citizens' concern
        # is judged there, and national news (crime, prices) taught it other kinds of "problem".
        # CV: concern F1 +0.014 / +0.018 / +0.020 on seeds 42 / 1 / 2 (non-municipal rows weighted 0.3:
        # +0.010, 0.1: +0.011 on seed 42).
        self.concern_model = _logistic(CONCERN_C).fit(xc[mi], y_con[mi])
        self.tone_model = _logistic(TONE_C).fit(x[mi], y_tone[mi])
        if vectors is not None:
            self.encoder_name = encoder_name or "unknown"
            xj, xmj, xcj = _with_vectors(x, xm, xc, vectors)
            self.joint = _Heads()
            self.joint.municipal = _svm(y_mun).fit(xmj, y_mun)
            self.joint.domain = _svm(y_dom[mi]).fit(xj[mi], y_dom[mi])
            self.joint.concern = _logistic(CONCERN_C).fit(xcj[mi], y_con[mi])
            self.joint.tone = _logistic(TONE_C).fit(xj[mi], y_tone[mi])
            self.vector = _Heads()
            self.blend = dict(BLEND)
            if BLEND["municipal"] < 1:
                self.vector.municipal = _logistic(EMBED_HEAD_C).fit(vectors, y_mun)
            if BLEND["domain"] < 1:
                self.vector.domain = _logistic(EMBED_HEAD_C).fit(vectors[mi], y_dom[mi])
            if BLEND["concern"] < 1:
                self.vector.concern = _logistic(EMBED_HEAD_C).fit(vectors[mi], y_con[mi])
            if BLEND["tone"] < 1:
                self.vector.tone = _logistic(EMBED_HEAD_C).fit(vectors[mi], y_tone[mi])
        return self

    def compact(self) -> Model:
        """Store the linear models' weights as float32 (the features are float32 anyway): halves the
        shipped file and the memory of a loaded model; predictions change below 1e-6."""
        for heads in (self, self.joint):
            if heads is None:
                continue
            for name in ("municipal_model", "domain_model", "concern_model", "tone_model",
                         "municipal", "domain", "concern", "tone"):
                est = getattr(heads, name, None)
                for inner in [c.estimator for c in getattr(est, "calibrated_classifiers_", ())] + [est]:
                    if inner is not None and hasattr(inner, "coef_"):
                        inner.coef_ = inner.coef_.astype(np.float32)
        return self

    @property
    def uses_encoder(self) -> bool:
        """Whether this model was fitted with encoder vectors (and can use them)."""
        return self.joint is not None

    # -- prediction -------------------------------------------------------------------------------
    def features(self, items: Sequence[tuple[str, str]]):
        """(domain matrix, municipal matrix, concern matrix) of normalised (title, text) items."""
        docs = [doc_text(t, x) for t, x in items]
        x, xc = self._matrices(docs, lexicon_features(items))
        return x, self._municipal_matrix(x, items), xc

    def predict(self, items: Sequence[tuple[str, str]], vectors: np.ndarray | None = None,
                features=None) -> Predictions:
        """Scores for normalised (title, text) items; with `vectors` (and a model fitted with them) the
        joint models decide, else the sparse ones. `features` reuses `self.features(items)`."""
        x, xm, xc = features if features is not None else self.features(items)
        if vectors is None or self.joint is None:
            return Predictions(municipal=_proba_of(self.municipal_model, xm, True),
                               domain=_class_proba(self.domain_model, x, MUNICIPAL_DOMAINS),
                               concern=_proba_of(self.concern_model, xc, True),
                               tone=_class_proba(self.tone_model, x, TONES))
        xj, xmj, xcj = _with_vectors(x, xm, xc, vectors)
        j, v = self.joint, self.vector or _Heads()
        w = getattr(self, "blend", BLEND)  # the weights the vector-only models were fitted for

        def mix(task: str, joint: np.ndarray, head, score) -> np.ndarray:
            """The joint model's scores, blended with the vector-only model's where one was fitted."""
            if head is None or w[task] >= 1:
                return joint
            return w[task] * joint + (1 - w[task]) * score(head)

        return Predictions(
            municipal=mix("municipal", _proba_of(j.municipal, xmj, True), v.municipal,
                          lambda m: _proba_of(m, vectors, True)),
            domain=mix("domain", _class_proba(j.domain, xj, MUNICIPAL_DOMAINS), v.domain,
                       lambda m: _class_proba(m, vectors, MUNICIPAL_DOMAINS)),
            concern=mix("concern", _proba_of(j.concern, xcj, True), v.concern,
                        lambda m: _proba_of(m, vectors, True)),
            tone=mix("tone", _class_proba(j.tone, xj, TONES), v.tone, lambda m: _class_proba(m, vectors, TONES)),
        )


def _with_vectors(x, xm, xc, vectors: np.ndarray):
    """The joint matrices: the sparse ones with the vector columns appended (weighted)."""
    dense = csr_matrix(np.asarray(vectors, dtype=np.float32) * EMBED_WEIGHT)
    dense_c = csr_matrix(np.asarray(vectors, dtype=np.float32) * EMBED_WEIGHT_CONCERN)
    return hstack([x, dense]).tocsr(), hstack([xm, dense]).tocsr(), hstack([xc, dense_c]).tocsr()


def _class_proba(model, x, classes: Sequence[str]) -> np.ndarray:
    """P(class) in the order of `classes` (a class the model never saw gets 0)."""
    out = np.zeros((x.shape[0], len(classes)))
    p = model.predict_proba(x)
    for k, c in enumerate(model.classes_):
        if c in classes:
            out[:, classes.index(c)] = p[:, k]
    return out


def _logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)


def _svm(y: np.ndarray) -> CalibratedClassifierCV:
    """A linear SVM with sigmoid calibration (3 folds, fewer when a class is tiny)."""
    counts = np.unique(y, return_counts=True)[1]
    cv = max(2, min(3, int(counts.min())))
    return CalibratedClassifierCV(LinearSVC(C=SVM_C, class_weight="balanced"), cv=cv, method="sigmoid")


def _proba_of(model, x, positive) -> np.ndarray:
    p = model.predict_proba(x)
    k = list(model.classes_).index(positive) if positive in model.classes_ else None
    return p[:, k] if k is not None else np.zeros(x.shape[0])
