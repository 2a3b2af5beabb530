"""The polite client against a real loopback server: robots, pacing, retries, caps, redirects."""

from __future__ import annotations

import gzip
import itertools
import zlib

import pytest

from mediawatch.records import Scope, Source, SourceKind
from scrapers.errors import FetchError
from scrapers.fetch import PoliteClient
from scrapers.robots import RobotsRules

PAGE = "<html><head><meta charset='utf-8'></head><body><p>سلام رشت</p></body></html>"


def src(homepage: str, **kw) -> Source:  # type: ignore[no-untyped-def]
    return Source(id="t", name="t", homepage=homepage, kind=SourceKind.news_site, scope=Scope.gilan, feeds=(homepage + "feed",), **kw)


async def test_user_agent_is_honest(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/p", PAGE)
    async with PoliteClient(settings) as c:
        res = await c.get(site.url("/p"), src(site.url("/")))
    assert res.status == 200 and "سلام رشت" in res.text
    ua = site.hits[-1].headers["user-agent"]
    assert ua.startswith("mediawatch/") and settings.contact_url in ua


async def test_robots_disallow_is_respected(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/robots.txt", "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    site.add("/private/x", PAGE)
    site.add("/public", PAGE)
    async with PoliteClient(settings) as c:
        with pytest.raises(FetchError) as err:
            await c.get(site.url("/private/x"), src(site.url("/")))
        assert err.value.kind == "robots"
        assert (await c.get(site.url("/public"))).status == 200
    assert "/private/x" not in site.paths()
    assert site.count("/robots.txt") == 1  # fetched once per site


ROBOTS_RFC9309 = """# groups that only look like ours
User-agent: media
Crawl-delay: 9
Disallow: /

User-agent:
Disallow: /news/

User-agent: *
Crawl-delay: 0.25
Disallow: /*?print=
Disallow: /news/
Allow: /news/gilan/
Disallow: /*.pdf$
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/news/gilan/1/rasht", True),  # the longer Allow wins over Disallow: /news/
        ("/news/tehran/2", False),
        ("/fa/news/3?print=1", False),  # wildcard
        ("/fa/news/3?id=1&print=1", True),  # "?print=" must follow the path directly
        ("/files/budget.pdf", False),
        ("/files/budget.pdf?v=2", True),  # "$" anchors the end
        ("/", True),  # "User-agent: media" is not mediawatch's group
    ],
)
def test_robots_by_rfc9309(path: str, allowed: bool) -> None:
    rules = RobotsRules.from_text(ROBOTS_RFC9309)
    assert rules.allowed("https://a.ir" + path) is allowed
    assert rules.crawl_delay() == 0.25  # from "*", not from "media" (the exact group, else "*")


def test_robots_our_exact_group_wins_over_star() -> None:
    rules = RobotsRules.from_text("User-agent: *\nDisallow: /\n\nUser-agent: MediaWatch\nCrawl-delay: 1.5\nDisallow: /private/\n")
    assert rules.allowed("https://a.ir/news/1") and not rules.allowed("https://a.ir/private/x")
    assert rules.crawl_delay() == 1.5
    assert RobotsRules.from_text("User-agent: mediawatcher\nDisallow: /\n").allowed("https://a.ir/x")
    assert RobotsRules.from_text("User-agent: *\nDisallow:\n").crawl_delay() is None


async def test_robots_wildcards_and_allow_on_the_wire(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/robots.txt", ROBOTS_RFC9309, content_type="text/plain")
    for path in ("/news/gilan/1", "/news/tehran/2", "/fa/3"):
        site.add(path, PAGE)
    async with PoliteClient(settings) as c:
        assert (await c.get(site.url("/news/gilan/1"))).status == 200
        for refused in ("/news/tehran/2", "/fa/3?print=1"):
            with pytest.raises(FetchError) as err:
                await c.get(site.url(refused))
            assert err.value.kind == "robots" and refused in str(err.value)
    assert site.paths().count("/news/tehran/2") == 0 and site.count("/fa/3") == 0


async def test_crawl_delay_spaces_requests(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/robots.txt", "User-agent: mediawatch\nCrawl-delay: 0.3\n", content_type="text/plain")
    for i in range(3):
        site.add(f"/a{i}", PAGE)
    async with PoliteClient(settings) as c:
        import asyncio

        await asyncio.gather(*(c.get(site.url(f"/a{i}")) for i in range(3)))
    times = sorted(h.at for h in site.hits if h.path.startswith("/a"))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.27, gaps


async def test_robots_4xx_means_allow_all(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/robots.txt", "gone", status=410, content_type="text/plain")
    site.add("/p", PAGE)
    async with PoliteClient(settings) as c:
        assert (await c.get(site.url("/p"), src(site.url("/")))).status == 200
    assert site.count("/p") == 1


@pytest.mark.parametrize("trouble", ["503", "hang"])
async def test_robots_5xx_or_hanging_means_disallow_all_this_run(site, settings, trouble) -> None:  # type: ignore[no-untyped-def]
    # RFC 9309 §2.3.1.4: an unreachable robots.txt (5xx, timeout) means "assume complete disallow".
    if trouble == "503":
        site.add("/robots.txt", "busy", status=503, content_type="text/plain")
    else:
        site.handle("/robots.txt", lambda req: site.stop.wait(5))  # longer than robots_timeout_s (2 s)
    site.add("/p", PAGE)
    site.add("/q", PAGE)
    async with PoliteClient(settings) as c:
        for path in ("/p", "/q"):
            with pytest.raises(FetchError, match=r"robots\.txt could not be read") as err:
                await c.get(site.url(path), src(site.url("/")))
            assert err.value.kind == ("robots_unreachable" if trouble == "503" else "timeout")
        assert any("retried next run" in n for n in c.robots_notes(src(site.url("/"))))
    assert site.count("/p") == 0 and site.count("/q") == 0
    assert site.count("/robots.txt") == 1  # not retried within the run, and never hammered


async def test_crawl_delay_is_capped(site, settings) -> None:  # type: ignore[no-untyped-def]
    from scrapers.fetch import MAX_CRAWL_DELAY_S

    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 86400\n", content_type="text/plain")
    site.add("/p", PAGE)
    s = src(site.url("/"))
    async with PoliteClient(settings) as c:
        await c.get(site.url("/p"), s)
        assert c.interval_for(site.url("/p"), s) == MAX_CRAWL_DELAY_S == 30.0
        assert any("Crawl-delay 86400 s; paced at our cap of 30 s" in n for n in c.robots_notes(s))


async def test_per_host_min_interval(site, settings) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    for i in range(4):
        site.add(f"/p{i}", PAGE)
    s = src(site.url("/"), min_interval_s=0.15)
    async with PoliteClient(settings) as c:
        await asyncio.gather(*(c.get(site.url(f"/p{i}"), s) for i in range(4)))
    times = sorted(h.at for h in site.hits if h.path.startswith("/p"))
    # Measured where the server reads each request, so thread scheduling adds jitter; without pacing the
    # four requests would arrive within milliseconds of each other.
    assert all(b - a >= 0.12 for a, b in itertools.pairwise(times)), [(h.path, h.at) for h in site.hits]


async def test_one_server_is_one_host_whatever_the_spelling_of_its_url(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    # A redirect or link may spell the same server with its default port or with user info; it is still one
    # host to pace and one robots.txt.
    for p in ("/a", "/b", "/c"):
        site.add(p, PAGE)
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    s = src("http://news.gilan-example.ir/", min_interval_s=0.2)
    async with PoliteClient(settings, allow_private=True, transport=to_loopback(site.port)) as c:
        for url in ("http://news.gilan-example.ir/a", "http://news.gilan-example.ir:80/b", "http://reader@NEWS.gilan-example.ir/c"):
            assert (await c.get(url, s)).status == 200
    assert site.count("/robots.txt") == 1, site.paths()
    times = [h.at for h in site.hits if h.path in ("/a", "/b", "/c")]
    assert len(times) == 3 and all(b - a >= 0.17 for a, b in itertools.pairwise(times)), times


async def test_retry_after_on_503_then_success(site, settings) -> None:  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def flaky(req) -> None:  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            req.send_response(503)
            req.send_header("Retry-After", "1")
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        body = PAGE.encode()
        req.send_response(200)
        req.send_header("Content-Type", "text/html; charset=utf-8")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    site.handle("/f", flaky)
    async with PoliteClient(settings) as c:
        res = await c.get(site.url("/f"))
    assert res.status == 200 and res.attempts == 2
    t = [h.at for h in site.hits if h.path == "/f"]
    assert t[1] - t[0] >= 0.95  # Retry-After: 1 honoured although the backoff is 0.02 s


async def test_429_retried_then_gives_up_with_status(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/busy", "", status=429, headers={"Retry-After": "0"})
    async with PoliteClient(settings) as c:
        with pytest.raises(FetchError) as err:
            await c.get(site.url("/busy"))
    assert err.value.status == 429
    assert site.count("/busy") == settings.retries + 1


async def test_huge_retry_after_gives_up_at_once(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/later", "", status=503, headers={"Retry-After": "3600"})
    async with PoliteClient(settings) as c:
        with pytest.raises(FetchError, match="come back"):
            await c.get(site.url("/later"))
    assert site.count("/later") == 1


async def test_500_is_retried_404_is_not(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/err", "boom", status=500)
    async with PoliteClient(settings) as c:
        with pytest.raises(FetchError):
            await c.get(site.url("/err"))
        with pytest.raises(FetchError) as err:
            await c.get(site.url("/missing"))
    assert site.count("/err") == 3 and site.count("/missing") == 1 and err.value.status == 404


async def test_conditional_get_304(site, settings) -> None:  # type: ignore[no-untyped-def]
    def feed(req) -> None:  # type: ignore[no-untyped-def]
        if req.headers.get("If-None-Match") == '"v1"':
            req.send_response(304)
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        body = b"<rss><channel></channel></rss>"
        req.send_response(200)
        req.send_header("ETag", '"v1"')
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    site.handle("/rss", feed)
    async with PoliteClient(settings) as c:
        first = await c.get(site.url("/rss"))
        second = await c.get(site.url("/rss"), etag=first.headers["etag"])
    assert first.status == 200 and second.not_modified and second.content == b""


async def test_size_caps_declared_streamed_and_gzip_bomb(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/big", b"x" * 1_500_000)  # declared 1.5 MB > 1 MB cap

    def chunked(req) -> None:  # type: ignore[no-untyped-def]
        req.send_response(200)
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        chunk = b"y" * 65536
        try:
            for _ in range(40):  # 2.6 MB, no Content-Length
                req.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            req.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    site.handle("/chunked", chunked)
    bomb = gzip.compress(b"\0" * 20_000_000, 6)  # ~20 KB on the wire, 20 MB unpacked (cap: 2 MB)
    site.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    site.add("/gz", gzip.compress(PAGE.encode()), headers={"Content-Encoding": "gzip"})
    async with PoliteClient(settings) as c:
        for path in ("/big", "/chunked", "/bomb"):
            with pytest.raises(FetchError) as err:
                await c.get(site.url(path))
            assert err.value.kind == "too_large", path
        assert "سلام رشت" in (await c.get(site.url("/gz"))).text
    assert len(bomb) < 100_000


async def test_content_codings_we_did_not_ask_for_are_refused_not_read_as_the_page(site, settings) -> None:  # type: ignore[no-untyped-def]
    # We send Accept-Encoding: gzip, deflate; a server that answers brotli, zstd or a stack of codings anyway
    # must not have its compressed bytes taken for the page.
    site.add("/br", b"\x1b\x4a\x00\xf8\x1d\xa9\x53\x6c\x99\x14", headers={"Content-Encoding": "br"})
    site.add("/zstd", b"\x28\xb5\x2f\xfd\x00\x58\x31\x00\x00", headers={"Content-Encoding": "zstd"})
    site.add("/gzgz", gzip.compress(gzip.compress(PAGE.encode())), headers={"Content-Encoding": "gzip, gzip"})
    site.add("/identity", PAGE, headers={"Content-Encoding": "identity"})
    site.add("/gz", gzip.compress(PAGE.encode()), headers={"Content-Encoding": "GZIP"})
    async with PoliteClient(settings) as c:
        for path, coding in (("/br", "br"), ("/zstd", "zstd"), ("/gzgz", "gzip, gzip")):
            with pytest.raises(FetchError, match="Content-Encoding") as err:
                await c.get(site.url(path))
            assert err.value.kind == "encoding" and repr(coding) in str(err.value) and site.url(path) in str(err.value)
        assert "سلام رشت" in (await c.get(site.url("/identity"))).text
        assert "سلام رشت" in (await c.get(site.url("/gz"))).text


def _bare_deflate(data: bytes) -> bytes:
    z = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


async def test_deflate_bare_or_zlib_wrapped_is_decoded_and_capped(site, settings) -> None:  # type: ignore[no-untyped-def]
    # RFC 9110's "deflate" is a zlib stream; old servers (IIS) send bare deflate, which browsers read too.
    site.add("/bare", _bare_deflate(PAGE.encode()), headers={"Content-Encoding": "deflate"})
    site.add("/zlib", zlib.compress(PAGE.encode()), headers={"Content-Encoding": "deflate"})
    site.add("/bomb", _bare_deflate(b"\0" * 20_000_000), headers={"Content-Encoding": "deflate"})  # cap: 2 MB
    site.add("/junk", b"\xff\xff\xff\xff", headers={"Content-Encoding": "deflate"})
    async with PoliteClient(settings) as c:
        assert "سلام رشت" in (await c.get(site.url("/bare"))).text
        assert "سلام رشت" in (await c.get(site.url("/zlib"))).text
        with pytest.raises(FetchError) as bomb:
            await c.get(site.url("/bomb"))
        assert bomb.value.kind == "too_large"
        with pytest.raises(FetchError, match="corrupt deflate body") as junk:
            await c.get(site.url("/junk"))
        assert junk.value.kind == "truncated"


async def test_redirects_within_site_followed_loops_and_other_sites_refused(site, settings) -> None:  # type: ignore[no-untyped-def]
    site.add("/old", "", status=301, headers={"Location": "/new"})
    site.add("/new", PAGE)
    site.add("/loop1", "", status=302, headers={"Location": "/loop2"})
    site.add("/loop2", "", status=302, headers={"Location": "/loop1"})
    site.add("/away", "", status=302, headers={"Location": f"http://localhost:{site.port}/new"})
    s = src(site.url("/"))
    async with PoliteClient(settings) as c:
        res = await c.get(site.url("/old"), s)
        assert res.url == site.url("/new") and res.redirects == [site.url("/new")]
        with pytest.raises(FetchError, match="redirects") as loop:
            await c.get(site.url("/loop1"), s)
        assert loop.value.kind == "redirect"
        with pytest.raises(FetchError, match="another site") as away:
            await c.get(site.url("/away"), s)
        assert away.value.kind == "redirect"
    assert site.count("/loop1") + site.count("/loop2") == settings.max_redirects + 1


async def test_private_addresses_refused_for_public_sources(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    dns = {"news.gilan-example.ir": ["185.143.233.10"], "intranet.gilan-example.ir": ["10.0.0.7"], "evil-example.ir": ["127.0.0.1"]}
    site.add("/p", PAGE)
    site.add("/to-intranet", "", status=302, headers={"Location": "http://intranet.gilan-example.ir/admin"})
    public = src("http://news.gilan-example.ir/", domains=("intranet.gilan-example.ir",))  # same site, private address
    async with PoliteClient(settings, resolver=dns.__getitem__, transport=to_loopback(site.port)) as c:
        assert (await c.get("http://news.gilan-example.ir/p", public)).status == 200
        with pytest.raises(FetchError) as redirect:
            await c.get("http://news.gilan-example.ir/to-intranet", public)
        assert redirect.value.kind == "private" and "10.0.0.7" in str(redirect.value)
        with pytest.raises(FetchError) as evil:  # a public-looking name that resolves to loopback
            await c.get("http://evil-example.ir/p", src("http://evil-example.ir/"))
        assert evil.value.kind == "private"
    assert "/admin" not in site.paths()
    # The demo's sources live on 127.0.0.1 itself: allowed without any flag.
    async with PoliteClient(settings) as c:
        assert (await c.get(site.url("/p"), src(site.url("/")))).status == 200


async def test_connection_refused_truncated_and_slow_drip(site, settings) -> None:  # type: ignore[no-untyped-def]
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()

    def truncated(req) -> None:  # type: ignore[no-untyped-def]
        req.send_response(200)
        req.send_header("Content-Length", "10000")
        req.end_headers()
        req.wfile.write(b"<html>" + b"a" * 100)
        req.close_connection = True

    def drip(req) -> None:  # type: ignore[no-untyped-def]
        req.send_response(200)
        req.send_header("Content-Length", "1000")
        req.end_headers()
        for _ in range(1000):
            if site.stop.wait(0.1):
                return
            try:
                req.wfile.write(b"a")
                req.wfile.flush()
            except OSError:
                return

    site.handle("/trunc", truncated)
    site.handle("/drip", drip)
    settings.request_timeout_s = 0.6
    settings.retries = 0
    async with PoliteClient(settings) as c:
        with pytest.raises(FetchError) as refused:
            await c.get(f"http://127.0.0.1:{dead_port}/x")
        assert refused.value.kind == "connect" and refused.value.status is None
        with pytest.raises(FetchError) as cut:
            await c.get(site.url("/trunc"))
        assert cut.value.kind == "truncated"
        with pytest.raises(FetchError) as slow:
            await c.get(site.url("/drip"))  # the drip would take 100 s; the whole-request timeout is 0.6 s
        # Behaviour, not wall clock: cut by the timeout, given up without a retry (retries = 0).
        assert slow.value.kind == "timeout" and "after 1 tries" in str(slow.value)
    assert site.count("/drip") == 1 and site.count("/trunc") == 1


async def test_windows_1256_without_charset_header(site, settings) -> None:  # type: ignore[no-untyped-def]
    # windows-1256 has no Persian yeh (U+06CC): such pages write the Arabic one (U+064A).
    text = "<html><body><p>شهرداري رشت مي‌گويد: پياده‌راه فرهنگي گيلان، ژاله و چمن</p></body></html>"
    site.add("/old", text.encode("cp1256"), content_type="text/html")
    async with PoliteClient(settings) as c:
        res = await c.get(site.url("/old"))
    assert res.text == text and "\u200c" in res.text


async def test_same_site_is_exact_hosts_not_a_registrable_domain_guess(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    public = ["185.143.233.10"]
    dns = {h: public for h in ("x.blog.ir", "evil.blog.ir", "www.x.blog.ir", "media.x-news.ir")}
    site.add("/p", PAGE)
    site.add("/to-evil", "", status=302, headers={"Location": "http://evil.blog.ir/p"})
    site.add("/to-www", "", status=301, headers={"Location": "http://www.x.blog.ir/p"})
    site.add("/to-media", "", status=302, headers={"Location": "http://media.x-news.ir/p"})
    blog = src("http://x.blog.ir/", domains=("media.x-news.ir",))
    async with PoliteClient(settings, resolver=dns.__getitem__, transport=to_loopback(site.port)) as c:
        with pytest.raises(FetchError, match="another site") as away:
            await c.get("http://x.blog.ir/to-evil", blog)
        assert away.value.kind == "redirect"
        assert (await c.get("http://x.blog.ir/to-www", blog)).url == "http://www.x.blog.ir/p"
        assert (await c.get("http://x.blog.ir/to-media", blog)).url == "http://media.x-news.ir/p"
        assert not c.same_site("http://news.blog.ir/p", blog, "http://x.blog.ir/")
    assert [h.headers["host"] for h in site.hits if h.path == "/p"] == ["www.x.blog.ir", "media.x-news.ir"]


async def test_dns_rebinding_is_refused_by_the_connected_address(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    # The name passes the resolve-time check (public address) but the connection lands on 127.0.0.1.
    dns = {"rebind-example.ir": ["185.143.233.10"]}
    site.add("/secret", "<html><body>internal admin page</body></html>")
    rebind = src("http://rebind-example.ir/")
    async with PoliteClient(settings, resolver=dns.__getitem__, transport=to_loopback(site.port, show_peer=True)) as c:
        with pytest.raises(FetchError, match="DNS rebinding") as err:
            await c.get("http://rebind-example.ir/secret", rebind, check_robots=False)
        assert err.value.kind == "private" and "127.0.0.1" in str(err.value)
    # Sources that live on 127.0.0.1 (the demo) are still fetched through the real transport, peer checked.
    async with PoliteClient(settings) as c:
        res = await c.get(site.url("/secret"), src(site.url("/")))
        assert res.status == 200 and "internal admin page" in res.text


async def test_a_robots_cache_spares_the_next_runs_request_until_it_expires(site, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    from scrapers.robots import RobotsCache

    site.add("/robots.txt", "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    site.add("/public", PAGE)
    cache = RobotsCache(tmp_path / "robots", max_age_s=3600)
    for _run in range(2):  # two runs (two clients), as two hourly pulses
        async with PoliteClient(settings, robots_cache=cache) as c:
            assert (await c.get(site.url("/public"))).status == 200
            with pytest.raises(FetchError):
                await c.get(site.url("/private/x"))  # the cached rules are the site's rules
    assert site.count("/robots.txt") == 1
    # Older than its age: read again.
    for f in (tmp_path / "robots").iterdir():
        os.utime(f, (time.time() - 7200, time.time() - 7200))
    async with PoliteClient(settings, robots_cache=cache) as c:
        await c.get(site.url("/public"))
    assert site.count("/robots.txt") == 2
    # RFC 9309 §2.4: never more than 24 hours, whatever the setting says.
    assert RobotsCache(tmp_path, max_age_s=10 * 86400).max_age_s == 86400


@pytest.mark.parametrize(("status", "kept"), [(404, True), (503, False)])
async def test_only_a_readable_robots_answer_is_kept(site, settings, tmp_path, status, kept) -> None:  # type: ignore[no-untyped-def]
    from scrapers.robots import RobotsCache

    site.add("/robots.txt", "no", status=status, content_type="text/plain")
    site.add("/public", PAGE)
    cache = RobotsCache(tmp_path / "robots", max_age_s=3600)
    for _run in range(2):
        async with PoliteClient(settings, robots_cache=cache) as c:
            try:
                await c.get(site.url("/public"))
            except FetchError:
                assert not kept  # a 5xx robots.txt: nothing may be fetched this run
    # A 404 (no rules) is kept like a file; a 5xx is asked again next run, never remembered.
    assert site.count("/robots.txt") == (1 if kept else 2)
