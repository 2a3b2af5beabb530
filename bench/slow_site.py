"""A night with one hanging site: how long collection takes with the per-source time budget. Prints its figure.

    uv run python bench/slow_site.py [--good 5] [--articles 20] [--hanging 200] [--budget 20] [--timeout 20]

Good loopback sites serve `--articles` pages each; one more site lists `--hanging` pages that never
answer (the case of issue 13: 200 stuck pages held the night for over an hour). Politeness is the
production one (3 retries, `--timeout` per request, four pages of a source in flight) except the
host interval (0.05 s, so the good sites finish quickly). Printed: the collection's wall time against
the budget, what the good sites gave, how the hanging one is reported, and what the hanging pages
would have cost without a budget (pages / 4 in flight × 4 tries × the timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mediawatch.ports import MemoryState
from mediawatch.records import Scope, Source, SourceKind
from mediawatch.settings import Settings
from scrapers.collect import PAGE_WORKERS, collect_all

STOP = threading.Event()


def page(title: str, when: datetime) -> bytes:
    return (f'<!DOCTYPE html><html lang="fa"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="article:published_time" content="{when.isoformat()}"></head><body><article>'
            f"<h1>{title}</h1><div class='entry-content'><p>شهرداری رشت اعلام کرد بهسازی معابر گلسار آغاز می‌شود.</p>"
            "<p>شهروندان می‌توانند گلایه‌های خود را در سامانه ۱۳۷ ثبت کنند.</p></div></article></body></html>").encode()


def start_site(n: int, hanging: bool) -> tuple[ThreadingHTTPServer, str]:
    when = datetime.now(UTC) - timedelta(hours=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/rss":
                items = "".join(f"<item><title>خبر {i}</title><link>{base}/news/{i}</link>"
                                f"<pubDate>{format_datetime(when)}</pubDate></item>" for i in range(n))
                body, ctype = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(), "application/rss+xml"
            elif self.path.startswith("/news/"):
                if hanging:
                    STOP.wait(3600)
                    self.close_connection = True
                    return
                body, ctype = page(f"خبر {self.path} از رشت", when), "text/html; charset=utf-8"
            else:
                body, ctype = b"", "text/plain"
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--good", type=int, default=5)
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--hanging", type=int, default=200)
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args()

    servers, sources = [], []
    for i in range(args.good + 1):
        hanging = i == args.good
        server, base = start_site(args.hanging if hanging else args.articles, hanging)
        servers.append(server)
        sources.append(Source(id="hanging" if hanging else f"good{i}", name="x", homepage=base + "/",
                              kind=SourceKind.news_site, scope=Scope.rasht, feeds=(base + "/rss",)))
    settings = Settings(min_host_interval_s=0.05, request_timeout_s=args.timeout, retries=3,
                        source_budget_s=args.budget)
    store = MemoryState()
    started = time.monotonic()
    reports = asyncio.run(collect_all(sources, state=store, sink=store, settings=settings, allow_private=True))
    wall = time.monotonic() - started
    STOP.set()
    for server in servers:
        server.shutdown()
    by_id = {r.source_id: r for r in reports}
    good = [r for r in reports if r.source_id != "hanging"]
    slow = by_id["hanging"]
    without = args.hanging / PAGE_WORKERS * (settings.retries + 1) * args.timeout
    print(f"slow-site: budget {args.budget:g} s, collection {wall:.1f} s "
          f"(without a budget the hanging pages alone: ≥ {without / 60:.0f} min)")
    print(f"  good sites: {sum(r.state == 'ok' for r in good)}/{len(good)} ok, "
          f"{sum(r.new for r in good)}/{args.good * args.articles} articles stored")
    why = slow.fatal or (slow.errors[0] if slow.errors else "")
    print(f"  hanging site: {slow.state}, {slow.failed} page(s) not fetched — {why[:160]}")


if __name__ == "__main__":
    main()
