"""The fetch guard: which addresses may be reached, which redirects followed, how much body read.

Pure policy, no pacing or retries (those are `scrapers/fetch.py`'s `PoliteClient`, which asks the guard
before every request and every redirect, and reads every body through it):

* **Addresses.** A URL's host is resolved and every address checked; the address a connection really
  went to is checked again before the body is read (DNS rebinding). Link-local (169.254.0.0/16,
  fe80::/10), the cloud metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200,
  168.63.129.16), unspecified (0.0.0.0, ::, 0.0.0.0/8), multicast and broadcast are **always**
  refused — also for the demo and tests, which may reach loopback. Loopback and private networks are
  refused unless the source itself lives there by literal address (its homepage is 127.0.0.1 or
  localhost), or the client was built with `allow_private` (the demo, tests). IPv6 forms that carry an
  IPv4 address (mapped, compatible, translated, NAT64 64:ff9b::/96, 6to4) are judged by that address.
* **Redirects.** At most `max_redirects`, web schemes only, never to another site (the source's
  homepage host, its `www.` twin and its `domains`), and on the same origin (scheme, host, port) unless
  the target origin is one the source lists: the origin of its homepage, feeds, listings or sitemaps,
  or one of its own hosts on the scheme's default port (http→https, example.ir→www.example.ir). So a
  redirect to another port of the same address (another service on that machine) is refused.
  Links found in a source's feeds, sitemaps and listings follow the same rule (`may_link`).
* **Size.** Bodies are streamed and cut at `max_response_bytes` on the wire and
  `max_decompressed_bytes` after gzip/deflate (decompressed here in bounded steps: a gzip bomb never
  fills memory). Another coding (br, zstd, a stack) is refused, not read as the page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.request
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from mediawatch.records import Source
from mediawatch.settings import Settings
from scrapers.canonical import host_of, same_site_hosts
from scrapers.errors import FetchError

Resolver = Callable[[str], list[str]]

# Cloud metadata services that are not link-local: AWS over IPv6, Alibaba Cloud, Azure's wireserver.
# (169.254.169.254 — AWS, GCP, Azure, Oracle, OpenStack — is link-local and refused as such.)
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16",
))
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host on this network": 0.0.0.0 reaches localhost
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The content codings we ask for (Accept-Encoding) and decode, in bounded steps, in read_capped.
_DECODED = frozenset({"gzip", "x-gzip", "deflate"})
# IPv6 prefixes that carry an IPv4 address in their last 32 bits: IPv4-compatible (::a.b.c.d, deprecated),
# IPv4-translated (::ffff:0:a.b.c.d, SIIT) and NAT64's well-known prefix (64:ff9b::a.b.c.d, RFC 6052) —
# on a NAT64 network 64:ff9b::a00:7 *is* 10.0.0.7. Python's ipaddress calls them all global.
_EMBEDS_IPV4 = tuple(ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))


def _addr(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address to judge: an IPv6 form that carries an IPv4 address (mapped, compatible, translated,
    NAT64, 6to4) is judged by the IPv4 address it reaches."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if not isinstance(addr, ipaddress.IPv6Address):
        return addr
    if addr.ipv4_mapped:
        return addr.ipv4_mapped
    if addr.sixtofour:  # 2002:a.b.c.d::/48
        return addr.sixtofour
    if int(addr) > 1 and any(addr in net for net in _EMBEDS_IPV4):  # not :: or ::1, which are themselves
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def never_reachable(ip: str) -> str:
    """Why this address is refused whatever the source or flag ("" when it is not such an address)."""
    addr = _addr(ip)
    if addr in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if addr.is_unspecified or (isinstance(addr, ipaddress.IPv4Address) and addr in _THIS_NETWORK):
        return "an unspecified address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast or (isinstance(addr, ipaddress.IPv4Address) and addr == ipaddress.IPv4Address("255.255.255.255")):
        return "a multicast or broadcast address"
    return ""


def is_private(ip: str) -> bool:
    """Loopback, private networks and everything else that is not the public internet."""
    addr = _addr(ip)
    site_local = isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local  # fec0::/10, deprecated, still routed inside
    return not addr.is_global or addr.is_multicast or site_local


def literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in."""
    p = urlsplit(url)
    scheme = p.scheme.lower()
    try:
        port = p.port
    except ValueError:
        port = None
    return scheme, host_of(url), port if port is not None else _DEFAULT_PORTS.get(scheme, 0)


def _show(o: tuple[str, str, int]) -> str:
    scheme, host, port = o
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + ("" if _DEFAULT_PORTS.get(scheme) == port else f":{port}")


def show_origin(url: str) -> str:
    """The URL's origin as "scheme://host[:port]": no user info, the scheme's default port left out."""
    return _show(origin(url))


def _zlib_or_gzip_header(head: bytes | bytearray) -> bool:
    """Do these bytes start a zlib stream (RFC 1950: method 8, check bits) or a gzip member?"""
    return head[:2] == b"\x1f\x8b" or (head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0)


class Guard:
    """The address, redirect and size policy of one client (see the module docstring)."""

    def __init__(self, settings: Settings, *, allow_private: bool = False, resolver: Resolver | None = None,
                 transport_injected: bool = False) -> None:
        self.settings = settings
        self.allow_private = allow_private
        self._resolver = resolver
        self._transport_injected = transport_injected
        self._resolved: dict[str, list[str]] = {}

    # --- addresses ------------------------------------------------------------------------------
    async def resolve(self, host: str, url: str = "") -> list[str]:
        if host in self._resolved:
            return self._resolved[host]
        literal = literal_ip(host)
        if literal:
            ips = [literal]
        elif self._resolver is not None:
            ips = self._resolver(host)
        else:
            limit = self.settings.request_timeout_s
            try:
                # The system resolver has its own, long timeouts (and retries); a DNS server that does not
                # answer must cost a request's time, not stall the source for minutes.
                infos = await asyncio.wait_for(
                    asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout=limit)
            except TimeoutError:
                raise FetchError(url or f"http://{host}/", f"no answer from DNS for {host!r} within {limit:g} s; check the "
                                 "server's DNS settings — it will be retried next run", kind="timeout") from None
            except OSError as exc:
                raise FetchError(url or f"http://{host}/", f"cannot resolve host name {host!r} ({exc}); check the URL or DNS", kind="connect") from None
            ips = sorted({str(info[4][0]) for info in infos})
        self._resolved[host] = ips
        return ips

    def own_hosts(self, source: Source | None) -> set[str]:
        if source is None:
            return set()
        return {host_of(source.homepage), *(d.lower() for d in source.domains)}

    def may_be_private(self, host: str, source: Source | None, start_url: str) -> bool:
        """A private address is fine only for a source that names it literally (127.0.0.1, localhost)."""
        if self.allow_private:
            return True
        home = host_of(source.homepage) if source is not None else host_of(start_url)
        own = self.own_hosts(source) | {home}
        return (bool(literal_ip(home)) or home == "localhost") and host in own

    def check_address(self, url: str, ip: str, source: Source | None, start_url: str, *, connected: bool = False) -> None:
        """Refuse `ip` for `url` (see the module docstring); `connected`: the address a connection went to."""
        host = host_of(url)
        why = never_reachable(ip)
        if why:
            raise FetchError(url, f"{host} is {why} ({ip}); always refused — no news site lives there, and "
                             "it can leak the server's credentials", kind="private")
        if is_private(ip) and not self.may_be_private(host, source, start_url):
            if connected:
                raise FetchError(url, f"{host} connected to a private or loopback address ({ip}) after resolving to a public one "
                                 "(DNS rebinding?); refused — a public site must not lead into the local network", kind="private")
            raise FetchError(url, f"{host} is a private or loopback address ({ip}); refused — a public site must not lead into the local network", kind="private")

    async def check_target(self, url: str, source: Source | None, start_url: str | None = None) -> None:
        """Refuse a URL whose host resolves to an address it may not reach."""
        try:
            ips = await self.resolve(host_of(url), url)
        except FetchError:
            if self.allow_private:
                return  # nothing to refuse yet; the connection (if any) is checked by check_peer
            raise
        for ip in ips:
            self.check_address(url, ip, source, start_url or url)

    def check_peer(self, url: str, source: Source | None, start_url: str, resp: httpx.Response) -> None:
        """Refuse a response whose connection landed on an address it may not reach (DNS rebinding).

        `check_target` resolves the name itself; httpx resolves it again to connect, and a name with
        a short TTL can answer a public address first and 127.0.0.1 next. So the address actually
        connected to is checked too, before the body is read. Through a proxy the peer is the proxy,
        so the check is left to `check_target` there."""
        host = host_of(url)
        scheme = urlsplit(url).scheme
        if scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
            return
        stream = resp.extensions.get("network_stream")
        addr = stream.get_extra_info("server_addr") if stream is not None else None
        if not addr:
            if self._transport_injected:
                return  # an injected transport (tests, replay) has no socket to ask
            raise FetchError(url, "cannot tell which address the connection went to; refused", kind="private")
        self.check_address(url, str(addr[0]), source, start_url, connected=True)

    # --- redirects --------------------------------------------------------------------------------
    def same_site(self, url: str, source: Source | None, start_url: str) -> bool:
        """Is `url` on the source's site (homepage host, its `www.` twin, its `domains`) or the start URL's host?"""
        return host_of(url) in same_site_hosts(host_of(start_url), *self.own_hosts(source))

    def listed_origin(self, target: str, source: Source | None, start_url: str) -> bool:
        """Does the source list the target's origin: one of its URLs' origins, or an own host on the
        scheme's default port?"""
        o = origin(target)
        urls = [start_url, *((source.homepage, *source.feeds, *source.listings, *source.sitemaps) if source else ())]
        if o in {origin(u) for u in urls}:
            return True
        return o[2] == _DEFAULT_PORTS.get(o[0]) and o[1] in same_site_hosts(host_of(start_url), *self.own_hosts(source))

    def may_link(self, url: str, source: Source, start_url: str | None = None) -> bool:
        """May a link found in the source's feeds, sitemaps or listings be fetched? On its site, and on the
        start URL's origin or one the source lists (the redirect rule: not another port of the same host)."""
        start = start_url or source.homepage
        return self.same_site(url, source, start) and (origin(url) == origin(start) or self.listed_origin(url, source, start))

    def check_redirect(self, url: str, target: str, source: Source | None, start_url: str, redirects: list[str],
                       status: int) -> None:
        """Refuse the redirect from `url` to `target` (the `redirects` so far) unless the policy allows it."""
        if len(redirects) >= self.settings.max_redirects:
            raise FetchError(start_url, f"more than {self.settings.max_redirects} redirects (a loop?): {' → '.join([*redirects, target])}", kind="redirect", status=status)
        if urlsplit(target).scheme not in ("http", "https"):
            raise FetchError(start_url, f"redirect to a non-web address {target!r} refused", kind="redirect", status=status)
        if not self.same_site(target, source, start_url):
            raise FetchError(start_url, f"redirect to another site ({host_of(target)}) refused; if the outlet moved, update its homepage/feeds in sources.toml", kind="redirect", status=status)
        if origin(target) != origin(url) and not self.listed_origin(target, source, start_url):
            raise FetchError(start_url, f"redirect to another origin ({_show(origin(target))}, from {_show(origin(url))}) refused; "
                             "if the outlet really serves from there, list that URL in its feeds or listings in sources.toml",
                             kind="redirect", status=status)

    # --- size ---------------------------------------------------------------------------------------
    async def read_capped(self, url: str, resp: httpx.Response) -> bytes:
        """The body, decompressed, or FetchError(kind="too_large") past either cap."""
        max_raw, max_out = self.settings.max_response_bytes, self.settings.max_decompressed_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_raw:
            raise FetchError(url, f"response of {int(declared):,} bytes exceeds the {max_raw:,}-byte cap", kind="too_large", status=resp.status_code)
        encoding = resp.headers.get("content-encoding", "").strip().lower()
        codings = [c for c in (c.strip() for c in encoding.split(",")) if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in _DECODED):
            # We ask for gzip or deflate only; anything else (br, zstd, a stack) would be kept as compressed
            # bytes and read as a page of garbage.
            raise FetchError(url, f"body sent with Content-Encoding {encoding!r}, which was not asked for and is not decoded "
                             "(we accept gzip or deflate); the server ignores Accept-Encoding — report it to the site",
                             kind="encoding", status=resp.status_code)
        decomp = zlib.decompressobj(47) if codings else None  # 47: a zlib or a gzip header, told apart by zlib
        # "deflate" is a zlib stream (RFC 9110), but old servers (IIS among them) send bare deflate, as
        # browsers accept: which one is told by the first two bytes.
        head = bytearray() if codings == ["deflate"] else None
        out = bytearray()
        raw_total = 0
        async for chunk in resp.aiter_raw():
            raw_total += len(chunk)
            if raw_total > max_raw:
                raise FetchError(url, f"response exceeds the {max_raw:,}-byte cap", kind="too_large", status=resp.status_code)
            if decomp is None:
                out += chunk
                continue
            data = chunk
            if head is not None:
                head += chunk
                if len(head) < 2:
                    continue
                if not _zlib_or_gzip_header(head):
                    decomp = zlib.decompressobj(-zlib.MAX_WBITS)
                data, head = bytes(head), None
            while data:
                try:
                    out += decomp.decompress(data, max_out - len(out) + 1)
                except zlib.error as exc:
                    raise FetchError(url, f"corrupt {encoding} body ({exc})", kind="truncated", status=resp.status_code) from None
                if len(out) > max_out:
                    raise FetchError(url, f"body decompresses to more than {max_out:,} bytes (a gzip bomb?); refused", kind="too_large", status=resp.status_code)
                data = decomp.unconsumed_tail
        if decomp is not None:
            if head:  # a one-byte body: nothing to tell apart, nothing to decode
                raise FetchError(url, f"corrupt {encoding} body (1 byte)", kind="truncated", status=resp.status_code)
            out += decomp.flush()
        return bytes(out)
