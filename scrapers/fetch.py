"""The polite HTTP client: robots.txt, per-host spacing, global concurrency, retries.

Every request waits for its host's next free slot (min interval, or the site's Crawl-delay if
longer) and then for one of `global_concurrency` request slots (`scrapers/slots.py`; shared by every
source of a run when the caller passes one `Slots`); it is retried on connection errors, 408, 429 and
5xx with exponential backoff plus jitter (Retry-After wins when longer). Redirects are followed by
hand. What may be reached, which redirects are followed and how much of a body is read is the
guard's policy (`scrapers/guard.py`), asked before every request and redirect.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from mediawatch.records import Source
from mediawatch.settings import Settings, get_settings
from scrapers.charset import decode_html
from scrapers.errors import FetchError
from scrapers.guard import Guard, Resolver, show_origin
from scrapers.robots import RobotsCache, RobotsRules
from scrapers.slots import Slots

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A Retry-After longer than this means "not tonight": we give up on the URL instead of stalling.
MAX_RETRY_AFTER_S = 120.0
# The longest Crawl-delay we honour, in seconds. A site asking for more is paced at this cap (and
# the source's report says so): one site's `Crawl-delay: 86400` must not stall the whole night.
MAX_CRAWL_DELAY_S = 30.0
# Jitter: up to this fraction of the backoff is added, so parallel workers do not retry in step.
JITTER = 0.3
_TRANSIENT = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout,
    httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, TimeoutError,
)

# Idle keep-alive connections kept per host, and for how long (a browser keeps a few as well).
KEEPALIVE_PER_HOST = 2
KEEPALIVE_S = 15.0

__all__ = ["REDIRECT_STATUSES", "RETRY_STATUSES", "FetchResult", "PoliteClient", "Resolver"]


@dataclass
class FetchResult:
    """A completed response (2xx or 304), its final URL and the body (decompressed)."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    elapsed_ms: int
    attempts: int = 1
    redirects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return decode_html(self.content, self.headers.get("content-type"))

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


class PoliteClient:
    """An async HTTP client that behaves like a considerate reader. Use `async with`."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        slots: Slots | None = None,
        robots_cache: RobotsCache | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.robots_cache = robots_cache  # robots.txt kept between runs (the hourly pulse); None: read each run
        self.guard = Guard(self.settings, allow_private=allow_private, resolver=resolver,
                           transport_injected=transport is not None)
        self._transport = transport
        # One connection pool per host: a pool shared by many hosts either evicts and reconnects
        # on nearly every request (small) or scans every connection for every request (large).
        # In-flight requests are capped by the request slots below, not by the pools.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._ssl = httpx.create_ssl_context()  # built once: loading the CA bundle takes ~50 ms
        # Requests in flight: a run's sources share one Slots (the limit is global); alone, its own.
        self.slots = slots or Slots(self.settings.global_concurrency)
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self.max_crawl_delay_s = MAX_CRAWL_DELAY_S
        self.requests = 0  # every request sent, robots.txt included (for the benchmark)

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client_for(self, url: str) -> httpx.AsyncClient:
        """The HTTP client (and its keep-alive connections) of this URL's origin."""
        key = "" if self._transport is not None else self._origin(url)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = httpx.AsyncClient(
                headers={
                    "User-Agent": self.settings.user_agent,
                    "Accept-Encoding": "gzip, deflate",
                    "Accept-Language": "fa,en;q=0.5",
                },
                timeout=httpx.Timeout(self.settings.request_timeout_s),
                follow_redirects=False,
                transport=self._transport,
                verify=self._ssl,
                limits=httpx.Limits(max_connections=self.settings.global_concurrency,
                                    max_keepalive_connections=KEEPALIVE_PER_HOST, keepalive_expiry=KEEPALIVE_S),
            )
        return client

    # --- politeness ------------------------------------------------------------------------
    def interval_for(self, url: str, source: Source | None = None) -> float:
        """Seconds between two requests to this URL's host."""
        base = source.min_interval_s if source and source.min_interval_s else self.settings.min_host_interval_s
        rules = self._robots.get(self._origin(url))
        delay = rules.crawl_delay() if rules else None
        return max(base, min(delay or 0.0, self.max_crawl_delay_s))

    def robots_notes(self, source: Source) -> list[str]:
        """What the robots.txt files of the source's hosts changed tonight (capped delay, unreadable file)."""
        urls = (source.homepage, *source.feeds, *source.listings, *source.sitemaps)
        own = {urlsplit(self._origin(u)).netloc for u in urls} | {d.lower() for d in source.domains}
        notes: list[str] = []
        for origin, rules in self._robots.items():
            if urlsplit(origin).netloc not in own:
                continue
            delay = rules.crawl_delay()
            if delay is not None and delay > self.max_crawl_delay_s:
                notes.append(f"{origin}/robots.txt asks for Crawl-delay {delay:g} s; paced at our cap of {self.max_crawl_delay_s:g} s")
            if rules.blocked:
                notes.append(rules.note)
        return notes

    async def _wait_turn(self, url: str, source: Source | None) -> None:
        """Reserve this host's next free slot and sleep until it comes (host:port is one server)."""
        host = urlsplit(self._origin(url)).netloc
        now = time.monotonic()
        slot = max(now, self._next_slot.get(host, 0.0))
        self._next_slot[host] = slot + self.interval_for(url, source)
        if slot > now:
            await asyncio.sleep(slot - now)

    @staticmethod
    def _origin(url: str) -> str:
        """"scheme://host[:port]": lower case, no user info, the scheme's default port left out, so
        `http://x.ir:80/` and `http://user@x.ir/` are the server `http://x.ir` (its pace, its robots.txt)."""
        return show_origin(url)

    async def robots_for(self, url: str, source: Source | None = None) -> RobotsRules:
        """The robots.txt rules of the URL's site, fetched once per run — or read from `robots_cache` when
        an earlier run kept them (RFC 9309: 4xx allow all; 5xx, unreachable or timeout disallow all for
        this run, and are never kept)."""
        origin = self._origin(url)
        if origin in self._robots:
            return self._robots[origin]
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin in self._robots:
                return self._robots[origin]
            if self.robots_cache is not None and (cached := self.robots_cache.get(origin)) is not None:
                self._robots[origin] = rules = RobotsRules.from_text(cached)
                return rules
            robots_url = origin + "/robots.txt"
            unreadable = "robots.txt could not be read ({}); RFC 9309: nothing on {} is fetched this run, it is retried next run"
            try:
                async with asyncio.timeout(self.settings.robots_timeout_s):
                    res = await self._fetch(robots_url, source, retries=0, check_robots=False)
                rules = RobotsRules.from_text(res.text)
                if self.robots_cache is not None:
                    self.robots_cache.put(origin, res.text)
            except TimeoutError:
                rules = RobotsRules.disallow_all(unreadable.format(f"no answer in {self.settings.robots_timeout_s:g} s", origin), "timeout")
            except FetchError as exc:
                if exc.kind == "redirect" or (exc.kind == "http" and exc.status is not None and 400 <= exc.status < 500 and exc.status != 429):
                    # 4xx (but 429, "slow down"), or redirected off-site / too often: "unavailable", i.e. no
                    # rules (RFC 9309 §2.3.1.2-3).
                    rules = RobotsRules.allow_all(str(exc))
                    if self.robots_cache is not None and exc.kind == "http":
                        self.robots_cache.put(origin, "")  # no file: no rules, until the cache expires
                else:
                    # 5xx, unreachable, timeout, private address, oversized: "unreachable" → disallow all.
                    cause = exc.kind if exc.kind in ("connect", "timeout", "private") else "robots_unreachable"
                    rules = RobotsRules.disallow_all(unreadable.format(exc, origin), cause)
            self._robots[origin] = rules
            return rules

    # --- safety: the guard's policy (scrapers/guard.py) -------------------------------------------
    def same_site(self, url: str, source: Source | None, start_url: str) -> bool:
        """Is `url` on the source's site (homepage host, its `www.` twin, its `domains`) or the start URL's host?"""
        return self.guard.same_site(url, source, start_url)

    # --- fetching ----------------------------------------------------------------------------
    async def get(
        self,
        url: str,
        source: Source | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = True,
    ) -> FetchResult:
        """GET politely; a 2xx or 304 FetchResult, or FetchError saying what went wrong."""
        return await self._fetch(url, source, etag=etag, last_modified=last_modified, check_robots=check_robots)

    async def _fetch(
        self,
        url: str,
        source: Source | None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = True,
        retries: int | None = None,
    ) -> FetchResult:
        retries = self.settings.retries if retries is None else retries
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        start_url, redirects = url, list[str]()
        started = time.monotonic()
        attempts = 0
        while True:
            if check_robots:
                rules = await self.robots_for(url, source)
                if rules.blocked:
                    raise FetchError(url, rules.note, kind=rules.cause)
                if not rules.allowed(url):
                    raise FetchError(url, "disallowed by robots.txt; we respect it (ask the webmaster to allow 'mediawatch')", kind="robots")
            await self.guard.check_target(url, source, start_url)
            resp_status, resp_headers, body, attempts_here = await self._with_retries(url, source, headers, retries, start_url)
            attempts += attempts_here
            if resp_status in REDIRECT_STATUSES and resp_headers.get("location"):
                target = urljoin(url, resp_headers["location"])
                self.guard.check_redirect(url, target, source, start_url, redirects, resp_status)
                redirects.append(target)
                url = target
                continue
            elapsed = int((time.monotonic() - started) * 1000)
            if resp_status == 304 or 200 <= resp_status < 300:
                return FetchResult(url, resp_status, resp_headers, body, elapsed, attempts, redirects)
            raise FetchError(url, f"HTTP {resp_status}" + (" (gave up after retries)" if resp_status in RETRY_STATUSES else ""), kind="http", status=resp_status)

    async def _with_retries(
        self, url: str, source: Source | None, headers: dict[str, str], retries: int, start_url: str
    ) -> tuple[int, httpx.Headers, bytes, int]:
        attempt = 0
        while True:
            attempt += 1
            wait: float | None = None
            try:
                status, resp_headers, body = await self._once(url, source, headers, start_url)
            except FetchError:
                raise
            except _TRANSIENT as exc:
                if attempt > retries:
                    kind = "timeout" if isinstance(exc, (httpx.TimeoutException, TimeoutError)) else "connect"
                    if isinstance(exc, httpx.RemoteProtocolError):
                        kind = "truncated"
                    what = {"timeout": f"no complete answer within {self.settings.request_timeout_s:g} s",
                            "connect": f"cannot connect ({type(exc).__name__}: {exc or 'refused'})",
                            "truncated": f"the server cut the response short ({exc})"}[kind]
                    raise FetchError(url, f"{what}, after {attempt} tries; the site may be down — it will be retried next run", kind=kind) from None
            else:
                if status not in RETRY_STATUSES or attempt > retries:
                    return status, resp_headers, body, attempt
                wait = _retry_after(resp_headers.get("retry-after"))
                if wait is not None and wait > MAX_RETRY_AFTER_S:
                    raise FetchError(url, f"HTTP {status}, the server asks us to come back in {wait:.0f} s; skipped until the next run", kind="http", status=status)
            backoff = self.settings.backoff_base_s * 2 ** (attempt - 1)
            backoff += random.uniform(0, JITTER * backoff)
            await asyncio.sleep(max(backoff, wait or 0.0))

    async def _once(self, url: str, source: Source | None, headers: dict[str, str], start_url: str) -> tuple[int, httpx.Headers, bytes]:
        await self._wait_turn(url, source)
        async with self.slots:
            self.requests += 1
            async with asyncio.timeout(self.settings.request_timeout_s):
                return await self._send(url, headers, source, start_url)

    async def _send(self, url: str, headers: dict[str, str], source: Source | None, start_url: str) -> tuple[int, httpx.Headers, bytes]:
        async with self._client_for(url).stream("GET", url, headers=headers) as resp:
            self.guard.check_peer(url, source, start_url, resp)
            if resp.status_code in REDIRECT_STATUSES or resp.status_code == 304 or resp.status_code >= 400:
                return resp.status_code, resp.headers, b""
            body = await self.guard.read_capped(url, resp)
            return resp.status_code, resp.headers, body
