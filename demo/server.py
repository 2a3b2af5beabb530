"""The demo news sites on loopback: one stdlib HTTP server per outlet, each its own host:port.

    with DemoSites() as demo:            # reference day: today in Tehran
        sources = demo.sources()         # ready for scrapers.collect
        expected = demo.expected()       # what a correct crawler must find

    demo.published_until = some_time     # serve only what was published by then (simulated nights)

`python -m demo.server [--port-base N] [--day YYYY-MM-DD]` serves them in the foreground for people.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from demo.content import SITE_IDS, SITES, ContentError, DemoArticle, DemoLabels, load_articles, load_labels
from demo.sites import Page, RenderedSite, enc, place, render_site, route_key, served_text
from mediawatch.records import Scope, Source
from mediawatch.timeutil import parse_date_arg, tehran_today

__all__ = ["ContentError", "DemoSites", "ExpectedArticle"]

HOST = "127.0.0.1"
# Our own loopback server: no need to wait between requests beyond a token pause.
DEMO_MIN_INTERVAL_S = 0.05

_NOT_FOUND = Page(
    404,
    "text/html; charset=utf-8",
    "<html><body><h1>۴۰۴</h1><p>صفحه مورد نظر یافت نشد.</p></body></html>".encode(),
)


@dataclass(frozen=True, slots=True)
class ExpectedArticle:
    """One article a correct crawler collects from the demo sites."""

    id: str  # the demo article id (w1-007)
    site: str
    url: str  # canonical, decoded: http://127.0.0.1:PORT/path, no tracking parameters, trailing slash as published
    title: str  # as the site serves it
    published_at: datetime  # aware UTC
    labels: DemoLabels
    story: str | None = None
    copy_of: str | None = None
    served_url: str = ""  # decoded, exactly as the site links it (WordPress keeps a trailing slash)

    @property
    def url_encoded(self) -> str:
        """The same URL percent-encoded, as it travels on the wire."""
        scheme, _, rest = (self.served_url or self.url).partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme}://{host}{enc(slash + path)}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "DemoNews/1.0"
    protocol_version = "HTTP/1.1"

    def _respond(self, with_body: bool) -> None:
        server = cast(_SiteServer, self.server)
        delay = server.demo.delays.get(server.site_id, 0.0)
        if delay:
            time.sleep(delay)
        page = server.demo._lookup(server.site_id, route_key(self.path)) or _NOT_FOUND
        status = page.status
        headers = dict(page.headers)
        if status == 200 and _not_modified(self.headers, headers):
            server.demo.hits.append((server.site_id, self.path, 304))
            self.send_response(304)
            for k in ("ETag", "Last-Modified"):
                if k in headers:
                    self.send_header(k, headers[k])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        server.demo.hits.append((server.site_id, self.path, status))
        body = page.body
        gzipped = page.gzipped if "gzip" in (self.headers.get("Accept-Encoding") or "") else None
        self.send_response(status)
        self.send_header("Content-Type", page.content_type)
        if gzipped is not None:
            body = gzipped
            self.send_header("Content-Encoding", "gzip")
        if page.gzipped is not None:
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._respond(True)

    def do_HEAD(self) -> None:
        self._respond(False)

    def log_message(self, format: str, *args: object) -> None:
        server = cast(_SiteServer, self.server)
        if server.demo.verbose:
            super().log_message(format, *args)


def _not_modified(request_headers, headers: dict[str, str]) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; else If-Modified-Since against Last-Modified."""
    inm = request_headers.get("If-None-Match")
    if inm is not None:
        etag = headers.get("ETag")
        return etag is not None and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")])
    ims, lm = request_headers.get("If-Modified-Since"), headers.get("Last-Modified")
    if ims and lm:
        try:
            return parsedate_to_datetime(lm) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-response is normal for a crawler; stay quiet about it."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, addr: tuple[str, int], demo: DemoSites, site_id: str):
        self.demo, self.site_id = demo, site_id
        super().__init__(addr, _Handler)


class DemoSites:
    """The six demo outlets served on loopback, rendered for a reference day."""

    def __init__(
        self,
        reference_day: date | None = None,
        content_dir: Path | None = None,
        *,
        port_base: int | None = None,
        ports: Mapping[str, int] | None = None,
        verbose: bool = False,
    ):
        self._fixed_day = reference_day
        self._wanted_ports = dict(ports or {})
        self.content_dir = content_dir
        self.port_base = port_base
        self.verbose = verbose
        self.articles: list[DemoArticle] = []
        self.labels: dict[str, DemoLabels] = {}
        self.base_urls: dict[str, str] = {}
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []
        self._cache: dict[tuple[date, datetime | None], dict[str, RenderedSite]] = {}
        # Serve only the articles published up to this moment (aware), None for all: a soak test moves
        # it forward night after night. Every article keeps its URL and id whatever the moment.
        self.published_until: datetime | None = None
        # Site id → seconds every answer of that site waits (a slow server; see `slow_down`).
        self.delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._loaded = False
        # Every request answered: (site id, path as sent, status); tests count them (list.append is thread-safe).
        self.hits: list[tuple[str, str, int]] = []

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> DemoSites:
        """Load and check the content, bind one server per site, render, serve in the background."""
        if self._servers:
            return self
        self._load()
        self._cache.clear()  # pages rendered before start carry placeholder ports
        try:
            for i, site in enumerate(SITE_IDS):
                port = self._wanted_ports.get(site, 0 if self.port_base is None else self.port_base + i)
                try:
                    srv = _SiteServer((HOST, port), self, site)
                except OSError:
                    if site not in self._wanted_ports:  # an explicit --port-base must be free
                        raise
                    srv = _SiteServer((HOST, 0), self, site)  # last run's port is taken: any free one

                self._servers[site] = srv
                self.base_urls[site] = f"http://{HOST}:{srv.server_address[1]}"
            self._rendered(self.reference_day)
            for site, srv in self._servers.items():
                t = threading.Thread(target=srv.serve_forever, args=(0.05,), name=f"demo-{site}", daemon=True)
                t.start()
                self._threads.append(t)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Shut every server down and free its port."""
        running = {t.name.removeprefix("demo-") for t in self._threads}
        for site, srv in self._servers.items():
            if site in running:
                srv.shutdown()
            srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    # --- outages, for soak tests ------------------------------------------------------------------
    def take_down(self, site: str) -> None:
        """Close one site's port: its clients get "connection refused" until `bring_up(site)`."""
        srv = self._servers[site]
        srv.shutdown()
        srv.server_close()
        self._threads = [t for t in self._threads if t.name != f"demo-{site}"]

    def bring_up(self, site: str) -> None:
        """Serve a site taken down again, on the same port (same URLs)."""
        port = self._servers[site].server_address[1]
        if any(t.name == f"demo-{site}" for t in self._threads):
            return
        srv = _SiteServer((HOST, port), self, site)
        self._servers[site] = srv
        t = threading.Thread(target=srv.serve_forever, args=(0.05,), name=f"demo-{site}", daemon=True)
        t.start()
        self._threads.append(t)

    def slow_down(self, site: str, seconds: float) -> None:
        """Make every answer of one site wait `seconds` (0 restores it)."""
        if seconds:
            self.delays[site] = seconds
        else:
            self.delays.pop(site, None)

    def __enter__(self) -> DemoSites:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def ports(self) -> dict[str, int]:
        """Site id → port; pass it back as `ports=` next run to keep every URL the same."""
        return {site: srv.server_address[1] for site, srv in self._servers.items()}

    # --- what is served -----------------------------------------------------------------------
    @property
    def reference_day(self) -> date:
        """The day the demo pretends it is (fixed, or today in Tehran)."""
        return self._fixed_day or tehran_today()

    def _rendered(self, day: date) -> dict[str, RenderedSite]:
        with self._lock:
            until = self.published_until
            sites = self._cache.get((day, until))
            if sites is None:
                sites = {}
                for site in SITE_IDS:
                    own = [a for a in self.articles if a.site == site]
                    # Placed over all articles, then cut: the cut never changes an article's URL.
                    placed = [p for p in place(SITES[site], own, self.labels, day)
                              if until is None or p.published <= until]
                    sites[site] = render_site(SITES[site], placed, self.base_urls[site], day)
                self._cache = {(day, until): sites}  # earlier pages are no longer needed
            return sites

    def _lookup(self, site: str, key: str) -> Page | None:
        rendered = self._rendered(self.reference_day)[site]
        page = rendered.pages.get(key)
        if page is None and not key.endswith("/") and "?" not in key and key + "/" in rendered.pages:
            # As WordPress does: the permalink without its trailing slash redirects to it.
            page = Page(
                301, "text/html; charset=utf-8", b"", (("Location", rendered.base_url + enc(key + "/")),)
            )
        return page

    def _load(self) -> None:
        if not self._loaded:
            self.articles = load_articles(self.content_dir)
            self.labels = load_labels(self.content_dir)
            self._loaded = True

    def _require_started(self) -> None:
        """Before start(), answer from the content with the ports asked for (or 0): paths are right."""
        if not self._servers:
            self._load()
            for site in SITE_IDS:
                port = self._wanted_ports.get(
                    site, 0 if self.port_base is None else self.port_base + SITE_IDS.index(site)
                )
                self.base_urls.setdefault(site, f"http://{HOST}:{port}")

    def sources(self) -> list[Source]:
        """The demo outlets as sources.toml entries, pointing at this run's ports."""
        self._require_started()
        out = []
        for site in SITE_IDS:
            spec, base = SITES[site], self.base_urls[site]
            out.append(
                Source(
                    id=spec.id,
                    name=spec.name,
                    homepage=base + "/",
                    kind=spec.kind,
                    scope=spec.scope,
                    feeds=tuple(base + enc(f.path) for f in spec.feeds),
                    listings=tuple(base + enc(spec.listing) for _ in [0] if spec.listing is not None),
                    sitemaps=tuple(base + s for s in spec.sitemaps),
                    parser=spec.parser,
                    verified=True,
                    enabled=True,
                    domains=(),
                    gilan_filter=None,
                    min_interval_s=DEMO_MIN_INTERVAL_S,
                    feed_fulltext=spec.feed_fulltext,
                    notes=spec.notes,
                )
            )
        return out

    def write_sources_toml(self, path: Path) -> Path:
        """Write `sources()` in the format of the top-level sources.toml."""
        path = Path(path)
        path.write_text(sources_to_toml(self.sources(), self.reference_day), encoding="utf-8")
        return path

    def expected(self) -> list[ExpectedArticle]:
        """The articles a correct crawler collects: not broken, about Gilan when the outlet is national."""
        self._require_started()
        out: list[ExpectedArticle] = []
        for site, rendered in self._rendered(self.reference_day).items():
            national = SITES[site].scope is Scope.national
            for p in rendered.placed:
                if p.art.broken is not None:
                    continue
                if p.labels is None:
                    raise ContentError(f"demo article {p.art.id!r} has no labels in its .labels.jsonl file")
                if national and not p.labels.gilan:
                    continue
                out.append(
                    ExpectedArticle(
                        id=p.art.id,
                        site=site,
                        url=_canonical(rendered.base_url + p.path),
                        served_url=rendered.base_url + p.path,
                        title=served_text(SITES[site], p.art.title),
                        published_at=p.published,
                        labels=p.labels,
                        story=p.art.story,
                        copy_of=p.art.copy_of,
                    )
                )
        return out

    def article_url(self, article_id: str) -> str:
        """The decoded canonical URL of one demo article (any article, broken ones included)."""
        self._require_started()
        for rendered in self._rendered(self.reference_day).values():
            for p in rendered.placed:
                if p.art.id == article_id:
                    return rendered.base_url + p.path
        raise KeyError(article_id)

    def broken_urls(self) -> dict[str, str]:
        """Decoded URL → broken flag (http_500, truncated, future_date) of the deliberately broken pages."""
        self._require_started()
        return {
            r.base_url + p.path: p.art.broken
            for r in self._rendered(self.reference_day).values()
            for p in r.placed
            if p.art.broken is not None
        }

    def dead_link(self) -> str:
        """The decoded URL of the feed item whose page answers 404 (demo/sites.toml: a feed's dead_item)."""
        self._require_started()
        return next(r.dead_link for r in self._rendered(self.reference_day).values() if r.dead_link)


def _canonical(url: str) -> str:
    """The project's canonical form (scrapers.canonical): the path as published, trailing slash kept."""
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/{path}"


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def sources_to_toml(sources: list[Source], day: date | None = None) -> str:
    """Sources as `[[sources]]` tables, the layout of the top-level sources.toml."""
    lines = ["# The demo news sites on loopback (written by demo.server.DemoSites; ports change every run)."]
    if day is not None:
        lines.append(f"# Reference day: {day.isoformat()}")
    fields = (
        "id",
        "name",
        "homepage",
        "kind",
        "scope",
        "feeds",
        "listings",
        "sitemaps",
        "parser",
        "verified",
        "enabled",
        "domains",
        "gilan_filter",
        "min_interval_s",
        "feed_fulltext",
        "notes",
    )
    for s in sources:
        lines += ["", "[[sources]]"]
        for f in fields:
            v = getattr(s, f)
            if v is None:
                continue
            lines.append(f"{f} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Serve the demo sites in the foreground and print their URLs."""
    ap = argparse.ArgumentParser(prog="python -m demo.server", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--port-base", type=int, default=None, help="first port (sites take N, N+1, …); default: free ports"
    )
    ap.add_argument(
        "--day", default=None, help="reference day, Gregorian or Jalali (default: today in Tehran)"
    )
    ap.add_argument(
        "--content-dir", type=Path, default=None, help="folder of *.jsonl (default: demo/content)"
    )
    ap.add_argument(
        "--sources-toml",
        type=Path,
        default=None,
        help="also write the sites as a sources file (for `mediawatch collect --file`)",
    )
    ap.add_argument("--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    try:
        day = parse_date_arg(args.day) if args.day else None
        demo = DemoSites(day, args.content_dir, port_base=args.port_base, verbose=args.verbose).start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}")
        return 2
    print(f"Demo news sites for {demo.reference_day.isoformat()} ({len(demo.articles)} articles):")
    for site, url in demo.base_urls.items():
        print(f"  {site:<11} {url}/   {SITES[site].name}")
    if args.sources_toml:
        print(f"Sources written to {demo.write_sources_toml(args.sources_toml)}")
    print("Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the shutdown
    finally:
        demo.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
