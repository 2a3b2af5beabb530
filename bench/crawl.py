"""Crawler benchmark: many loopback news sites, per-host interval 0.2 s. Prints its figures.

    uv run python bench/crawl.py [--sites 40] [--articles 50] [--interval 0.2] [--parse-workers 2]

Figures (issue "Collect"):
  1. politeness efficiency = wall time / lower bound, where the lower bound is the largest number of
     requests to one host (counted by the sites' servers) times its interval (goal <= 1.2);
  2. request overhead = requests made / minimum needed (robots + feed + one per article; goal <= 1.05);
  3. second run with nothing new: requests per site, and how many feeds answered 304;
  4. parser speed: articles/s over the Fundus-style fixtures (one core).

The sites run in a child process (their threads do not share the crawler's GIL) and serve responses
rendered beforehand, status line and headers included, in one write: the server's CPU time is
printed next to the crawler's so one can see which side is busy. The load average is printed too:
on a shared machine the first figure depends on it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mediawatch.ports import MemoryState
from mediawatch.records import Scope, Source, SourceKind
from mediawatch.settings import Settings
from scrapers.collect import collect_all
from scrapers.fetch import PoliteClient

PARAGRAPH = ("شهرداری رشت اعلام کرد عملیات بهسازی معابر محله‌های گلسار و منظریه از هفته آینده آغاز می‌شود "
             "و شهروندان می‌توانند گلایه‌های خود را از طریق سامانه ۱۳۷ ثبت کنند.")


def article_page(site: int, i: int, when: datetime) -> bytes:
    related = "".join(f'<li><a href="/news/{j}/x">خبر مرتبط {j}</a></li>' for j in range(10))
    body = "".join(f"<p>{PARAGRAPH} ({site}-{i}-{k})</p>" for k in range(8))
    return f"""<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8">
<title>خبر {i} سایت {site}</title><meta property="article:published_time" content="{when.isoformat()}">
<script>var a = 1;</script></head><body><header><nav><ul>{related}</ul></nav></header>
<main><article class="post"><span class="rootitr">گزارش</span><h1 class="entry-title">خبر شماره {i} از سایت {site} درباره رشت</h1>
<div class="excerpt">خلاصه خبر {i}.</div><div class="entry-content">{body}<div class="sharedaddy">اشتراک</div></div>
<footer><a rel="tag" href="/tag/rasht">رشت</a><a rel="category tag" href="/c/1">شهری</a></footer></article>
<aside class="related"><ul>{related}</ul></aside></main><footer>© سایت {site}</footer></body></html>""".encode()


def response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """A whole HTTP/1.1 response as bytes, built once."""
    head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Content-Length": str(len(body))}.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1") + body


class Site:
    """One generated news site on its own loopback port (feed with ETag, articles, robots.txt)."""

    def __init__(self, n: int, articles: int, now: datetime) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {"/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /admin\n")}
        items = []
        for i in range(articles):
            when = now - timedelta(minutes=10 * (i + 1))
            self.pages[f"/news/{i}/x"] = ("text/html; charset=utf-8", article_page(n, i, when))
            items.append((i, when))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        feed = "".join(f"<item><title>خبر {i}</title><link>{base}/news/{i}/x</link><pubDate>{format_datetime(w)}</pubDate></item>" for i, w in items)
        self.pages["/feed"] = ("application/rss+xml", f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>s</title>{feed}</channel></rss>'.encode())
        self.etag = '"' + hashlib.sha1(self.pages["/feed"][1]).hexdigest()[:12] + '"'
        self.base = base
        self.hits = 0
        self._lock = threading.Lock()
        # Every answer rendered beforehand: serving is a dict lookup and one write.
        self.responses = {
            path: response("200 OK", {"Content-Type": ctype, **({"ETag": self.etag} if path == "/feed" else {})}, body)
            for path, (ctype, body) in self.pages.items()
        }
        self.not_modified = response("304 Not Modified", {"ETag": self.etag})
        self.not_found = response("404 Not Found", {})
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.hits += 1
                if self.path == "/feed" and self.headers.get("If-None-Match") == site.etag:
                    self.wfile.write(site.not_modified)
                else:
                    self.wfile.write(site.responses.get(self.path, site.not_found))

        return H


def parser_speed(seconds: float = 3.0) -> float:
    """Articles parsed per second over the fixtures, on one core."""
    from scrapers.charset import decode_html
    from scrapers.fixtures import FIXTURE_NOW, fixture_pages
    from scrapers.parsers import get_parser

    fixtures = Path(__file__).resolve().parents[1] / "tests" / "fixtures"  # the checkout's parser fixtures
    pages = [(p.parent.name, decode_html(p.read_bytes())) for p in fixture_pages(fixtures)]
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for family, html in pages:
            get_parser(family).parse(html, "https://bench.invalid/a", now=FIXTURE_NOW)
            n += 1
    return n / (time.perf_counter() - t0)


LAGS: list[float] = []  # how late the event loop woke a 10 ms sleeper during the last crawl (s)


async def watch_loop(step: float = 0.01) -> None:
    """Record how late the loop wakes a sleeper: a late wake-up is a late request for every host."""
    while True:
        t = time.monotonic()
        await asyncio.sleep(step)
        LAGS.append(time.monotonic() - t - step)


async def crawl(sources: list[Source], store: MemoryState, settings: Settings, parse_workers: int) -> tuple[float, int, float]:
    """(wall seconds, requests sent, crawler CPU seconds) of one collect_all run."""
    LAGS.clear()
    watcher = asyncio.create_task(watch_loop())
    async with PoliteClient(settings) as client:
        t0, cpu0 = time.monotonic(), time.process_time()
        reports = await collect_all(sources, state=store, sink=store, settings=settings, client=client, parse_workers=parse_workers)
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    watcher.cancel()
    bad = [r for r in reports if r.fatal or r.failed]
    if bad:
        raise SystemExit(f"bench crawl had failures: {bad[:3]}")
    return wall, client.requests, cpu


def serve_sites(n: int, articles: int, conn) -> None:  # type: ignore[no-untyped-def]
    """Child process: run the sites (so their Python threads do not share the crawler's GIL)."""
    now = datetime.now(UTC)
    sites = [Site(i, articles, now) for i in range(n)]
    conn.send([s.base for s in sites])
    while True:
        msg = conn.recv()
        if msg == "hits":  # requests per site so far, and the server process's CPU seconds
            conn.send(([s.hits for s in sites], time.process_time()))
        else:
            break
    for s in sites:
        s.server.shutdown()


def source_for(base: str, interval: float) -> Source:
    return Source(id="site" + base.rsplit(":", 1)[1], name="bench", homepage=base + "/", kind=SourceKind.news_site,
                  scope=Scope.gilan, feeds=(base + "/feed",), parser="wordpress", min_interval_s=interval)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=40)
    ap.add_argument("--articles", type=int, default=50)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--parse-workers", type=int, default=0, help="processes parsing pages (0: in the event loop)")
    args = ap.parse_args()
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve_sites, args=(args.sites, args.articles, child), daemon=True)
    server.start()
    sources = [source_for(base, args.interval) for base in parent.recv()]
    settings = Settings(global_concurrency=8)
    store = MemoryState()

    def server_counts() -> tuple[list[int], float]:
        parent.send("hits")
        return parent.recv()

    load0 = os.getloadavg()[0]
    hits0, server_cpu0 = server_counts()
    wall, requests, cpu = asyncio.run(crawl(sources, store, settings, args.parse_workers))
    hits1, server_cpu1 = server_counts()
    per_host = [b - a for a, b in zip(hits0, hits1, strict=True)]
    lower_bound = max(per_host) * args.interval  # the busiest host's requests, each a full interval apart
    minimum = (args.articles + 2) * args.sites  # robots.txt, feed, one per article
    assert len(store.articles) == args.sites * args.articles, len(store.articles)
    print(f"first run : {len(store.articles)} articles from {args.sites} sites in {wall:.2f} s "
          f"(lower bound {max(per_host)} requests x {args.interval:g} s = {lower_bound:.2f} s) "
          f"-> politeness efficiency {wall / lower_bound:.2f} (goal <= 1.2)")
    print(f"            requests {requests} (server saw {sum(per_host)}) / minimum {minimum} -> overhead {requests / minimum:.3f} (goal <= 1.05)")
    lags = sorted(LAGS)
    print(f"            event loop late by {1000 * lags[len(lags) // 2]:.1f} ms (median), {1000 * lags[int(len(lags) * 0.99)]:.1f} ms (p99), "
          f"{1000 * lags[-1]:.1f} ms (max) against a host interval of {1000 * args.interval:.0f} ms")
    print(f"            CPU: crawler {cpu:.1f} s ({cpu / wall:.0%} of a core), sites' server {server_cpu1 - server_cpu0:.1f} s; "
          f"load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)")

    wall2, requests2, _ = asyncio.run(crawl(sources, store, settings, args.parse_workers))
    hits2, _ = server_counts()
    not_modified = sum(1 for e in store.events if e.outcome == "not_modified")
    print(f"second run: nothing new; {requests2} requests for {args.sites} sites ({requests2 / args.sites:.1f} per site: "
          f"robots.txt + feed), {not_modified}/{args.sites} feeds answered 304, {wall2:.2f} s; "
          f"server saw {sum(hits2) - sum(hits1)} requests")
    speed = parser_speed()
    print(f"parser    : {speed:.0f} articles/s over the fixtures ({1000 / speed:.2f} ms a page, one core)")
    parent.send("stop")
    server.join(5)


if __name__ == "__main__":
    main()
