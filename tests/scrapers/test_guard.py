"""The fetch guard (scrapers/guard.py): alone, then through the real fetch path against loopback servers."""

from __future__ import annotations

import pytest

from mediawatch.records import Scope, Source, SourceKind
from mediawatch.settings import Settings
from scrapers.errors import FetchError
from scrapers.fetch import PoliteClient
from scrapers.guard import Guard, is_private, never_reachable

PAGE = "<html><body><p>سلام رشت</p></body></html>"


def src(homepage: str, **kw) -> Source:  # type: ignore[no-untyped-def]
    return Source(id="t", name="t", homepage=homepage, kind=SourceKind.news_site, scope=Scope.gilan, **kw)


# --- the policy alone ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ip", "why"),
    [
        ("169.254.169.254", "metadata"), ("::ffff:169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"), ("168.63.129.16", "metadata"),
        ("169.254.1.2", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
        ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("0.1.2.3", "unspecified"),
        ("224.0.0.1", "multicast"), ("255.255.255.255", "broadcast"),
        # IPv6 forms that carry an IPv4 address: NAT64, 6to4, IPv4-translated, IPv4-compatible.
        ("64:ff9b::a9fe:a9fe", "metadata"), ("2002:a9fe:a9fe::1", "metadata"), ("::ffff:0:a9fe:a9fe", "metadata"),
        ("::169.254.169.254", "metadata"), ("64:ff9b::a9fe:1", "link-local"), ("64:ff9b::", "unspecified"),
    ],
)
def test_addresses_that_are_never_reachable(ip: str, why: str) -> None:
    assert why in never_reachable(ip)


@pytest.mark.parametrize(
    ("ip", "private"),
    [
        ("64:ff9b::7f00:1", True), ("64:ff9b::a00:7", True), ("2002:7f00:1::1", True), ("2002:c0a8:101::1", True),
        ("::ffff:0:7f00:1", True), ("::127.0.0.1", True), ("fec0::1", True), ("::1", True),
        ("64:ff9b::b98f:e90a", False), ("2002:b98f:e90a::1", False), ("2a01:4f8::1", False), ("185.143.233.10", False),
    ],
)
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(ip: str, private: bool) -> None:
    assert is_private(ip) is private


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "10.0.0.7", "192.168.1.1", "185.143.233.10"])
def test_loopback_private_and_public_addresses_are_left_to_the_source_rule(ip: str) -> None:
    assert never_reachable(ip) == ""


@pytest.mark.parametrize("allow_private", [False, True])
def test_metadata_refused_even_when_loopback_is_allowed_or_named_literally(allow_private: bool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    guard = Guard(Settings(data_dir=tmp_path), allow_private=allow_private)
    home = "http://169.254.169.254/"
    with pytest.raises(FetchError, match="cloud metadata") as err:
        guard.check_address(home + "latest/meta-data/", "169.254.169.254", src(home), home)
    assert err.value.kind == "private"
    guard.check_address("http://127.0.0.1:8080/p", "127.0.0.1", src("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/")


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("http://127.0.0.1:8080/b", True),  # same origin
        ("http://127.0.0.1:6379/", False),  # another port of the same address: another service
        ("https://127.0.0.1:8080/b", False),  # another scheme on a port nobody listed
        ("http://127.0.0.1:9000/rss", True),  # an origin the source lists (its feed)
        ("http://127.0.0.1/b", True),  # its own host on the scheme's default port
    ],
)
def test_redirect_origin_rule(target: str, ok: bool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    guard = Guard(Settings(data_dir=tmp_path))
    source = src("http://127.0.0.1:8080/", feeds=("http://127.0.0.1:9000/rss",))
    start = "http://127.0.0.1:8080/a"
    if ok:
        guard.check_redirect(start, target, source, start, [], 302)
    else:
        with pytest.raises(FetchError, match="another origin") as err:
            guard.check_redirect(start, target, source, start, [], 302)
        assert err.value.kind == "redirect"


def test_redirect_http_to_https_and_www_twin_are_the_same_site(tmp_path) -> None:  # type: ignore[no-untyped-def]
    guard = Guard(Settings(data_dir=tmp_path))
    source = src("https://www.gilkhabar.example/")
    start = "http://gilkhabar.example/rss"
    guard.check_redirect(start, "https://www.gilkhabar.example/rss", source, start, [], 301)
    with pytest.raises(FetchError, match="another origin"):
        guard.check_redirect(start, "https://www.gilkhabar.example:8443/rss", source, start, [], 301)


# --- through the real fetch path ----------------------------------------------------------------------
async def test_redirect_to_another_port_of_the_same_address_is_refused(make_site, settings) -> None:  # type: ignore[no-untyped-def]
    a, b = make_site(), make_site()
    b.add("/internal", "<html><body>admin console</body></html>")
    a.add("/go", "", status=302, headers={"Location": b.url("/internal")})
    async with PoliteClient(settings) as c:
        with pytest.raises(FetchError, match="another origin") as err:
            await c.get(a.url("/go"), src(a.url("/")))
        assert err.value.kind == "redirect"
        # The same redirect is followed when the source lists that origin (a feed served from there).
        res = await c.get(a.url("/go"), src(a.url("/"), feeds=(b.url("/rss"),)))
        assert res.url == b.url("/internal") and "admin console" in res.text
    assert b.count("/internal") == 1  # only the second, allowed, time


@pytest.mark.parametrize("allow_private", [False, True])
async def test_unspecified_address_never_reaches_the_local_server(site, settings, allow_private: bool) -> None:  # type: ignore[no-untyped-def]
    # On Linux, connecting to 0.0.0.0 reaches this machine's own services.
    site.add("/p", PAGE)
    home = f"http://0.0.0.0:{site.port}/"
    async with PoliteClient(settings, allow_private=allow_private) as c:
        with pytest.raises(FetchError, match="unspecified") as err:
            await c.get(home + "p", src(home), check_robots=False)
        assert err.value.kind == "private"
    assert site.hits == []


async def test_names_resolving_to_metadata_are_refused_before_connecting(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    dns = {"news.gilan-example.ir": ["185.143.233.10"], "meta.gilan-example.ir": ["169.254.169.254"]}
    site.add("/to-meta", "", status=302, headers={"Location": "http://meta.gilan-example.ir/latest/meta-data/"})
    site.add("/latest/meta-data/", "iam-credentials")
    source = src("http://news.gilan-example.ir/", domains=("meta.gilan-example.ir",))
    async with PoliteClient(settings, allow_private=True, resolver=dns.__getitem__, transport=to_loopback(site.port)) as c:
        with pytest.raises(FetchError, match="cloud metadata") as err:
            await c.get("http://news.gilan-example.ir/to-meta", source, check_robots=False)
    assert err.value.kind == "private"
    assert "/latest/meta-data/" not in site.paths()


async def test_feed_links_to_another_port_of_the_same_address_are_not_fetched(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from scrapers.collect import collect_all
    from tests.scrapers.test_collect import article_html, rss

    a, b = make_site(), make_site()
    now = datetime.now(UTC)
    a.add("/rss", rss([("خبر رشت", a.url("/n/1"), now, "رشت"), ("سرویس داخلی", b.url("/admin"), now, "رشت")]),
          content_type="application/rss+xml")
    a.add("/n/1", article_html("خبر رشت", "شهرداری رشت امروز خبر داد.", now))
    b.add("/admin", article_html("پنل مدیریت", "این صفحه نباید خوانده شود.", now))
    source = src(a.url("/"), feeds=(a.url("/rss"),))
    [report] = await collect_all([source], state=store, sink=store, settings=settings)
    assert report.new == 1 and set(store.articles) == {a.url("/n/1")}
    assert b.hits == [] and any("link(s) to other sites skipped" in e for e in report.errors)


async def test_names_resolving_to_ipv6_forms_of_private_addresses_are_refused(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    # On a NAT64 network 64:ff9b::a00:7 is 10.0.0.7; 2002:7f00:1:: (6to4) carries 127.0.0.1.
    dns = {"news.gilan-example.ir": ["185.143.233.10"], "nat64.gilan-example.ir": ["64:ff9b::a00:7"],
           "6to4.gilan-example.ir": ["2002:7f00:1::1"], "meta.gilan-example.ir": ["64:ff9b::a9fe:a9fe"]}
    site.add("/p", PAGE)
    for name in ("nat64", "6to4", "meta"):
        site.add(f"/to-{name}", "", status=302, headers={"Location": f"http://{name}.gilan-example.ir/admin"})
    site.add("/admin", "internal")
    source = src("http://news.gilan-example.ir/", domains=("nat64.gilan-example.ir", "6to4.gilan-example.ir", "meta.gilan-example.ir"))
    async with PoliteClient(settings, resolver=dns.__getitem__, transport=to_loopback(site.port)) as c:
        assert (await c.get("http://news.gilan-example.ir/p", source, check_robots=False)).status == 200
        for name in ("nat64", "6to4"):
            with pytest.raises(FetchError, match="private or loopback") as err:
                await c.get(f"http://news.gilan-example.ir/to-{name}", source, check_robots=False)
            assert err.value.kind == "private"
    async with PoliteClient(settings, allow_private=True, resolver=dns.__getitem__, transport=to_loopback(site.port)) as c:
        with pytest.raises(FetchError, match="cloud metadata"):
            await c.get("http://news.gilan-example.ir/to-meta", source, check_robots=False)
    assert "/admin" not in site.paths()


async def test_a_dns_lookup_that_hangs_fails_within_the_request_timeout(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """getaddrinfo ran outside every timeout: a DNS server that never answers stalled the source for as
    long as the system resolver kept trying."""
    import socket
    import time

    def hanging(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        raise socket.gaierror("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    guard = Guard(Settings(data_dir=tmp_path, request_timeout_s=0.2))
    start = time.monotonic()
    with pytest.raises(FetchError) as err:
        await guard.resolve("news.example.ir", "https://news.example.ir/a")
    assert time.monotonic() - start < 1.0
    assert err.value.kind == "timeout" and "news.example.ir" in str(err.value) and "DNS" in str(err.value)
