"""Throughput of nlp: normalise + dedupe + classify 5,000 articles of ~3,000 characters on 2 cores.

Reads ../shared/data/corpus.jsonl texts when present (cut or repeated to ~3,000 characters), otherwise
builds synthetic Persian text. Prints articles/s and its ratio to hazm's Normalizer alone on one core.

    uv run python bench/process.py [--n 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
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
            while len(text) < TARGET_CHARS:
                text += "\n\n" + rows[rng.randrange(len(rows))]["text"]
            out.append((r.get("title") or "", text[:TARGET_CHARS]))
        return out, f"corpus.jsonl ({len(rows)} texts, cycled)"
    out = []
    for _ in range(n):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < TARGET_CHARS:
            words.append(rng.choice(_WORDS))
        out.append((" ".join(words[:10]), " ".join(words)))
    return out, "synthetic"


def _work(chunk: list[tuple[str, str]]) -> list[tuple[str, str, bool, str]]:
    """Normalise and classify one chunk in a worker; returns (norm_title, norm_body, municipal, domain)."""
    from nlp.analyze import Analyzer
    from nlp.normalize import clean_article

    an = _work.analyzer if hasattr(_work, "analyzer") else Analyzer.load()
    _work.analyzer = an  # type: ignore[attr-defined]
    cleaned = [clean_article(t, "", x) for t, x in chunk]
    res = an.analyze_normalized(cleaned)
    return [(t, b, a.municipal, a.domain.value) for (t, b), a in zip(cleaned, res, strict=True)]


def _warm() -> None:
    from nlp.analyze import Analyzer
    from nlp.normalize import normalize

    _work.analyzer = Analyzer.load()  # type: ignore[attr-defined]
    normalize("گرم کردن")


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
    ap.add_argument("--chunk", type=int, default=250)
    args = ap.parse_args()

    from mediawatch.records import ClusterItem
    from nlp.dedup import cluster_stories

    texts, origin = load_texts(args.n)
    ref = hazm_alone(texts[:300])
    chunks = [texts[i : i + args.chunk] for i in range(0, len(texts), args.chunk)]
    ctx = mp.get_context("fork")
    with ctx.Pool(args.workers, initializer=_warm) as pool:
        pool.map(_warm_noop, range(args.workers))
        t0 = time.perf_counter()
        results = [r for part in pool.imap(_work, chunks) for r in part]
        t_classify = time.perf_counter() - t0
        t1 = time.perf_counter()
        base = datetime(2025, 1, 1, tzinfo=UTC)
        items = [ClusterItem(article_id=i, source_id="bench", published_at=base + timedelta(minutes=i),
                             fetched_at=base + timedelta(minutes=i), norm_title=t, norm_body=b)
                 for i, (t, b, _m, _d) in enumerate(results)]
        clusters = cluster_stories(items)
        t_dedup = time.perf_counter() - t1
    total = t_classify + t_dedup
    rate = len(texts) / total
    print(f"texts: {origin}; {len(texts)} articles, mean {sum(len(x) for _, x in texts) / len(texts):.0f} chars")
    print(f"normalise+classify: {t_classify:.1f} s on {args.workers} workers; dedupe+stories: {t_dedup:.1f} s "
          f"({len(clusters)} clusters)")
    print(f"hazm Normalizer alone (1 core): {ref:.0f} articles/s")
    print(f"mediawatch nlp: {rate:.0f} articles/s  (ratio to hazm alone: {rate / ref:.2f}×; target ≥ 800/s)")


def _warm_noop(_: int) -> None:
    time.sleep(0.05)


if __name__ == "__main__":
    main()
