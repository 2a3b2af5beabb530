"""Duplicates and stories: exact copies, near-duplicate republications, story clusters.

1. Exact duplicates: the same normalised title+body hash (whitespace and half-spaces folded).
2. Near-duplicates (an agency copy republished with a changed title, a cut lead, an added signature):
   MinHash over word 4-shingles of the body with LSH (datasketch); a candidate pair counts when its
   estimated Jaccard is at least `NEAR_DUP_JACCARD` or one text is mostly contained in the other.
3. Stories (same event, different wording): the similarity of two reports is the TF-IDF cosine of
   title + body, blended with the cosine of their sentence-encoder vectors when both have one
   (`ClusterItem.embedding`, what the analyzer stored; items without one fall back to TF-IDF alone).
   Over a sliding window of `window_days`, pairs above `STORY_COSINE` form chains, which average
   linkage cuts into stories at the same level.
The representative of a cluster is its earliest complete article (body of at least `MIN_COMPLETE`
characters, else the earliest); every member that copies another names the earliest copy it repeats.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from mediawatch.records import Cluster, ClusterItem
from nlp.encoder import decode_vector
from nlp.normalize import fold

__all__ = ["carry_keys", "cluster_stories", "item_shingles", "near_duplicate_pairs", "story_pairs"]

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
# With vectors, a pair's similarity is STORY_TFIDF_WEIGHT · TF-IDF cosine + the rest · the encoder
# cosine rescaled so that EMBED_BASELINE maps to 0 and 1 to 1: one scale, one threshold (STORY_COSINE)
# and one linkage cut for pairs with and without vectors. The encoder's cosines are compressed into
# 0.8–1.0 (e5 is trained with a low temperature), so the raw value cannot be mixed in as it is.
# EMBED_BASELINE: the multilingual-e5-small cosine of two unrelated Persian news reports is 0.81–0.83
# (median over all demo pairs 0.83, over the corpus sample 0.81; bench/dedup.py prints both); 0.85 sits
# just above it, so that an unrelated pair's vectors pull the blend below its TF-IDF cosine. Another
# encoder needs its own baseline. The weight keeps TF-IDF in the lead (shared names, places and figures
# are what tell one council meeting from the next); the vectors add the rewordings it misses. On the
# demo set (bench/dedup.py, same-story pairs of one writer, the labels' scope when they were chosen)
# these values give precision 0.97, recall 0.93, against 0.92 / 0.83 for TF-IDF alone; any weight in
# 0.65–0.7 with a baseline in 0.84–0.85 stays ≥ 0.90 / ≥ 0.93, so the choice is not a knife-edge.
# Over all demo pairs, labelled since across writers too: 0.77 / 0.91 (docs/nlp.md, Quality).
STORY_TFIDF_WEIGHT = 0.7
EMBED_BASELINE = 0.85
MIN_COMPLETE = 400  # a body shorter than this (characters) is a teaser, not a complete article

_FOLDED_WORD = re.compile(r"\w+")  # folded text has no half-spaces left


def _exact_key(folded_title: str, folded_body: str) -> str:
    """Hash of the folded title and body: identical copies share it."""
    return hashlib.sha1(f"{folded_title}\n{folded_body}".encode()).hexdigest()


def _folded(items: Sequence[ClusterItem]) -> list[tuple[str, str]]:
    """(folded title, folded body) of each item, computed once for exact keys and story vectors."""
    return [(fold(it.norm_title), fold(it.norm_body)) for it in items]


_word_ids: dict[str, int] = {}
# One odd multiplier per word of a shingle (SHINGLE of them): they mix the shingle's word hashes into one
# value (wrapping uint64 arithmetic), folded to 32 bits in _shingle_hashes.
_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint64)
assert len(_MIX) == SHINGLE, "one multiplier per word of a shingle"


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


@functools.cache
def _minhash_params() -> tuple[np.ndarray, np.ndarray, int, int]:
    """(a, b) of datasketch's affine32 permutations for (NUM_PERM, seed 1), and the LSH bands × rows
    datasketch chooses for threshold NEAR_DUP_JACCARD × 0.8 — computed once."""
    a, b = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations
    lsh = MinHashLSH(threshold=NEAR_DUP_JACCARD * 0.8, num_perm=NUM_PERM)
    return a.astype(np.uint32), b.astype(np.uint32), int(lsh.b), int(lsh.r)


def minhash_signature(shingles: np.ndarray) -> np.ndarray:
    """The MinHash of 32-bit shingle hashes, as datasketch's affine32 scheme computes it (the same values):
    each hash is pre-mixed with MurmurHash3's 32-bit finalizer, then permuted as a·h + b mod 2³²."""
    a, b, _bands, _rows = _minhash_params()
    if not len(shingles):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    h = shingles.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return (h[:, None] * a + b).min(axis=0)


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


def _overlap(a: np.ndarray, b: np.ndarray) -> int:
    """How many hashes two unique shingle arrays share."""
    return len(np.intersect1d(a, b, assume_unique=True))


def near_duplicate_pairs(items: Sequence[ClusterItem], shingles: Sequence[np.ndarray] | None = None,
                         folded: Sequence[tuple[str, str]] | None = None) -> set[tuple[int, int]]:
    """Index pairs (i < j) that are exact or near-duplicate copies of each other."""
    pairs: set[tuple[int, int]] = set()
    by_hash: dict[str, int] = {}
    for i, (ft, fb) in enumerate(folded if folded is not None else _folded(items)):
        k = _exact_key(ft, fb)
        if k in by_hash:
            pairs.add((by_hash[k], i))
        else:
            by_hash[k] = i
    arrays = list(shingles) if shingles is not None else [item_shingles(it.norm_title, it.norm_body) for it in items]
    # Shingle arrays are unique (item_shingles): overlaps are counted in NumPy for the few candidate
    # pairs, rather than holding every shingle of the window as a Python set (~100 MB for 3,000 articles).
    _a, _b, bands, rows = _minhash_params()
    buckets: dict[bytes, list[int]] = {}
    candidates: set[tuple[int, int]] = set()
    for i, arr in enumerate(arrays):
        if not len(arr):
            continue
        # LSH: items whose signatures agree on all rows of any one band are candidates.
        sig = minhash_signature(arr)
        for band in range(bands):
            key = band.to_bytes(1, "little") + sig[band * rows : (band + 1) * rows].tobytes()
            bucket = buckets.setdefault(key, [])
            candidates.update((j, i) for j in bucket)
            bucket.append(i)
    for i, j in candidates:
        a, b = arrays[i], arrays[j]
        inter = _overlap(a, b)
        jac = inter / ((len(a) + len(b) - inter) or 1)
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
                a, b = arrays[group[x]], arrays[group[y]]
                if len(a) and len(b) and _overlap(a, b) / min(len(a), len(b)) >= NEAR_DUP_CONTAINMENT:
                    pairs.add((group[x], group[y]))
    return pairs


_STORY_TOKEN = re.compile(r"[\w\u200c]{2,}")


def _story_vectors(items: Sequence[ClusterItem], folded: Sequence[tuple[str, str]] | None = None):
    r"""TF-IDF rows (L2-normalised) of title + whole body; None when there is no vocabulary.

    The same matrix (up to column order) as scikit-learn's
    `TfidfVectorizer(sublinear_tf=True, token_pattern=r"[\w\u200c]{2,}", max_df=0.5 when more than 20
    items)`, built with C-level word ids and NumPy instead of a Python loop over every token.
    """
    from collections import defaultdict

    from scipy.sparse import csr_matrix
    from sklearn.preprocessing import normalize

    ids: defaultdict[str, int] = defaultdict()
    ids.default_factory = ids.__len__  # a new word gets the next id, inside the C-level map below
    words = ids.__getitem__
    # Each document's words are counted on its own (NumPy, word ids as int32): the night never holds one
    # Python int per token (~36 bytes each, ~70 MB for 3,000 articles; this step was the night's peak).
    words_of, counts_of = [], []
    for ft, fb in folded if folded is not None else _folded(items):
        title = _STORY_TOKEN.findall(ft.lower())
        doc = np.fromiter(map(words, chain(title, title, _STORY_TOKEN.findall(fb.lower()))), dtype=np.int32)
        uniq, counts = np.unique(doc, return_counts=True)  # the title counts twice
        words_of.append(uniq)
        counts_of.append(counts)
    if not ids:
        return None
    n = len(items)
    cols = np.concatenate(words_of)
    tf = np.concatenate(counts_of).astype(np.float64)
    rows = np.repeat(np.arange(n, dtype=np.int32), [len(w) for w in words_of])
    df = np.bincount(cols, minlength=len(ids))
    keep = df <= (0.5 * n if n > 20 else n)
    if not keep.any():
        return None
    idf = np.log((1 + n) / (1 + df)) + 1.0
    mask = keep[cols]
    x = csr_matrix(((1.0 + np.log(tf[mask])) * idf[cols[mask]], (rows[mask], cols[mask])), shape=(n, len(ids)))
    return normalize(x)  # L2 rows, as TfidfVectorizer's norm="l2"


def _window_half(vectors: np.ndarray) -> np.ndarray:
    """The part of stored vectors that stories compare.

    The analyzer may store an article's title vector and its window vector side by side (two unit
    halves: nlp.encoder.article_vectors); then stories read the window half only. Another outlet's
    report of the same event comes under another headline, so the title vectors disagree where
    stories must agree: with both halves the demo set's same-writer pairs fell from 0.97 / 0.93 to
    0.85 / 0.93 (bench/dedup.py, measured when the labels covered one writer's pairs only). A single vector (one unit norm over its whole length) is read whole.
    """
    half = vectors.shape[1] // 2
    if vectors.shape[1] % 2 or not len(vectors):
        return vectors
    norms = np.linalg.norm(vectors[:, :half], axis=1), np.linalg.norm(vectors[:, half:], axis=1)
    if all(np.allclose(n, 1.0, atol=0.01) for n in norms):  # float16 rounding stays far below 0.01
        return vectors[:, half:]
    return vectors


def _encoder_vectors(items: Sequence[ClusterItem]) -> tuple[np.ndarray, np.ndarray] | None:
    """The items' stored encoder vectors (the part stories compare) as unit rows of one matrix, and
    which items have one; None when no item has one. A vector of another length than most (another
    encoder's) counts as absent."""
    sizes = Counter(len(it.embedding) for it in items if it.embedding)
    if not sizes:
        return None
    size = sizes.most_common(1)[0][0]
    has = np.array([it.embedding is not None and len(it.embedding) == size for it in items])
    stored = _window_half(np.stack([decode_vector(it.embedding) for it, ok in zip(items, has, strict=True)
                                    if ok and it.embedding is not None]))
    vectors = np.zeros((len(items), stored.shape[1]), dtype=np.float32)
    vectors[has] = stored / np.maximum(np.linalg.norm(stored, axis=1, keepdims=True), 1e-6)  # float16 rounding
    return vectors, has


@dataclasses.dataclass(frozen=True, slots=True)
class StorySpace:
    """What story similarity is computed from: TF-IDF rows, and encoder vectors where items have them."""

    tfidf: Any  # scipy CSR matrix, L2-normalised rows
    vectors: np.ndarray | None = None  # (n, dim) unit rows; zeros where `has` is False
    has: np.ndarray | None = None  # (n,) bool: the item has a vector

    @classmethod
    def of(cls, items: Sequence[ClusterItem], folded: Sequence[tuple[str, str]] | None = None) -> StorySpace | None:
        """The space of these items; None when their texts have no vocabulary."""
        x = _story_vectors(items, folded)
        if x is None:
            return None
        vec = _encoder_vectors(items)
        return cls(x, *vec) if vec is not None else cls(x)

    def sims(self, rows: Sequence[int], cols: Sequence[int]) -> np.ndarray:
        """Story similarity of each row item to each column item (dense, rows × cols): the TF-IDF
        cosine, blended with the rescaled encoder cosine where both items have a vector."""
        s = (self.tfidf[rows] @ self.tfidf[cols].T).toarray()
        if self.vectors is None or self.has is None:
            return s
        r, c = np.asarray(rows), np.asarray(cols)
        rpos, cpos = np.flatnonzero(self.has[r]), np.flatnonzero(self.has[c])
        if len(rpos) and len(cpos):
            emb = self.vectors[r[rpos]] @ self.vectors[c[cpos]].T
            emb -= EMBED_BASELINE
            emb *= (1.0 - STORY_TFIDF_WEIGHT) / (1.0 - EMBED_BASELINE)
            both = np.ix_(rpos, cpos)
            s[both] = STORY_TFIDF_WEIGHT * s[both] + emb
        return s


def story_pairs(items: Sequence[ClusterItem], window_days: int = 7,
                space: StorySpace | None = None) -> set[tuple[int, int]]:
    """Index pairs (i < j) of reports similar enough to be one event, within `window_days`."""
    if len(items) < 2:
        return set()
    x = StorySpace.of(items) if space is None else space
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
        sims = x.sims(rows, cols)
        for r, i in enumerate(rows):
            for c in np.nonzero(sims[r] >= STORY_COSINE)[0]:
                j = cols[c]
                if j != i and abs(times[lo + r] - _when(items[j])) <= window:
                    pairs.add((min(i, j), max(i, j)))
    return pairs


def _split_by_average_linkage(members: list[int], items: Sequence[ClusterItem], x: StorySpace, window_days: int,
                              dup: set[tuple[int, int]]) -> list[list[int]]:
    """Split one chain of similar pairs into stories whose members are similar on average.

    Pairs above the threshold chain unrelated reports together (A~B, B~C, A≁C); average linkage keeps
    a group only while its members' mean similarity stays above STORY_COSINE. Copies stay together.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    sims = x.sims(members, members)
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
    folded = _folded(items)
    dup = near_duplicate_pairs(items, shingles, folded)
    uf = _UnionFind(n)
    for a, b in dup:
        uf.union(a, b)
    x = StorySpace.of(items, folded) if n > 1 else None
    for a, b in story_pairs(items, window_days, space=x):
        uf.union(a, b)
    chains: dict[int, list[int]] = {}
    for i in range(n):
        chains.setdefault(uf.find(i), []).append(i)
    groups: dict[int, list[int]] = {}
    for linked in chains.values():
        parts = [linked] if len(linked) < 3 or x is None else _split_by_average_linkage(linked, items, x,
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


def carry_keys(clusters: Sequence[Cluster], previous: Mapping[int, str],
               in_use: Collection[str] = ()) -> list[Cluster]:
    """The clusters with the keys their stories had before, so a story keeps one key night after night.

    Stories are regrouped every night over a sliding window; once a story's first report leaves the
    window its representative changes, and a key made from it would present a continuing story as a
    new one. `previous` maps article id → the key it had; `in_use` are the keys stored already (stories
    older than the window included). An earlier key passes to the new cluster holding most of its
    articles, and only when that is a real continuation: the cluster holds at least half of the key's
    articles, or they make up at least half of the cluster. Ties go to the older story (the one whose
    articles came first). Any other cluster gets its own key, never one that is in use.
    """
    size = Counter(previous.values())  # old key → its articles in this window
    oldest: dict[str, int] = {}  # old key → its earliest article id (ids grow with time)
    for m, key in previous.items():
        oldest[key] = min(oldest.get(key, m), m)
    votes: dict[str, list[tuple[int, int, int]]] = {}  # old key → (members holding it, -rep id, index)
    for k, cl in enumerate(clusters):
        members = set(cl.member_ids) | set(cl.duplicate_of)
        held = Counter(previous[m] for m in members if m in previous)
        for key, n in held.items():
            if 2 * n >= size[key] or 2 * n >= len(members):
                votes.setdefault(key, []).append((n, -cl.representative_id, k))
    # Each cluster inherits at most one key: the best-supported one first (ties: the older story).
    choice: dict[int, str] = {}
    for key in sorted(votes, key=lambda key: (-max(votes[key])[0], oldest[key])):
        for _n, _rep, k in sorted(votes[key], reverse=True):
            if k not in choice:
                choice[k] = key
                break
    taken = set(choice.values()) | set(previous.values()) | set(in_use)
    out = []
    for k, cl in enumerate(clusters):
        inherited = choice.get(k)
        if inherited is not None:
            key = inherited
        else:
            key, n = cl.key, 1
            while key in taken:  # an old key now owned by another story: never reuse it
                n += 1
                key = f"{cl.key}-{n}"
            taken.add(key)
        out.append(dataclasses.replace(cl, key=key))
    return out
