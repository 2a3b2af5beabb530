"""Benchmark: 30 days of 20,000 analysed articles in SQLite; the morning digest plus all five briefs.

    uv run python bench/digest.py [--articles 20000] [--days 30] [--db PATH]

Loads the articles through the storage API (articles, analyses, story clusters, a nightly run),
then times `make_morning_digest` + `make_briefs` (read, select, rank, render HTML/Markdown/JSON,
archive, record). The goal is under 5 s. Prints the figures.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

# Run as a script, bench/ is first on sys.path and bench/storage.py would shadow the storage package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from digests.periods import digest_period  # noqa: E402
from digests.run import make_briefs, make_morning_digest  # noqa: E402
from mediawatch.records import (  # noqa: E402
    WORKING_GROUPS,
    Analysis,
    Article,
    Cluster,
    Domain,
    Scope,
    Source,
    SourceKind,
    SourceReport,
    Tone,
)
from mediawatch.settings import Settings  # noqa: E402
from storage import open_store  # noqa: E402

GOAL_S = 5.0
DAY = date(2026, 11, 25)  # a Wednesday: the digest covers Tuesday 07:00 → Wednesday 07:00 Tehran
KINDS = list(SourceKind)
DOMAINS = [*WORKING_GROUPS, Domain.management, Domain.other]
DOMAIN_WEIGHTS = [18, 18, 12, 22, 10, 10, 10]
WORDS = [
    "شهرداری",
    "رشت",
    "زباله",
    "ترافیک",
    "پارک",
    "میدان",
    "شهدا",
    "گلسار",
    "بودجه",
    "شورا",
    "پروژه",
    "پل",
    "خیابان",
    "بازار",
    "آب",
    "باران",
    "سیل",
]


def _sources(n: int = 40) -> list[Source]:
    return [
        Source(
            id=f"s{k:02d}",
            name=f"رسانه {k}",
            homepage=f"https://s{k:02d}.example/",
            kind=KINDS[k % len(KINDS)],
            scope=Scope.gilan,
        )
        for k in range(n)
    ]


def load(store, n_articles: int, days: int, seed: int = 5) -> None:
    """Fill `store` with `n_articles` over the `days` days before the digest, in stories of 1–6 articles."""
    rng = random.Random(seed)
    sources = _sources()
    store.sync_sources(sources)
    end = digest_period(DAY)[1]
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    articles, stories = [], []
    while len(articles) < n_articles:
        size = min(rng.choice([1, 1, 1, 2, 2, 3, 4, 6]), n_articles - len(articles))
        at = start + timedelta(seconds=rng.uniform(0, span - 7200))
        domain = rng.choices(DOMAINS, DOMAIN_WEIGHTS)[0]
        concern = domain in WORKING_GROUPS and rng.random() < 0.35
        title = " ".join(rng.choices(WORDS, k=7))
        members = []
        for _ in range(size):
            src = rng.choice(sources)
            n = len(articles)
            published = at + timedelta(minutes=rng.uniform(0, 120))
            articles.append(
                Article(
                    url=f"https://{src.id}.example/news/{n}",
                    source_id=src.id,
                    title=f"{title} {n}",
                    body=f"{title}. " * 20,
                    lead=title,
                    fetched_at=published + timedelta(minutes=30),
                    published_at=published,
                )
            )
            members.append((n, domain, concern, rng.random() < 0.6))
        stories.append(members)
    t0 = time.perf_counter()
    ids = store.add_articles(articles)
    analyses = []
    clusters = []
    for members in stories:
        member_ids = [ids[n] for n, *_ in members]
        for n, domain, concern, rasht in members:
            tone = rng.choice([Tone.negative, Tone.neutral, Tone.positive]) if rng.random() < 0.7 else None
            analyses.append(
                (
                    ids[n],
                    Analysis(
                        norm_title=articles[n].title,
                        norm_body="",
                        municipal=tone is not None,
                        municipal_score=0.5,
                        domain=domain,
                        domain_scores={str(domain): 0.9},
                        secondary=None,
                        rasht=rasht,
                        places=("رشت",) if rasht else (),
                        concern=concern,
                        concern_score=0.8 if concern else 0.1,
                        key_sentence=articles[n].title if concern else "",
                        tone=tone,
                        model_version="bench",
                    ),
                )
            )
        if len(member_ids) > 1:
            clusters.append(
                Cluster(
                    key=f"k{member_ids[0]}", representative_id=member_ids[0], member_ids=tuple(member_ids)
                )
            )
    store.save_analyses(analyses)
    store.save_clusters(clusters)
    run = store.start_run("nightly")
    store.finish_run(run, status="partial", reports=[SourceReport(source_id="s03", fatal="timeout")])
    print(
        f"loaded {len(articles):,} articles in {len(stories):,} stories over {days} days "
        f"in {time.perf_counter() - t0:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figure; exit 1 when over the goal."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.sqlite"
        store = open_store(f"sqlite:///{db}")
        try:
            if store.count_articles() == 0:
                load(store, args.articles, args.days)
            settings = Settings(data_dir=Path(tmp))
            out = Path(tmp) / "out"
            t0 = time.perf_counter()
            digest = make_morning_digest(store, DAY, out_dir=out, settings=settings)
            t1 = time.perf_counter()
            briefs = make_briefs(store, DAY, out_dir=out, settings=settings)
            t2 = time.perf_counter()
        finally:
            store.close()
        # The same five briefs on a freshly opened store (nothing reused from the digest's reads).
        cold_store = open_store(f"sqlite:///{db}")
        try:
            t3 = time.perf_counter()
            make_briefs(cold_store, DAY, out_dir=out, settings=settings)
            cold = time.perf_counter() - t3
        finally:
            cold_store.close()
    total = t2 - t0
    print(
        f"morning digest: {digest.doc.figures.articles:,} articles in the period, "
        f"{len(digest.doc.top_concerns)} top concerns, {t1 - t0:.2f} s"
    )
    print(
        f"five daily briefs: {sum(b.doc.figures.articles for b in briefs):,} articles listed, {t2 - t1:.2f} s"
    )
    print(f"five daily briefs alone on a freshly opened store (no reads reused): {cold:.2f} s")
    print(
        f"digest + 5 briefs (read, rank, render html/md/json, archive, record): {total:.2f} s "
        f"(goal < {GOAL_S:.0f} s) {'OK' if total < GOAL_S else 'TOO SLOW'}"
    )
    return 0 if total < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
