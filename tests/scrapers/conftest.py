"""Test helpers: a real HTTP server on loopback with programmable routes, and an in-memory store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from mediawatch.ports import MemoryState
from mediawatch.settings import Settings

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Hit:
    path: str
    at: float
    headers: dict[str, str]


@dataclass
class Loopback:
    """A threaded HTTP server on 127.0.0.1; routes map a path (with query) to a response or handler."""

    routes: dict[str, Any] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", status: int = 200, headers: dict[str, str] | None = None,
            content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        hdrs = {"Content-Type": content_type, **(headers or {})}
        self.routes[path] = (status, hdrs, data)

    def handle(self, path: str, fn: Handler) -> None:
        self.routes[path] = fn

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]

    def count(self, path: str) -> int:
        return sum(1 for h in self.hits if h.path == path)


def _make_handler(site: Loopback) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            site.hits.append(Hit(self.path, time.monotonic(), {k.lower(): v for k, v in self.headers.items()}))
            route = site.routes.get(self.path)
            if route is None and self.path == "/robots.txt":
                route = (404, {"Content-Type": "text/plain"}, b"")
            if route is None:
                route = (404, {"Content-Type": "text/html"}, b"<html>not found</html>")
            if callable(route):
                route(self)
                return
            status, headers, body = route
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return H


@pytest.fixture
def make_site() -> Iterator[Callable[[], Loopback]]:
    """A factory of loopback sites; all are shut down after the test."""
    sites: list[Loopback] = []

    def make() -> Loopback:
        site = Loopback()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(site))
        server.daemon_threads = True
        server.block_on_close = False
        site.server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        sites.append(site)
        return site

    yield make
    for s in sites:
        s.stop.set()
        assert s.server is not None
        s.server.shutdown()
        s.server.server_close()


@pytest.fixture
def site(make_site: Callable[[], Loopback]) -> Loopback:
    return make_site()


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """Fast politeness for tests: tiny intervals and backoffs, short timeouts."""
    return Settings(
        data_dir=tmp_path, min_host_interval_s=0.0, backoff_base_s=0.02, retries=2, robots_timeout_s=2.0,
        request_timeout_s=2.0, max_response_bytes=1_000_000, max_decompressed_bytes=2_000_000,
    )


MemoryStore = MemoryState  # the kernel's in-memory CrawlState + ArticleSink


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


class ToLoopback(httpx.AsyncBaseTransport):
    """Sends every request to one loopback port whatever its host name (for public-looking names).

    By default it plays the public internet: the loopback socket is not shown (no `network_stream`),
    so the peer-address check has nothing to refuse. `show_peer=True` shows it: a name that resolved
    to a public address but whose connection lands on 127.0.0.1, i.e. DNS rebinding."""

    def __init__(self, port: int, *, show_peer: bool = False) -> None:
        self.port = port
        self.show_peer = show_peer
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        resp = await self.inner.handle_async_request(request)
        if not self.show_peer:
            resp.extensions = {k: v for k, v in resp.extensions.items() if k != "network_stream"}
        return resp

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def to_loopback() -> type[ToLoopback]:
    return ToLoopback


@pytest.fixture
def memory_store_cls() -> type[MemoryStore]:
    return MemoryStore
