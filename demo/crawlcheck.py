"""Crawl the demo sites with the real crawler and compare with `DemoSites.expected()`; prints figures.

    uv run python -m demo.crawlcheck [--day YYYY-MM-DD]

Prints the crawl time, what each source gave, and recall/precision of the collected URLs, titles and
dates against what a correct crawler should collect. Exit code 1 when an expected article is missing.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import unquote

from demo.server import DemoSites
from mediawatch.ports import MemoryState
from mediawatch.timeutil import parse_date_arg, tehran_midnight

# The demo publishes over the 24 days before its reference day; 30 days back covers them all.
BACKFILL_DAYS = 30


def main(argv: list[str] | None = None) -> int:
    """Run the check and print its figures."""
    from scrapers.collect import collect

    ap = argparse.ArgumentParser(prog="python -m demo.crawlcheck", description=__doc__.splitlines()[0])
    ap.add_argument("--day", default=None, help="reference day (default: today in Tehran)")
    args = ap.parse_args(argv)
    day = parse_date_arg(args.day) if args.day else None
    with DemoSites(day) as demo:
        memory = MemoryState()
        since = tehran_midnight(demo.reference_day) - timedelta(days=BACKFILL_DAYS)
        started = time.monotonic()
        reports = collect(demo.sources(), state=memory, sink=memory, since=since, allow_private=True)
        seconds = time.monotonic() - started
        expected = {e.url: e for e in demo.expected()}
        broken = dict(demo.broken_urls())
    got = {unquote(u): a for u, a in memory.articles.items()}
    print(
        f"crawl of {len(demo.articles)} demo articles on 6 sites: {seconds:.1f} s, "
        f"{len(memory.events)} fetches"
    )
    for r in reports:
        print(
            f"  {r.source_id:<11} found {r.found:>3}  new {r.new:>3}  failed {r.failed}  skipped {r.skipped}"
            + (f"  FATAL: {r.fatal}" if r.fatal else "")
        )
    missing = [e for u, e in expected.items() if u not in got]
    extra = [u for u in got if u not in expected]
    hit = len(expected) - len(missing)
    print(
        f"recall {hit}/{len(expected)} = {hit / max(1, len(expected)):.3f}; "
        f"precision {hit}/{len(got)} = {hit / max(1, len(got)):.3f}"
    )
    titles = sum(1 for u, e in expected.items() if u in got and got[u].title == e.title)
    dates = sum(1 for u, e in expected.items() if u in got and got[u].published_at == e.published_at)
    print(f"titles exact {titles}/{hit}; published_at exact {dates}/{hit}")
    print(f"extra URLs by broken flag: {dict(Counter(broken.get(u, 'not broken') for u in extra))}")
    for e in missing[:10]:
        print(f"  missing: {e.site} {e.url}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
