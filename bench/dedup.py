"""Pairwise precision and recall of duplicate detection and story clustering.

Two labelled sets of pairs:
(a) the demo articles (demo/content/w*.jsonl, written by us): `copy_of` marks a republication
    (duplicate), a shared `story` key marks the same event reported differently; every other pair of
    articles is unrelated;
(b) syndicated copies in ../shared/data/corpus.jsonl, found independently of our method: two texts
    sharing at least 3 whole sentences of ≥ 60 characters are a duplicate pair. Only ids are used;
    no corpus text enters the repository. Skipped when ../shared is missing.

Each set is clustered twice: without encoder vectors (TF-IDF alone) and with the vectors the analyzer
stores, float16, when the encoder loads: `nlp.encoder.article_vectors` on `clean_article(...)` (the
title vector and the `window_text` vector side by side) where that function exists, else the
`window_text` vector alone (the layout before the joint model); stories read the window part of
either, so both give the same figures. Encodings are cached by text hash in $XDG_CACHE_HOME/mediawatch
(never in the repository): the first run encodes ~900 texts (about 1.5 min on one core), later runs
read them back.

Each demo writer gave `story` keys within their own file; the events reported in more than one file
share an `x-sNN` key, found by reading the articles (docs/nlp.md lists them and the look-alikes kept
apart), so every pair of the demo is labelled and same-story figures are over all pairs. `--errors`
lists the same-story pairs predicted but not labelled, and labelled but missed, by article id.

    uv run python bench/dedup.py [--errors]
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mediawatch.records import ClusterItem  # noqa: E402
from nlp.dedup import _window_half, cluster_stories  # noqa: E402
from nlp.encoder import CachedEncoder, article_vectors, encode_vector, get_encoder  # noqa: E402
from nlp.normalize import clean_article, fold  # noqa: E402

REF = datetime(2025, 3, 1, tzinfo=UTC)
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mediawatch"


def with_vectors(items: list[ClusterItem]) -> list[ClusterItem] | None:
    """The items with the vectors the analyzer would store for them; None when the encoder cannot load."""
    enc = get_encoder()
    if enc is None:
        return None
    # Vectors by text hash between runs, one file per encoder (CachedEncoder's keys do not name it).
    cache = CACHE_DIR / f"bench-dedup-{''.join(c if c.isalnum() else '_' for c in enc.name)}.npz"
    cached = CachedEncoder(enc, cache)
    vectors = article_vectors(cached, [(it.norm_title, it.norm_body) for it in items])
    cached.save()
    print(f"  stored vectors: {vectors.shape[1]} dimensions (nlp.encoder.article_vectors, cached in {cache})")
    return [dataclasses.replace(it, embedding=encode_vector(v)) for it, v in zip(items, vectors, strict=True)]


def variants(items: list[ClusterItem]) -> list[tuple[str, list[ClusterItem]]]:
    """(label, items) to cluster: without vectors, and with them when the encoder loads."""
    out = [("TF-IDF only", items)]
    vec = with_vectors(items)
    if vec is None:
        print("  (encoder unavailable: figures with vectors skipped)")
    else:
        out.append(("with vectors", vec))
        v = np.stack([np.frombuffer(it.embedding or b"", dtype="<f2").astype(np.float32) for it in vec])
        v = _window_half(v)  # what stories compare
        cos = (v @ v.T)[np.triu_indices(len(v), 1)]
        print(f"  window-vector cosine over all pairs: median {np.median(cos):.3f} "
              f"(EMBED_BASELINE sits above)")
    return out


def _pr(pred: set, gold: set) -> tuple[float, float, int, int]:
    tp = len(pred & gold)
    return (tp / len(pred) if pred else 1.0), (tp / len(gold) if gold else 1.0), len(pred), len(gold)


def _predicted(items: list[ClusterItem]) -> tuple[set, set]:
    """(duplicate pairs, same-cluster pairs) of article ids predicted by cluster_stories."""
    clusters = cluster_stories(items)
    dup, same = set(), set()
    for c in clusters:
        root = {}
        for m in c.member_ids:
            r = m
            while r in c.duplicate_of:
                r = c.duplicate_of[r]
            root[m] = r
        for a, b in itertools.combinations(sorted(c.member_ids), 2):
            same.add((a, b))
            if root[a] == root[b]:
                dup.add((a, b))
    return dup, same


def demo() -> None:
    rows = []
    for f in sorted((ROOT / "demo" / "content").glob("w*.jsonl")):
        if f.name.endswith(".labels.jsonl"):
            continue
        rows += [json.loads(line) for line in f.open(encoding="utf-8") if line.strip()]
    if not rows:
        print("demo: no demo/content/w*.jsonl yet")
        return
    ids = {r["id"]: i for i, r in enumerate(rows)}
    items = []
    for i, r in enumerate(rows):
        body = r["body"] if isinstance(r["body"], str) else "\n\n".join(r["body"])
        t, b = clean_article(r["title"], r.get("lead") or "", body)
        h, m = (int(x) for x in (r.get("time") or "12:00").split(":"))
        when = REF - timedelta(days=int(r.get("day_offset") or 1)) + timedelta(hours=h, minutes=m)
        items.append(ClusterItem(article_id=i, source_id=r.get("site", ""), published_at=when, fetched_at=when,
                                 norm_title=t, norm_body=b))

    def origin(i: int) -> int:
        seen = set()
        while rows[i].get("copy_of") in ids and i not in seen:
            seen.add(i)
            i = ids[rows[i]["copy_of"]]
        return i

    gold_dup, gold_same = set(), set()
    for a, b in itertools.combinations(range(len(rows)), 2):
        if origin(a) == origin(b):
            gold_dup.add((a, b))
            gold_same.add((a, b))
        elif rows[a].get("story") and rows[a].get("story") == rows[b].get("story"):
            gold_same.add((a, b))
    n_pairs = len(rows) * (len(rows) - 1) // 2
    print(f"demo ({len(rows)} articles, {n_pairs} pairs):")
    for label, its in variants(items):
        dup, same = _predicted(its)
        p, r, npred, ngold = _pr(dup, gold_dup)
        print(f"demo [{label}]: duplicates  precision {p:.3f} recall {r:.3f} (predicted {npred}, labelled {ngold})")
        p, r, npred, ngold = _pr(same, gold_same)
        print(f"demo [{label}]: same story (incl. duplicates)  precision {p:.3f} recall {r:.3f} "
              f"(predicted {npred}, labelled {ngold})")
        if "--errors" in sys.argv:
            for what, pairs in (("predicted, not labelled", same - gold_same), ("labelled, missed", gold_same - same)):
                print(f"  {what}: " + (", ".join(f"{rows[a]['id']}~{rows[b]['id']}" for a, b in sorted(pairs)) or "none"))


_SENT = re.compile(r"(?<=[.!؟?])\s+|\n+")


def corpus() -> None:
    from nlp.train import shared_data_dir

    path = shared_data_dir() / "corpus.jsonl"
    if not path.exists():
        print(f"corpus: skipped ({path} missing)")
        return
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    # Independent silver labels: ≥ 3 shared whole sentences of ≥ 60 characters.
    by_sent: dict[str, set[int]] = {}
    for i, r in enumerate(rows):
        for s in {fold(s) for s in _SENT.split(r["text"]) if len(s) >= 60}:
            by_sent.setdefault(s, set()).add(i)
    shared: dict[tuple[int, int], int] = {}
    for members in by_sent.values():
        if 1 < len(members) <= 20:
            for a, b in itertools.combinations(sorted(members), 2):
                shared[(a, b)] = shared.get((a, b), 0) + 1
    gold = {p for p, k in shared.items() if k >= 3}
    involved = sorted({i for p in gold for i in p})
    # Evaluate on the involved texts plus an equal number of random others (as distractors).
    import random

    rng = random.Random(3)
    others = rng.sample([i for i in range(len(rows)) if i not in set(involved)], min(len(involved), 1000))
    pick = involved + others
    items = []
    for i in pick:
        t, b = clean_article(rows[i].get("title") or "", "", rows[i]["text"])
        items.append(ClusterItem(article_id=i, source_id=rows[i].get("source_outlet") or "", published_at=REF,
                                 fetched_at=REF, norm_title=t, norm_body=b))
    print(f"corpus syndicated copies ({len(pick)} texts, silver pairs: ≥3 shared sentences):")
    for label, its in variants(items):
        dup, _same = _predicted(its)
        p, r, npred, ngold = _pr(dup, gold)
        print(f"corpus [{label}]: duplicates  precision {p:.3f} recall {r:.3f} (predicted {npred}, labelled {ngold})")
    out = ROOT / "bench" / "dedup_corpus_pairs.json"
    out.write_text(json.dumps(sorted([rows[a]["id"], rows[b]["id"]] for a, b in gold), indent=0) + "\n")


if __name__ == "__main__":
    demo()
    corpus()
