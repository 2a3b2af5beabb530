"""The fast paths compute exactly what the libraries they replace compute.

`nlp.ngrams.tfidf_transform` must give scikit-learn's `TfidfVectorizer.transform` matrix, the story
vectors of `nlp.dedup` scikit-learn's cosine similarities, and `minhash_signature` datasketch's MinHash
values; otherwise the shipped model would read different features than it was trained on.
"""

import random

import numpy as np
import pytest
from datasketch import MinHash
from sklearn.feature_extraction.text import TfidfVectorizer

from mediawatch.records import ClusterItem
from nlp.dedup import _story_vectors, item_shingles, minhash_signature
from nlp.ngrams import tfidf_transform
from nlp.normalize import fold

WORDS = ["شهرداری", "رشت", "خیابان", "می‌شود", "و", "در", "آب", "ترافیک", "گلسار", "۱۴۰۳", "2025", "Rasht",
         "URL", "a", "ب", "پسماند‌ها", "«زباله»", "؟", "🙂", "x\u200cy", "شورای", "شهر", "۱.۲.۳", "(بودجه)"]


def _docs(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randrange(0, 40))]
        seps = [rng.choice([" ", "  ", "\n", " \t "]) for _ in words]
        docs.append("".join(w + s for w, s in zip(words, seps, strict=True)))
    return docs


@pytest.mark.parametrize("vec", [
    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1, sublinear_tf=True, dtype=np.float32),
    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), min_df=2),
    TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, token_pattern=r"(?u)[\w\u200c]+"),
    TfidfVectorizer(ngram_range=(1, 3), min_df=2),
], ids=["char_wb-2-5", "char_wb-3-4", "word-1-2", "word-1-3"])
def test_tfidf_transform_equals_scikit_learn(vec):
    vec.fit(_docs(1, 300))
    unseen = [*_docs(2, 200), "", "   ", "🙂🙂", "\uffff", "کلمه‌ای که هرگز دیده نشده"]
    fast, slow = tfidf_transform(vec, unseen), vec.transform(unseen)
    assert fast.shape == slow.shape
    assert fast.nnz == slow.nnz > 0
    assert abs(fast - slow).max() < 1e-6


def test_tfidf_transform_falls_back_for_other_analyzers():
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3)).fit(_docs(3, 50))
    docs = _docs(4, 20)
    assert abs(tfidf_transform(vec, docs) - vec.transform(docs)).max() < 1e-9


def _items(texts):
    return [ClusterItem(article_id=i, source_id="s", published_at=None, fetched_at=None,
                        norm_title=t[:30], norm_body=t) for i, t in enumerate(texts)]


@pytest.mark.parametrize("n", [5, 60])  # max_df 0.5 applies above 20 items
def test_story_vectors_give_scikit_learns_similarities(n):
    items = _items(_docs(5, n))
    ours = _story_vectors(items)
    theirs = TfidfVectorizer(min_df=1, sublinear_tf=True, token_pattern=r"[\w\u200c]{2,}",
                             max_df=0.5 if n > 20 else 1.0).fit_transform(
        [fold(f"{it.norm_title} {it.norm_title} {it.norm_body}") for it in items])
    assert np.allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray(), atol=1e-9)


def test_minhash_signature_equals_datasketch():
    for text in _docs(6, 20):
        shingles = item_shingles("", text)
        if not len(shingles):
            continue
        m = MinHash(num_perm=64, seed=1, hashfunc=int, scheme="affine32")
        m.update_batch(shingles.tolist())
        assert np.array_equal(minhash_signature(shingles), m.hashvalues.astype(np.uint32))


def test_a_refitted_vectoriser_is_not_served_its_old_index():
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit(_docs(7, 100))
    docs = _docs(8, 30)
    tfidf_transform(vec, docs)  # builds and caches the index of the first vocabulary
    vec.fit(["کاملاً متن دیگری با واژه‌های تازه", "another vocabulary entirely"])
    assert abs(tfidf_transform(vec, docs) - vec.transform(docs)).max() < 1e-6


def test_broken_text_and_unsupported_ranges_still_match_scikit_learn():
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit(_docs(9, 100))
    docs = ["سلام \ud800 دنیا", *_docs(10, 5)]  # a lone surrogate, as broken scraped text can hold
    assert abs(tfidf_transform(vec, docs) - vec.transform(docs)).max() < 1e-6
    # char_wb from 4: scikit-learn emits a short padded word whole; the fast path must not be used.
    wide = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5)).fit(["a b c d", *_docs(11, 50)])
    assert abs(tfidf_transform(wide, ["a b c d"]) - wide.transform(["a b c d"])).max() < 1e-9
