"""Duplicates and stories: exact copies, near-duplicate republications, story clusters.

1. Exact duplicates: the same normalised title+body hash (whitespace and half-spaces folded).
2. Near-duplicates (an agency copy republished with a changed title, a cut lead, an added signature):
   MinHash over word 4-shingles of the body with LSH (datasketch); a candidate pair counts when its
   estimated Jaccard is at least `NEAR_DUP_JACCARD` or one text is mostly contained in the other.
3. Stories (same event, different wording): TF-IDF cosine of title + body over a sliding window of
   `window_days`; pairs above `STORY_COSINE` form chains, which average linkage cuts into stories.
The representative of a cluster is its earliest complete article (body of at least `MIN_COMPLETE`
characters, else the earliest); every member that copies another names the earliest copy it repeats.
"""

from __future__ import annotations

import functools
import hashlib
import re
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from datasketch import MinHash, MinHashLSH

from mediawatch.records import Cluster, ClusterItem
from nlp.normalize import fold

__all__ = ["cluster_stories", "exact_key", "item_shingles", "near_duplicate_pairs", "story_pairs"]

# 64 permutations: ±0.06 error on the Jaccard estimate, enough to separate copies (≥0.6) from
# same-story rewrites (<0.3), and 4× cheaper than the default 128.
NUM_PERM = 64
SHINGLE = 4  # word 4-grams: shared phrases of agency copy, rare across independent rewrites
NEAR_DUP_JACCARD = 0.5  # a republication with a cut lead and a signature keeps ≥0.6 of its shingles
NEAR_DUP_CONTAINMENT = 0.8  # a shortened copy: 80% of the shorter text's shingles occur in the longer
# TF-IDF cosine (title twice + whole body, word unigrams) above which two reports may be one event;
# stories are then cut by average linkage at the same level. On the demo set (bench/dedup.py):
# same-story pairs precision 0.58, recall 0.83 — most "false" pairs are one event written up by two
# different writers (the same weather warning, the same match). The previous rule (title + 600
# characters, bigrams, single linkage at 0.45) had precision 0.78 but recall 0.26: a complaint
# reported again three days later was shown as new instead of continuing.
STORY_COSINE = 0.25
MIN_COMPLETE = 400  # a body shorter than this (characters) is a teaser, not a complete article

_WORD = re.compile(r"[\w\u200c]+")
_FOLDED_WORD = re.compile(r"\w+")  # folded text has no half-spaces left


def exact_key(title: str, body: str) -> str:
    """Hash of the folded title and body: identical copies share it."""
    return hashlib.sha1(f"{fold(title)}\n{fold(body)}".encode()).hexdigest()


_word_ids: dict[str, int] = {}
# Odd multipliers that mix the word hashes of a shingle into one 32-bit value (wrapping uint64 arithmetic).
_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1, 0xD3A2646C][:SHINGLE], dtype=np.uint64)


def _word_id(word: str) -> int:
    wid = _word_ids.get(word)
    if wid is None:
        if len(_word_ids) > 500_000:  # a long-running process: keep the cache bounded
            _word_ids.clear()
        wid = _word_ids[word] = zlib.crc32(word.encode())
    return wid


def _shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the word SHINGLE-grams of a text (stable across runs and processes), unique."""
    words = _FOLDED_WORD.findall(fold(text))
    known = list(map(_word_ids.get, words))
    if None in known:
        known = [k if k is not None else _word_id(w) for k, w in zip(known, words, strict=True)]
    ids = np.array(known, dtype=np.uint64)
    if len(ids) < SHINGLE:
        if not len(ids):
            return ids
        mixed = np.array([int((ids * _MIX[: len(ids)]).sum())], dtype=np.uint64)
    else:
        n = len(ids) - SHINGLE + 1
        mixed = sum(ids[k : k + n] * _MIX[k] for k in range(SHINGLE))
    return np.unique((mixed ^ (mixed >> np.uint64(29))) & np.uint64(0xFFFFFFFF))


def item_shingles(norm_title: str, norm_body: str) -> np.ndarray:
    """What `near_duplicate_pairs` hashes for one item; compute it where the text is (e.g. in worker
    processes) and pass the list as `shingles=` to skip that work in the clustering process."""
    return _shingle_hashes(norm_body or norm_title)


def _shingles(text: str) -> set[int]:
    """The shingle hashes of a text as a set (for exact Jaccard and containment)."""
    return set(_shingle_hashes(text).tolist())


def _identity(value: int) -> int:
    return value


@functools.cache
def _permutations():
    """datasketch's permutations for (NUM_PERM, seed 1), computed once instead of per MinHash."""
    return MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations


def _when(item: ClusterItem) -> datetime:
    return item.published_at or item.fetched_at


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_duplicate_pairs(items: Sequence[ClusterItem],
                         shingles: Sequence[np.ndarray] | None = None) -> set[tuple[int, int]]:
    """Index pairs (i < j) that are exact or near-duplicate copies of each other."""
    pairs: set[tuple[int, int]] = set()
    by_hash: dict[str, int] = {}
    for i, it in enumerate(items):
        k = exact_key(it.norm_title, it.norm_body)
        if k in by_hash:
            pairs.add((by_hash[k], i))
        else:
            by_hash[k] = i
    arrays = list(shingles) if shingles is not None else [item_shingles(it.norm_title, it.norm_body) for it in items]
    shingles = [set(a.tolist()) for a in arrays]
    lsh = MinHashLSH(threshold=NEAR_DUP_JACCARD * 0.8, num_perm=NUM_PERM)
    perms = _permutations()
    hashes = []
    for i, arr in enumerate(arrays):
        # Shingles are hashed already: datasketch only permutes them (its sha1 per shingle was the cost).
        m = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=_identity, permutations=perms, scheme="affine32")
        if len(arr):
            m.update_batch(arr.tolist())
            lsh.insert(i, m)
        hashes.append(m)
    for i, m in enumerate(hashes):
        if not shingles[i]:
            continue
        for j in lsh.query(m):
            if j <= i:
                continue
            a, b = shingles[i], shingles[j]
            inter = len(a & b)
            jac = inter / (len(a | b) or 1)
            cont = inter / (min(len(a), len(b)) or 1)
            if jac >= NEAR_DUP_JACCARD or (cont >= NEAR_DUP_CONTAINMENT and min(len(a), len(b)) >= 20):
                pairs.add((i, j))
    # Containment of a much shorter copy can fall below the LSH threshold: check pairs with the same title.
    by_title: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        if len(it.norm_title) >= 20:
            by_title.setdefault(fold(it.norm_title), []).append(i)
    for group in by_title.values():
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                a, b = shingles[group[x]], shingles[group[y]]
                if a and b and len(a & b) / min(len(a), len(b)) >= NEAR_DUP_CONTAINMENT:
                    pairs.add((group[x], group[y]))
    return pairs


def _story_text(it: ClusterItem) -> str:
    return f"{it.norm_title} {it.norm_title} {it.norm_body}"


def _story_vectors(items: Sequence[ClusterItem]):
    """TF-IDF rows (L2-normalised) of title + whole body; None when there is no vocabulary."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [fold(_story_text(it)) for it in items]
    try:
        return TfidfVectorizer(min_df=1, sublinear_tf=True, token_pattern=r"[\w\u200c]{2,}",
                               max_df=0.5 if len(items) > 20 else 1.0).fit_transform(docs)
    except ValueError:  # empty vocabulary
        return None


def story_pairs(items: Sequence[ClusterItem], window_days: int = 7, vectors=None) -> set[tuple[int, int]]:
    """Index pairs (i < j) of reports similar enough to be one event, within `window_days`."""
    if len(items) < 2:
        return set()
    x = _story_vectors(items) if vectors is None else vectors
    if x is None:
        return set()
    order = sorted(range(len(items)), key=lambda i: _when(items[i]))
    times = [_when(items[i]) for i in order]
    window = timedelta(days=window_days)
    pairs: set[tuple[int, int]] = set()
    start = 0
    # Slide over time-ordered items; compare each with the ones inside the window before it.
    block = 512
    for lo in range(0, len(order), block):
        hi = min(len(order), lo + block)
        while start < lo and times[lo] - times[start] > window:
            start += 1
        rows = order[lo:hi]
        cols = order[start:hi]
        sims = (x[rows] @ x[cols].T).toarray()
        for r, i in enumerate(rows):
            for c in np.nonzero(sims[r] >= STORY_COSINE)[0]:
                j = cols[c]
                if j != i and abs(times[lo + r] - _when(items[j])) <= window:
                    pairs.add((min(i, j), max(i, j)))
    return pairs


def _split_by_average_linkage(members: list[int], items: Sequence[ClusterItem], x, window_days: int,
                              dup: set[tuple[int, int]]) -> list[list[int]]:
    """Split one chain of similar pairs into stories whose members are similar on average.

    Pairs above the threshold chain unrelated reports together (A~B, B~C, A≁C); average linkage keeps
    a group only while its members' mean similarity stays above STORY_COSINE. Copies stay together.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    sims = (x[members] @ x[members].T).toarray()
    when = np.array([_when(items[i]).timestamp() for i in members])
    sims[np.abs(when[:, None] - when[None, :]) > window_days * 86400] = 0.0
    index = {m: k for k, m in enumerate(members)}
    for a, b in dup:
        if a in index and b in index:
            sims[index[a], index[b]] = sims[index[b], index[a]] = 1.0
    dist = np.clip(1.0 - sims, 0.0, 1.0)
    np.fill_diagonal(dist, 0.0)
    labels = fcluster(linkage(squareform(dist, checks=False), method="average"), t=1.0 - STORY_COSINE,
                      criterion="distance")
    groups: dict[int, list[int]] = {}
    for m, label in zip(members, labels, strict=True):
        groups.setdefault(int(label), []).append(m)
    return list(groups.values())


def cluster_stories(items: Sequence[ClusterItem], *, window_days: int = 7,
                    shingles: Sequence[np.ndarray] | None = None) -> list[Cluster]:
    """Group items into stories; each cluster names its representative and its duplicate copies."""
    n = len(items)
    if n == 0:
        return []
    dup = near_duplicate_pairs(items, shingles)
    uf = _UnionFind(n)
    for a, b in dup:
        uf.union(a, b)
    x = _story_vectors(items) if n > 1 else None
    for a, b in story_pairs(items, window_days, vectors=x):
        uf.union(a, b)
    chains: dict[int, list[int]] = {}
    for i in range(n):
        chains.setdefault(uf.find(i), []).append(i)
    groups: dict[int, list[int]] = {}
    for chain in chains.values():
        parts = [chain] if len(chain) < 3 or x is None else _split_by_average_linkage(chain, items, x,
                                                                                        window_days, dup)
        for part in parts:
            groups[part[0]] = part

    def rank(i: int) -> tuple:
        it = items[i]
        return (len(it.norm_body) < MIN_COMPLETE, _when(it), it.article_id)

    dup_of: dict[int, set[int]] = {}
    for a, b in dup:
        dup_of.setdefault(a, set()).add(b)
        dup_of.setdefault(b, set()).add(a)
    clusters = []
    for members in groups.values():
        members.sort(key=lambda i: (_when(items[i]), items[i].article_id))
        rep = min(members, key=rank)
        duplicate_of: dict[int, int] = {}
        for i in members:
            copies = [j for j in dup_of.get(i, ()) if (_when(items[j]), items[j].article_id)
                      < (_when(items[i]), items[i].article_id)]
            if copies:
                first = min(copies, key=lambda j: (_when(items[j]), items[j].article_id))
                duplicate_of[items[i].article_id] = items[first].article_id
        rep_id = items[rep].article_id
        clusters.append(
            Cluster(key=f"s{rep_id}", representative_id=rep_id,
                    member_ids=tuple(items[i].article_id for i in members), duplicate_of=duplicate_of)
        )
    clusters.sort(key=lambda c: c.representative_id)
    return clusters
