"""Throughput of nlp: normalise + dedupe + classify 5,000 articles of ~3,000 characters on 2 cores.

Reads ../shared/data/corpus.jsonl texts when present (cut or repeated to ~3,000 characters), otherwise
builds synthetic Persian text. Prints articles/s and its ratio to hazm's Normalizer alone on one core.

    uv run python bench/process.py [--n 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_CHARS = 3000
_WORDS = ["شهرداری", "رشت", "خیابان", "پارک", "زباله", "پسماند", "آسفالت", "ترافیک", "شورای", "شهر", "شهروندان", "گلسار", "بودجه", "عوارض", "پروانه", "ساختمانی", "فرهنگسرا", "جشنواره", "می\u200cشود", "کرد", "گفت", "این", "آن", "در", "با", "از", "به", "برای", "که", "را", "است", "بود", "خواهد"]


def load_texts(n: int) -> tuple[list[tuple[str, str]], str]:
    """n (title, text) pairs of ~TARGET_CHARS characters, and where they came from."""
    from nlp.train import shared_data_dir

    corpus = shared_data_dir() / "corpus.jsonl"
    rng = random.Random(7)
    if corpus.exists():
        rows = [json.loads(line) for line in corpus.open(encoding="utf-8")]
        out = []
        for i in range(n):
            r = rows[i % len(rows)]
            text = r["text"]
            # A short text is lengthened with itself: padding it with other texts' paragraphs made
            # every article share whole paragraphs with 2–3 random others, a web of copies no real
            # day has, which turned story detection into one giant chain.
            while len(text) < TARGET_CHARS:
                text += "\n\n" + r["text"]
            out.append((r.get("title") or "", text[:TARGET_CHARS]))
        return out, f"corpus.jsonl ({len(rows)} texts, cycled; short ones repeated to length)"
    out = []
    for _ in range(n):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < TARGET_CHARS:
            words.append(rng.choice(_WORDS))
        out.append((" ".join(words[:10]), " ".join(words)))
    return out, "synthetic"


def _normalise(chunk: list[tuple[str, str]]) -> tuple[list[tuple[str, str, object]], float]:
    """Clean and normalise one chunk in a worker: (norm_title, norm_body, shingle hashes for dedupe),
    and the CPU seconds it took."""
    from nlp.dedup import item_shingles
    from nlp.normalize import clean_article

    cpu = time.process_time()
    out = []
    for t, x in chunk:
        nt, nb = clean_article(t, "", x)
        out.append((nt, nb, item_shingles(nt, nb)))
    return out, time.process_time() - cpu


def _classify(chunk: list[tuple[str, str]]) -> tuple[list[tuple[bool, str]], float]:
    """Classify one chunk of normalised articles in a worker: (municipal, domain), and its CPU seconds."""
    cpu = time.process_time()
    out = [(a.municipal, a.domain.value) for a in _work_analyzer().analyze_normalized(chunk)]
    return out, time.process_time() - cpu


def _work_analyzer():
    from nlp.analyze import Analyzer

    if not hasattr(_work_analyzer, "an"):
        _work_analyzer.an = Analyzer.load()  # type: ignore[attr-defined]
    return _work_analyzer.an  # type: ignore[attr-defined]


def _warm() -> None:
    from nlp.normalize import normalize

    _work_analyzer().analyze_normalized([("گرم", normalize("گرم کردن شهرداری رشت"))])


def hazm_alone(texts: list[tuple[str, str]]) -> float:
    """Articles/s of hazm's Normalizer alone, one core."""
    from hazm import Normalizer

    n = Normalizer()
    t0 = time.perf_counter()
    for title, text in texts:
        n.normalize(title)
        n.normalize(text)
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=100)
    args = ap.parse_args()

    from mediawatch.records import ClusterItem
    from nlp.dedup import cluster_stories

    texts, origin = load_texts(args.n)
    ref = hazm_alone(texts[:1000])  # ~4 s: long enough to steady the reference on a shared machine
    chunks = [texts[i : i + args.chunk] for i in range(0, len(texts), args.chunk)]
    base = datetime(2025, 1, 1, tzinfo=UTC)
    ctx = mp.get_context("fork")
    with ctx.Pool(args.workers, initializer=_warm) as pool:
        pool.map(_warm_noop, range(args.workers))
        _warm()  # the parent dedupes: load what it needs before the clock starts
        t0 = time.perf_counter()
        # 1. normalise in the workers; 2. classify in the workers while this process dedupes (2 cores busy).
        norm_done = pool.map(_normalise, chunks)
        t_norm = time.perf_counter() - t0
        norm_chunks = [part for part, _cpu in norm_done]
        pending = pool.map_async(_classify, [[(t, b) for t, b, _s in part] for part in norm_chunks])
        t1 = time.perf_counter()
        cpu_dedup = time.process_time()
        normed = [r for part in norm_chunks for r in part]
        items = [ClusterItem(article_id=i, source_id="bench", published_at=base + timedelta(minutes=i),
                             fetched_at=base + timedelta(minutes=i), norm_title=t, norm_body=b)
                 for i, (t, b, _s) in enumerate(normed)]
        clusters = cluster_stories(items, shingles=[s for _t, _b, s in normed])
        t_dedup = time.perf_counter() - t1
        cpu_dedup = time.process_time() - cpu_dedup
        classify_done = pending.get()
        labels = [r for part, _cpu in classify_done for r in part]
        t_classify = time.perf_counter() - t1
    assert len(labels) == len(texts)
    total = time.perf_counter() - t0
    rate = len(texts) / total
    print(f"texts: {origin}; {len(texts)} articles, mean {sum(len(x) for _, x in texts) / len(texts):.0f} chars")
    print(f"normalise: {t_norm:.1f} s on {args.workers} workers; then classify ({t_classify:.1f} s, workers) "
          f"alongside dedupe+stories ({t_dedup:.1f} s, parent; {len(clusters)} clusters)")
    cpu = {"normalise": sum(c for _p, c in norm_done), "classify": sum(c for _p, c in classify_done),
           "dedupe+stories": cpu_dedup}
    per = {k: v / len(texts) * 1000 for k, v in cpu.items()}
    print("CPU per article: " + ", ".join(f"{k} {v:.2f} ms" for k, v in per.items())
          + f"; total {sum(per.values()):.2f} ms → at most {args.workers * 1000 / sum(per.values()):.0f} "
          f"articles/s on {args.workers} idle cores")
    print(f"hazm Normalizer alone (1 core): {ref:.0f} articles/s")
    print(f"mediawatch nlp: {rate:.0f} articles/s  (ratio to hazm alone: {rate / ref:.2f}×; target ≥ 800/s)")
    print(f"load average (1, 5, 15 min): {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def _warm_noop(_: int) -> None:
    time.sleep(0.05)


if __name__ == "__main__":
    main()
