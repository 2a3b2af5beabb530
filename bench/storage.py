"""Storage benchmark on both backends: insert rate, digest and domain-count queries, search, memory.

    uv run python bench/storage.py                 # 100,000 articles on SQLite and PostgreSQL
    uv run python bench/storage.py --n 5000 --backend sqlite

Articles are synthetic (a vocabulary written for this script), spread over 60 days and 12 outlets;
each is stored with one analysis, the way a nightly collect followed by nlp stores them. PostgreSQL
is the server named by MEDIAWATCH_TEST_PG_URL (default: postgres@127.0.0.1:5432); a scratch
database is created and dropped.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediawatch.records import Analysis, Article, Domain, Scope, Source, SourceKind, Tone
from storage import Store, open_store

WORDS = ["شهرداری", "رشت", "شورای", "شهر", "خیابان", "آسفالت", "ترافیک", "پسماند", "پارک", "فضای", "سبز", "بودجه", "درآمد", "عوارض", "پروانه", "ساختمان", "طرح", "تفصیلی", "بافت", "فرسوده", "گردشگری", "جشنواره", "فرهنگی", "کتابخانه", "اتوبوس", "تاکسی", "قطار", "شهری", "پل", "تقاطع", "پیاده\u200cرو", "باران", "آبگرفتگی", "معابر", "زباله", "سراوان", "شیرابه", "شهروندان", "مردم", "گلایه", "مشکل", "پیگیری", "مدیریت", "شهری", "شهردار", "جلسه", "بازدید", "پروژه", "عمرانی", "قرارداد", "سرمایه\u200cگذاری", "هوشمند", "سامانه", "الکترونیک", "میدان", "بازار", "سبزه\u200cمیدان", "گیلان", "استان", "انزلی", "لاهیجان", "منطقه", "محله", "کوچه", "بلوار", "گلسار", "حمل", "و", "نقل", "پارکینگ", "چراغ", "راهنمایی", "سد", "معبر", "دستفروش", "آتش\u200cنشانی", "ایمنی", "برف\u200cروبی", "درخت", "نهال", "رودخانه", "زرجوب", "گوهررود", "پسماندها", "می\u200cشود", "نمی\u200cشود", "خواهد", "شد", "گفت", "افزود", "اعلام", "کرد", "امروز", "دیروز", "هفته", "آینده", "سال", "ماه", "برنامه", "اجرای", "تکمیل", "آغاز", "پایان", "اعتبار", "میلیارد", "ریال", "تومان"]
# Beyond those, 20,000 made-up words of 3-7 letters; word frequencies follow Zipf's law as in real
# text, so that common words match most articles and rare ones few.
_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_rnd = random.Random(7)
VOCAB = list(dict.fromkeys(WORDS + ["".join(_rnd.choices(_LETTERS, k=_rnd.randint(3, 7))) for _ in range(20_000)]))
_CUM = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCAB))))
MID_WORD, RARE_WORD = VOCAB[300], VOCAB[5000]  # in roughly 15% and 1% of the articles
DOMAINS = list(Domain)
SOURCES = tuple(
    Source(id=f"outlet_{i}", name=f"رسانه {i}", homepage=f"https://outlet{i}.example", kind=list(SourceKind)[i % 6],
           scope=Scope.gilan) for i in range(12)
)
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60
BATCH = 500  # articles (and analyses) per call, as a nightly collect would hand them over


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def articles(n: int, seed: int = 42) -> Iterator[tuple[Article, Analysis]]:
    """n synthetic (article, analysis) pairs, generated lazily."""
    rnd = random.Random(seed)
    for i in range(n):
        when = START + timedelta(seconds=rnd.randrange(DAYS * 86400))
        words = rnd.choices(VOCAB, cum_weights=_CUM, k=180)
        body = "\n\n".join(" ".join(words[j : j + 45]) for j in range(0, 180, 45))
        title = " ".join(rnd.choices(VOCAB, cum_weights=_CUM, k=8))
        domain = rnd.choice(DOMAINS)
        art = Article(url=f"https://outlet{i % 12}.example/news/{i}", source_id=f"outlet_{i % 12}", title=title,
                      body=body, lead=" ".join(words[:25]), fetched_at=when + timedelta(hours=3), published_at=when)
        ana = Analysis(norm_title=title, norm_body=body, municipal=domain is not Domain.other, municipal_score=0.8,
                       domain=domain, domain_scores={str(domain): 0.7}, secondary=None, rasht=True, places=("رشت",),
                       concern=rnd.random() < 0.3, concern_score=rnd.random(), key_sentence=" ".join(words[:12]),
                       tone=Tone.neutral, model_version="bench-1")
        yield art, ana


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median milliseconds over `repeat` runs (after one warm-up), and the last result."""
    out = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def run(store: Store, n: int) -> dict[str, float]:
    """Insert n articles with analyses, then time the queries; the figures."""
    store.sync_sources(SOURCES)
    figures: dict[str, float] = {"rss_before_mb": rss_mb()}
    t0 = time.perf_counter()
    pairs = articles(n)
    done = 0
    while True:
        chunk = [p for _, p in zip(range(BATCH), pairs, strict=False)]
        if not chunk:
            break
        ids = store.add_articles([a for a, _ in chunk])
        store.save_analyses((i, ana) for i, (_, ana) in zip(ids, chunk, strict=True) if i is not None)
        done += len(chunk)
        if done == min(n, 10 * BATCH):
            figures["rss_after_10pct_mb"] = rss_mb()  # (or after 5,000 articles)
    elapsed = time.perf_counter() - t0
    store.optimize()  # planner statistics, as autovacuum / `db copy` would leave them
    figures["insert_articles_per_s"] = n / elapsed
    figures["insert_s"] = elapsed
    figures["rss_after_mb"] = rss_mb()
    day = START + timedelta(days=DAYS // 2)
    figures["digest_day_ms"], items = timed(lambda: store.digest_items(day, day + timedelta(days=1)))
    figures["digest_day_items"] = len(items)  # type: ignore[arg-type]
    figures["domain_counts_month_ms"], _ = timed(lambda: store.domain_counts(day - timedelta(days=30), day))
    figures["search_common_ms"], _ = timed(lambda: store.search("شهرداری رشت"))
    figures["search_mid_ms"], _ = timed(lambda: store.search(MID_WORD))
    figures["search_rare_ms"], _ = timed(lambda: store.search(RARE_WORD, domain="urban_services"))
    figures["search_halfspace_ms"], _ = timed(lambda: store.search("می شود", since=day))
    figures["common_share"] = _share(store, "شهرداری رشت", n)
    figures["mid_share"] = _share(store, MID_WORD, n)
    figures["rare_share"] = _share(store, RARE_WORD, n)
    return figures


def _share(store: Store, query: str, n: int) -> float:
    """Percentage of the articles a query matches (counted in the index, as search matches)."""
    from sqlalchemy import text

    from mediawatch.text import search_terms

    terms = search_terms(query)
    with store.engine.connect() as c:
        if store.dialect == "sqlite":
            q = " ".join(f'"{t}"*' for t in terms)
            hits = c.execute(text("SELECT count(*) FROM article_fts WHERE article_fts MATCH :q"), {"q": q}).scalar()
        else:
            q = " & ".join(f"'{t}':*" for t in terms)
            hits = c.execute(text("SELECT count(*) FROM article_search WHERE tsv @@ to_tsquery('simple', :q)"),
                             {"q": q}).scalar()
    return 100 * (hits or 0) / n


def bench_sqlite(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        store = open_store(f"sqlite:///{path}")
        try:
            figures = run(store, n)
        finally:
            store.close()
        figures["db_size_mb"] = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        return figures


def bench_postgresql(n: int) -> dict[str, float]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.db import normalise_url

    server = normalise_url(os.environ.get("MEDIAWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    name = f"mw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        store = open_store(make_url(server).set(database=name).render_as_string(hide_password=False))
        try:
            figures = run(store, n)
            with store.engine.connect() as c:
                figures["db_size_mb"] = c.execute(text("SELECT pg_database_size(current_database())")).scalar() / 1e6
        finally:
            store.close()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="articles to insert (default 100,000)")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    if args.backend == "both":  # one process per backend, so that each peak RSS is its own
        import subprocess

        for backend in ("sqlite", "postgresql"):
            subprocess.run([sys.executable, __file__, "--n", str(args.n), "--backend", backend], check=True)
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start (other work slows every figure)")
    for backend in (args.backend,):
        fig = (bench_sqlite if backend == "sqlite" else bench_postgresql)(args.n)
        print(f"\n== {backend}: {args.n:,} articles with analyses ==")
        print(f"insert:                  {fig['insert_articles_per_s']:,.0f} articles/s ({fig['insert_s']:.1f} s)")
        print(f"digest window, one day:  {fig['digest_day_ms']:.1f} ms ({fig['digest_day_items']:.0f} items)")
        print(f"domain counts, a month:  {fig['domain_counts_month_ms']:.1f} ms")
        print("search, top 20 (median of 5):")
        print(f"  common words (match {fig['common_share']:.0f}%):   {fig['search_common_ms']:.1f} ms")
        print(f"  mid word (match {fig['mid_share']:.1f}%):       {fig['search_mid_ms']:.1f} ms")
        print(f"  rare word + domain (match {fig['rare_share']:.1f}%): {fig['search_rare_ms']:.1f} ms")
        print(f"  «می شود» + since (a month): {fig['search_halfspace_ms']:.1f} ms")
        print(f"peak RSS: before {fig['rss_before_mb']:.0f} MB, after {min(args.n, 10 * BATCH):,} articles "
              f"{fig['rss_after_10pct_mb']:.0f} MB, after all {fig['rss_after_mb']:.0f} MB")
        print(f"database size: {fig['db_size_mb']:.0f} MB")


if __name__ == "__main__":
    main()
