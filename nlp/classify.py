"""The classifier: hierarchical scikit-learn models over word and character n-grams plus lexicon features.

Representation: TF-IDF of word 1–2-grams and char_wb 2–5-grams of «title title text» (the title counts
twice), next to the standardised lexicon features of `nlp.features` (working-group vocabulary hits,
organisation → working group, concern/PR markers, Rasht evidence).
Models: municipal yes/no (linear SVM, calibrated), then the domain among municipal items (linear SVM,
calibrated), concern (logistic regression) and tone among municipal items (logistic regression).
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


class Model:
    """The fitted models and vectorisers; pickled (zlib) as the shipped model."""

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
    def fit(self, items: Sequence[tuple[str, str]], labels: Sequence[dict]) -> Model:
        """Fit every model on normalised (title, text) items and their label dicts."""
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
        self.municipal_model = _svm(y_mun).fit(self._municipal_matrix(x, items), y_mun)
        mi = np.nonzero(y_mun)[0]
        self.domain_model = _svm(y_dom[mi]).fit(x[mi], y_dom[mi])
        self.concern_model = LogisticRegression(C=CONCERN_C, class_weight="balanced", max_iter=3000).fit(xc, y_con)
        self.tone_model = LogisticRegression(C=TONE_C, class_weight="balanced", max_iter=3000).fit(
            x[mi], y_tone[mi])
        return self

    # -- prediction -------------------------------------------------------------------------------
    def predict(self, items: Sequence[tuple[str, str]]) -> Predictions:
        """Scores for normalised (title, text) items."""
        docs = [doc_text(t, x) for t, x in items]
        lex = lexicon_features(items)
        x, xc = self._matrices(docs, lex)
        mun = _proba_of(self.municipal_model, self._municipal_matrix(x, items), True)
        dom = np.zeros((len(items), len(MUNICIPAL_DOMAINS)))
        p = self.domain_model.predict_proba(x)
        for k, c in enumerate(self.domain_model.classes_):
            if c in MUNICIPAL_DOMAINS:
                dom[:, MUNICIPAL_DOMAINS.index(c)] = p[:, k]
        con = _proba_of(self.concern_model, xc, True)
        tone = np.zeros((len(items), len(TONES)))
        pt = self.tone_model.predict_proba(x)
        for k, c in enumerate(self.tone_model.classes_):
            tone[:, TONES.index(c)] = pt[:, k]
        return Predictions(municipal=mun, domain=dom, concern=con, tone=tone)


def _svm(y: np.ndarray) -> CalibratedClassifierCV:
    """A linear SVM with sigmoid calibration (3 folds, fewer when a class is tiny)."""
    counts = np.unique(y, return_counts=True)[1]
    cv = int(max(2, min(3, counts.min())))
    return CalibratedClassifierCV(LinearSVC(C=SVM_C, class_weight="balanced"), cv=cv, method="sigmoid")


def _proba_of(model, x, positive) -> np.ndarray:
    p = model.predict_proba(x)
    k = list(model.classes_).index(positive) if positive in model.classes_ else None
    return p[:, k] if k is not None else np.zeros(x.shape[0])
