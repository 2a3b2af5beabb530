"""collect_source / collect_all end to end against loopback sites, with an in-memory store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from mediawatch.records import Scope, Source, SourceKind
from scrapers.collect import collect_all
from scrapers.fetch import PoliteClient

NOW = datetime.now(UTC)


def article_html(title: str, body: str, when: datetime | str, *, lead: str = "") -> str:
    date = when.isoformat() if isinstance(when, datetime) else when
    return f"""<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>{title} | سایت</title>
<meta property="article:published_time" content="{date}"></head><body>
<nav><a href="/">خانه</a></nav><article><h1>{title}</h1><p class="lead">{lead}</p>
<div class="entry-content"><p>{body}</p><p>این پاراگراف دوم خبر است که برای آزمون نوشته شده است.</p></div>
<div class="related"><p>خبرهای مرتبط که نباید در متن بیایند</p></div></article></body></html>"""


def rss(items: list[tuple[str, str, datetime, str]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{format_datetime(d)}</pubDate><description>{desc}</description></item>"
        for t, link, d, desc in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'


def make_source(site, sid: str = "local", *, scope: Scope = Scope.gilan, feeds=("/rss",), listings=(), **kw) -> Source:  # type: ignore[no-untyped-def]
    return Source(
        id=sid, name=sid, homepage=site.url("/"), kind=SourceKind.news_site, scope=scope,
        feeds=tuple(site.url(f) for f in feeds), listings=tuple(site.url(u) for u in listings), **kw,
    )


def feed_with_etag(site, body: str) -> None:  # type: ignore[no-untyped-def]
    def handler(req) -> None:  # type: ignore[no-untyped-def]
        if req.headers.get("If-None-Match") == '"f1"':
            req.send_response(304)
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        data = body.encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("ETag", '"f1"')
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    site.handle("/rss", handler)


async def test_collects_dedupes_tracking_params_and_survives_a_dead_site(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    d = NOW - timedelta(hours=2)
    feed_with_etag(site, rss([
        ("پیاده‌راه فرهنگی رشت", site.url("/news/1/a?utm_source=telegram"), d, "خبر یک"),
        ("پیاده‌راه فرهنگی رشت", site.url("/news/1/a#comments"), d, "خبر یک"),
        ("زباله در گلسار", site.url("/news/2/b"), d, "خبر دو"),
        ("صفحه خراب", site.url("/news/3/c"), d, "خبر سه"),
    ]))
    site.add("/news/1/a", article_html("پیاده‌راه فرهنگی رشت", "شهردار رشت از پیاده‌راه بازدید کرد.", d))
    site.add("/news/2/b", article_html("زباله در گلسار", "شهروندان از انباشت زباله گلایه دارند.", d))
    site.add("/news/3/c", "<html><body><div><p>بدون متن<span></div></td></body></html>")  # malformed, no body
    dead = Source(id="dead", name="dead", homepage="http://127.0.0.1:9/", kind=SourceKind.weekly, scope=Scope.gilan, feeds=("http://127.0.0.1:9/rss",))
    reports = await collect_all([make_source(site), dead], state=store, sink=store, settings=settings)
    by_id = {r.source_id: r for r in reports}
    local = by_id["local"]
    assert (local.found, local.new, local.failed, local.fatal) == (3, 2, 1, "")
    assert "could not find the" in local.errors[0] and site.url("/news/3/c") in local.errors[0]
    assert site.count("/news/1/a") == 1  # the tracking-parameter twin was not fetched again
    art = store.articles[site.url("/news/1/a")]
    assert art.title == "پیاده‌راه فرهنگی رشت" and "\u200c" in art.title
    assert "خبرهای مرتبط" not in art.body and art.published_at is not None
    assert by_id["dead"].fatal.startswith("site unreachable") and "sources.toml" in by_id["dead"].fatal
    assert any(e.source_id == "dead" and e.outcome == "error" and e.status is None for e in store.events)
    # The failed page keeps the feed validators unsaved, so the next night re-reads the feed.
    assert site.url("/rss") not in store.validators

    # Second night: the broken page is fixed; only it is fetched.
    site.add("/news/3/c", article_html("صفحه درست", "اکنون متن دارد و شهرداری رشت پاسخ داد.", d))
    before = len(site.hits)
    again = await collect_all([make_source(site)], state=store, sink=store, settings=settings)
    assert (again[0].new, again[0].skipped, again[0].failed) == (1, 2, 0)
    assert [h.path for h in site.hits[before:] if h.path.startswith("/news")] == ["/news/3/c"]
    assert store.validators[site.url("/rss")][0] == '"f1"'

    # Third night: the feed answers 304, nothing else is requested.
    before = len(site.hits)
    third = await collect_all([make_source(site)], state=store, sink=store, settings=settings)
    assert (third[0].found, third[0].new, third[0].fatal) == (0, 0, "")
    assert [h.path for h in site.hits[before:]] == ["/robots.txt", "/rss"]
    assert store.events[-1].outcome == "not_modified"


async def test_feed_problems_are_reported_not_raised(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    site.add("/html-feed", "<html><body>Welcome!</body></html>")
    site.add("/empty", rss([]), content_type="application/rss+xml")
    site.add("/missing-item-feed", rss([("گم‌شده", site.url("/news/404/x"), NOW, "رشت")]), content_type="application/rss+xml")
    html_src = make_source(site, "htmlfeed", feeds=("/html-feed",))
    empty_src = make_source(site, "empty", feeds=("/empty",))
    missing_src = make_source(site, "missing", feeds=("/missing-item-feed",))
    reports = {r.source_id: r for r in await collect_all([html_src, empty_src, missing_src], state=store, sink=store, settings=settings)}
    assert "expected RSS/Atom but got an HTML page" in reports["htmlfeed"].fatal
    assert (reports["empty"].found, reports["empty"].fatal) == (0, "")
    assert (reports["missing"].failed, reports["missing"].new) == (1, 0)
    assert "HTTP 404" in reports["missing"].errors[0]


async def test_gilan_filter_on_national_sources(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    d = NOW - timedelta(hours=1)
    site.add("/rss", rss([
        ("بازدید از پروژه‌های عمرانی", site.url("/news/10/a"), d, "رشت - ایرنا - شهردار از پروژه‌ها بازدید کرد."),
        ("رشته‌های جدید دانشگاهی", site.url("/news/11/b"), d, "دانشگاه تهران رشته تازه‌ای راه انداخت."),
        ("خبر بی‌خلاصه", site.url("/news/12/c"), d, ""),
    ]), content_type="application/rss+xml")
    site.add("/news/10/a", article_html("بازدید از پروژه‌های عمرانی", "رشت - ایرنا - شهردار از پروژه‌ها بازدید کرد.", d))
    site.add("/news/12/c", article_html("خبر بی‌خلاصه", "در تهران جلسه‌ای درباره رشته‌های ورزشی برگزار شد.", d))
    national = make_source(site, "irna", scope=Scope.national)
    [report] = await collect_all([national], state=store, sink=store, settings=settings)
    assert list(store.articles) == [site.url("/news/10/a")]
    assert site.count("/news/11/b") == 0  # dropped on the feed's own text, never fetched
    assert site.count("/news/12/c") == 1  # no summary: fetched, then dropped on its body
    assert report.new == 1 and report.skipped == 2
    assert sorted(store.outcomes()["filtered"]) == [site.url("/news/11/b"), site.url("/news/12/c")]
    # The next night: the page dropped on its body is remembered (state.filtered_urls), not fetched again.
    [again] = await collect_all([national], state=store, sink=store, settings=settings)
    assert site.count("/news/12/c") == 1 and site.count("/news/10/a") == 1
    assert (again.found, again.new, again.skipped, again.failed) == (3, 0, 3, 0)


async def test_since_backfills_through_listing_pages(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    days = [NOW - timedelta(days=i, hours=1) for i in range(9)]  # 9 articles, one per day, newest first

    def listing(page: int) -> str:
        rows = "".join(
            f'<li><a href="/news/{i}/item-{i}">خبر {i}</a> <span class="date">{days[i].isoformat()}</span></li>'
            for i in range(page * 3, page * 3 + 3)
        )
        nxt = f'<a class="next" href="/archive?page={page + 1}">بعدی</a>' if page < 2 else ""
        return f"<html><body><ul>{rows}</ul><div class='pagination'>{nxt}</div></body></html>"

    site.add("/archive", listing(0))
    site.add("/archive?page=1", listing(1))
    site.add("/archive?page=2", listing(2))
    for i, d in enumerate(days):
        site.add(f"/news/{i}/item-{i}", article_html(f"خبر {i}", f"متن خبر شماره {i} درباره شهرداری رشت.", d))
    src = make_source(site, "weekly", feeds=(), listings=("/archive",))
    since = NOW - timedelta(days=4, hours=12)  # covers items 0..4
    [report] = await collect_all([src], state=store, sink=store, since=since, settings=settings)
    assert report.fatal == "" and report.new == 5
    assert sorted(a.title for a in store.articles.values()) == [f"خبر {i}" for i in range(5)]
    assert site.count("/archive?page=1") == 1 and site.count("/archive?page=2") == 0
    assert site.count("/news/5/item-5") == 0  # older than --since by the listing's own date


async def test_future_date_is_not_taken_as_fact(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    future = NOW + timedelta(days=3)
    site.add("/rss", rss([("خبر آینده", site.url("/news/7/f"), NOW - timedelta(hours=1), "رشت")]), content_type="application/rss+xml")
    site.add("/news/7/f", article_html("خبر آینده", "متنی که تاریخ آن اشتباه است درباره رشت.", future))
    [report] = await collect_all([make_source(site)], state=store, sink=store, settings=settings)
    art = store.articles[site.url("/news/7/f")]
    # The page's date is wrong; the feed's date is used instead and the problem is reported.
    assert art.published_at is not None and art.published_at < NOW
    assert report.new == 1 and any("future" in e for e in report.errors)


async def test_killed_run_loses_nothing_and_next_run_picks_up_the_rest(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    d = NOW - timedelta(hours=1)
    items = [(f"خبر {i}", site.url(f"/news/{i}/x"), d, "رشت") for i in range(6)]
    feed_with_etag(site, rss(items))
    for i in range(6):
        site.add(f"/news/{i}/x", article_html(f"خبر {i}", f"متن {i} درباره شهرداری رشت.", d))
    src = make_source(site, min_interval_s=0.1)
    async with PoliteClient(settings) as client:
        task = asyncio.create_task(collect_all([src], state=store, sink=store, settings=settings, client=client))
        deadline = asyncio.get_running_loop().time() + 30
        while len(store.articles) < 2 and not task.done():
            assert asyncio.get_running_loop().time() < deadline, "the run stored fewer than 2 articles in 30 s"
            await asyncio.sleep(0.01)
        assert not task.done(), f"the run ended before it could be killed: {task.result()}"
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    kept = len(store.articles)
    assert 2 <= kept < 6 and site.url("/rss") not in store.validators
    [report] = await collect_all([src], state=store, sink=store, settings=settings)
    assert report.new == 6 - kept and len(store.articles) == 6


async def test_sitemap_index_discovery_with_since(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    recent, old = NOW - timedelta(days=1), NOW - timedelta(days=40)
    site.add("/sitemap.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{site.url('/sitemap-news.xml')}</loc></sitemap></sitemapindex>""",
             content_type="application/xml")
    urls = "".join(
        f"<url><loc>{site.url(f'/news/{i}/s')}</loc><lastmod>{d.isoformat()}</lastmod></url>"
        for i, d in ((1, recent), (2, recent), (3, old))
    )
    site.add("/sitemap-news.xml", f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
             content_type="application/xml")
    for i, d in ((1, recent), (2, recent), (3, old)):
        site.add(f"/news/{i}/s", article_html(f"نقشه {i}", f"متن شماره {i} درباره شهرداری رشت و پروژه‌ها.", d))
    src = Source(id="sm", name="sm", homepage=site.url("/"), kind=SourceKind.municipal_site, scope=Scope.rasht,
                 sitemaps=(site.url("/sitemap.xml"),))
    [report] = await collect_all([src], state=store, sink=store, since=NOW - timedelta(days=7), settings=settings)
    assert (report.found, report.new, report.fatal) == (2, 2, "")
    assert site.count("/news/3/s") == 0


@pytest.mark.slow
async def test_parse_workers_give_the_same_articles(make_site, settings, memory_store_cls) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    d = NOW - timedelta(hours=3)
    site.add("/rss", rss([(f"خبر {i}", site.url(f"/news/{i}/p"), d, "رشت") for i in range(3)]), content_type="application/rss+xml")
    for i in range(3):
        site.add(f"/news/{i}/p", article_html(f"خبر {i}", f"متن {i} درباره پیاده‌راه رشت و شهرداری.", d))
    in_loop, in_pool = memory_store_cls(), memory_store_cls()
    await collect_all([make_source(site)], state=in_loop, sink=in_loop, settings=settings)
    await collect_all([make_source(site)], state=in_pool, sink=in_pool, settings=settings, parse_workers=1)
    strip = lambda store: {u: a.body for u, a in store.articles.items()}  # noqa: E731
    assert len(in_pool.articles) == 3 and strip(in_pool) == strip(in_loop)


async def test_unreadable_robots_fails_that_source_only_and_says_why(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    down, fine = make_site(), make_site()
    down.add("/robots.txt", "oops", status=500, content_type="text/plain")
    down.add("/rss", rss([("خبر رشت", down.url("/a"), NOW, "رشت")]), content_type="application/rss+xml")
    fine.add("/rss", rss([("خبر رشت", fine.url("/a"), NOW, "رشت")]), content_type="application/rss+xml")
    fine.add("/a", article_html("خبر رشت", "شهرداری رشت امروز خبر داد.", NOW))
    reports = await collect_all([make_source(down, "down"), make_source(fine, "fine")], state=store, sink=store, settings=settings)
    by_id = {r.source_id: r for r in reports}
    assert "robots.txt could not be read" in by_id["down"].fatal and "retried next run" in by_id["down"].fatal
    assert by_id["fine"].ok and by_id["fine"].new == 1
    assert down.count("/rss") == 0


async def test_huge_crawl_delay_is_paced_at_the_cap_and_reported(site, settings, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 86400\n", content_type="text/plain")
    site.add("/rss", rss([("خبر رشت", site.url("/a"), NOW, "رشت")]), content_type="application/rss+xml")
    site.add("/a", article_html("خبر رشت", "شهرداری رشت امروز خبر داد.", NOW))
    client = PoliteClient(settings)
    client.max_crawl_delay_s = 0.2  # the production cap is 30 s; the behaviour is the same
    async with client, asyncio.timeout(20):  # uncapped, the second request would wait a day
        [report] = await collect_all([make_source(site)], state=store, sink=store, settings=settings, client=client)
    assert report.ok and report.new == 1
    assert any("Crawl-delay 86400 s; paced at our cap of 0.2 s" in e for e in report.errors)


async def test_feed_and_sitemap_links_to_other_sites_are_skipped_and_counted(site, settings, store, to_loopback) -> None:  # type: ignore[no-untyped-def]
    # Every name goes to the one loopback server; the Host header tells which site was asked.
    home = "http://news.gilan-example.ir"
    site.add("/rss", rss([("خبر رشت", f"{home}/a", NOW, "رشت"), ("خبر رشت دیگر", "http://elsewhere-example.com/off", NOW, "رشت")]),
             content_type="application/rss+xml")
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>{home}/sm1.xml</loc></sitemap><sitemap><loc>http://elsewhere-example.com/sm2.xml</loc></sitemap></sitemapindex>")
    urlset = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              f"<url><loc>{home}/b</loc></url><url><loc>http://elsewhere-example.com/off2</loc></url></urlset>")
    site.add("/sitemap.xml", index, content_type="application/xml")
    site.add("/sm1.xml", urlset, content_type="application/xml")
    site.add("/sm2.xml", urlset, content_type="application/xml")
    for path in ("/a", "/b", "/off", "/off2"):
        site.add(path, article_html("خبر رشت", "شهرداری رشت امروز خبر داد.", NOW))
    source = Source(id="s", name="s", homepage=home + "/", kind=SourceKind.news_site, scope=Scope.gilan,
                    feeds=(f"{home}/rss",), sitemaps=(f"{home}/sitemap.xml",))
    async with PoliteClient(settings, allow_private=True, transport=to_loopback(site.port)) as client:
        [report] = await collect_all([source], state=store, sink=store, since=NOW - timedelta(days=1), settings=settings, client=client)
    assert report.ok and report.new == 2, report
    assert {"/a", "/b"} <= set(site.paths())
    assert not {"/off", "/off2", "/sm2.xml"} & set(site.paths())
    assert set(store.articles) == {f"{home}/a", f"{home}/b"}
    assert report.skipped >= 3 and sum("link(s) to other sites skipped" in e for e in report.errors) == 3


async def test_filtered_page_is_not_fetched_again_with_the_real_store(make_site, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage import open_store
    from storage.store import RunSink

    site = make_site()
    d = NOW - timedelta(hours=1)
    site.add("/rss", rss([("خبر بی‌خلاصه", site.url("/news/12/c"), d, "")]), content_type="application/rss+xml")
    site.add("/news/12/c", article_html("خبر بی‌خلاصه", "در تهران جلسه‌ای درباره رشته‌های ورزشی برگزار شد.", d))
    national = make_source(site, "irna", scope=Scope.national)
    with open_store(f"sqlite:///{tmp_path / 'mw.sqlite'}") as store:
        store.sync_sources([national])
        for night in range(2):
            sink = RunSink(store, store.start_run("nightly"))
            [report] = await collect_all([national], state=sink, sink=sink, settings=settings)
            assert report.ok and report.skipped == 1, (night, report)
    assert site.count("/news/12/c") == 1  # fetched and dropped on the first night only


async def test_a_page_of_unclosed_tags_a_browser_shows_is_stored_whole(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    # Issue 12, defect 7: an unclosed <span> per <br> line nested the page past libxml2's depth
    # limit, which silently dropped the rest: the date after the body was lost and the page not stored.
    from tests.scrapers.fixture_files import FIXTURES_DIR

    site = make_site()
    page = (FIXTURES_DIR / "iransamaneh" / "tabnakgilan_asphalt_unclosed.html").read_bytes()
    site.add("/fa/news/912550", page, headers={"Content-Type": "text/html; charset=utf-8"})
    site.add("/rss", rss([("فهرست کوچه‌های رشت", site.url("/fa/news/912550"), NOW - timedelta(hours=1), "آسفالت")]))
    reports = await collect_all([make_source(site, parser="iransamaneh")], state=store, sink=store, settings=settings)
    assert (reports[0].new, reports[0].failed) == (1, 0), reports[0].errors
    art = store.articles[site.url("/fa/news/912550")]
    assert "290- روکش آسفالت کوچه بهار 2 در محله پیربازار" in art.body
    assert art.body.endswith("سامانه ۱۳۷ در میان بگذارند.") and art.published_raw.endswith("۰۳ آذر ۱۴۰۵ - ۱۰:۰۵")


def wordpress_page(title: str, canonical: str) -> str:
    return f"""<!doctype html><html lang="fa"><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="{canonical}"><meta property="article:published_time" content="{(NOW - timedelta(hours=2)).isoformat()}"></head>
<body><article class="post"><h1 class="entry-title">{title}</h1><div class="entry-content">
<p>شهرداری رشت بوستان محله گلسار را پس از بازسازی به روی شهروندان گشود و نیمکت‌های تازه نصب کرد.</p></div></article></body></html>"""


async def test_trailing_slash_kept_and_rel_canonical_decides_identity(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    # Issue 12, defect 8: a WordPress permalink is fetched as published (no redirect, no 404 for the
    # slashless form); two links to one page (a shortlink and the permalink) are stored once.
    site = make_site()
    permalink = site.url("/1405/09/park/")
    page = wordpress_page("بوستان گلسار بازگشایی شد", permalink)
    site.add("/1405/09/park/", page)
    site.add("/1405/09/park", status=404)  # the server does not know the path without its slash
    site.add("/shortlink/park", page)  # another link to the same page, as some feeds give
    site.add("/rss", rss([("بوستان گلسار", permalink, NOW - timedelta(hours=2), "رشت"),
                          ("بوستان گلسار (کوتاه)", site.url("/shortlink/park"), NOW - timedelta(hours=2), "رشت")]))
    reports = await collect_all([make_source(site, parser="wordpress")], state=store, sink=store, settings=settings)
    assert (reports[0].new, reports[0].skipped, reports[0].failed) == (1, 1, 0), reports[0].errors
    assert list(store.articles) == [permalink]
    assert site.count("/1405/09/park") == 0 and site.count("/1405/09/park/") == 1
    assert any(e.outcome == "seen" and "rel=canonical" in e.error for e in store.events)
    # Another night, the shortlink alone: the page it leads to is already stored under its canonical URL.
    site.add("/rss", rss([("بوستان گلسار (کوتاه)", site.url("/shortlink/park"), NOW - timedelta(hours=1), "رشت")]))
    again = await collect_all([make_source(site, parser="wordpress")], state=store, sink=store, settings=settings)
    assert (again[0].new, again[0].skipped) == (0, 1) and list(store.articles) == [permalink]
    assert site.count("/shortlink/park") == 2  # not known by its own URL: fetched, then skipped as the same page


async def test_a_source_overrides_its_familys_selectors_in_sources_toml(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    # An outlet's redesign: the Nastooh selectors no longer find the body or the date.
    from scrapers.registry import parse_sources

    site = make_site()
    page = """<html><head><meta charset="utf-8"><title>x</title></head><body><article id="item">
<h1 class="title">بازگشایی پل صیقلان رشت</h1><span class="pub-when">۴ آذر ۱۴۰۵ - ۱۰:۰۰</span>
<div class="story-text"><p>پل عابر پیاده میدان صیقلان رشت پس از تعمیر بازگشایی شد.</p>
<div class="see-also"><p>ببینید: فیلم بازگشایی پل</p></div><p>هزینه تعمیر ۱۸ میلیارد تومان بود.</p></div>
</article></body></html>"""
    site.add("/news/1/x", page)
    site.add("/rss", rss([("پل صیقلان", site.url("/news/1/x"), NOW - timedelta(hours=3), "رشت")]))
    entry = {"id": "redesigned", "name": "r", "homepage": site.url("/"), "kind": "agency", "scope": "gilan",
             "feeds": [site.url("/rss")], "parser": "nastooh"}
    plain = parse_sources({"sources": [entry]})
    reports = await collect_all(plain, state=store, sink=store, settings=settings)
    assert reports[0].failed == 1 and "could not find the body" in reports[0].errors[0]
    fixed = parse_sources({"sources": [{**entry, "selectors": {"body": ".story-text>*", "date": "span.pub-when", "noise": ".see-also"}}]})
    reports = await collect_all(fixed, state=store, sink=store, settings=settings)
    assert (reports[0].new, reports[0].failed) == (1, 0), reports[0].errors
    art = store.articles[site.url("/news/1/x")]
    assert art.body == "پل عابر پیاده میدان صیقلان رشت پس از تعمیر بازگشایی شد.\n\nهزینه تعمیر ۱۸ میلیارد تومان بود."
    assert art.published_raw == "۴ آذر ۱۴۰۵ - ۱۰:۰۰"


async def test_a_canonical_naming_the_homepage_on_every_page_is_ignored(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    # A misconfigured template: every article says <link rel=canonical href="/">. Taken at its word,
    # all articles would be "the same page" and all but one lost.
    site = make_site()
    links = [site.url(f"/1405/09/n{i}/") for i in range(3)]
    for i in range(3):
        site.add(f"/1405/09/n{i}/", wordpress_page(f"خبر شماره {i} از رشت", site.url("/")))
    site.add("/rss", rss([(f"خبر {i}", link, NOW - timedelta(hours=1), "رشت") for i, link in enumerate(links)]))
    reports = await collect_all([make_source(site, parser="wordpress")], state=store, sink=store, settings=settings)
    assert (reports[0].new, reports[0].skipped) == (3, 0) and sorted(store.articles) == sorted(links)


async def test_sources_check_does_not_fetch_feed_links_to_other_sites(site, settings, to_loopback) -> None:  # type: ignore[no-untyped-def]
    from scrapers.check import check_sources

    # Every name goes to the one loopback server; the path tells which page was asked.
    home = "http://news.gilan-example.ir"
    site.add("/rss", rss([("خبر رشت دیگر", "http://elsewhere-example.com/off", NOW, "رشت"), ("خبر رشت", f"{home}/a", NOW, "رشت")]),
             content_type="application/rss+xml")
    for path in ("/a", "/off"):
        site.add(path, article_html("خبر رشت", "شهرداری رشت امروز خبر داد.", NOW))
    source = Source(id="s", name="s", homepage=home + "/", kind=SourceKind.news_site, scope=Scope.gilan, feeds=(f"{home}/rss",))
    async with PoliteClient(settings, allow_private=True, transport=to_loopback(site.port)) as client:
        [result] = await check_sources([source], client, pages=3)
    assert "/off" not in site.paths() and "/a" in site.paths()
    assert (result.items, result.tried, result.parsed) == (1, 1, 1)
    assert any("1 link(s) to other sites skipped" in p and "elsewhere-example.com" in p for p in result.problems)


async def test_a_utf8_page_with_a_letter_cut_in_half_is_read_as_utf8_not_windows_1256(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    # A byte-counting substr() cut the summary mid-letter: one broken UTF-8 sequence on an otherwise
    # UTF-8 page. Read as windows-1256 (which decodes any byte), the whole page turned into mojibake.
    site = make_site()
    d = NOW - timedelta(hours=1)
    cut = "خلاصه: شهرداری رشت".encode()[:-1]  # the last letter's second byte is missing
    page = article_html("بازگشایی پل رشت", "پل عراق رشت پس از تعمیر بازگشایی شد.", d).replace("<p class=\"lead\">", "<p class=\"lead\">{CUT}")
    body = page.encode().replace(b"{CUT}", cut + b" ")
    for path, ctype in (("/news/1/a", "text/html; charset=utf-8"), ("/news/2/b", "text/html"), ("/news/3/c", "text/html; charset=windows-1256")):
        site.add(path, body, content_type=ctype)
    site.add("/rss", rss([("بازگشایی پل رشت", site.url(p), d, "رشت") for p in ("/news/1/a", "/news/2/b", "/news/3/c")]),
             content_type="application/rss+xml")
    [report] = await collect_all([make_source(site)], state=store, sink=store, settings=settings)
    assert report.new == 3, report
    for art in store.articles.values():
        assert art.title == "بازگشایی پل رشت" and "پل عراق رشت پس از تعمیر بازگشایی شد." in art.body


async def test_a_pdf_or_image_linked_as_an_article_is_named_as_such_and_not_retried(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site = make_site()
    d = NOW - timedelta(hours=1)
    feed = [("بودجه رشت", site.url("/news/1/budget.pdf"), d, "رشت"), ("عکس رشت", site.url("/news/2/photo"), d, "رشت"),
            ("بدون نوع", site.url("/news/3/file"), d, "رشت"), ("خبر رشت", site.url("/news/4/a"), d, "رشت")]
    feed_with_etag(site, rss(feed))
    site.add("/news/1/budget.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" * 40, content_type="application/pdf")
    site.add("/news/2/photo", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, content_type="image/png")
    site.add("/news/3/file", b"%PDF-1.4\n" + bytes(range(256)) * 8, content_type="application/octet-stream")
    site.add("/news/4/a", article_html("خبر رشت", "شهرداری رشت امروز خبر داد.", d))
    [report] = await collect_all([make_source(site)], state=store, sink=store, settings=settings)
    assert (report.new, report.failed) == (1, 3), report
    errors = sorted(e for e in report.errors if "not an HTML page" in e)
    assert len(errors) == 3 and not any("could not find" in e for e in report.errors)
    assert "served as application/pdf" in errors[0] and "PNG image, served as image/png" in errors[1] and "PDF" in errors[2]
    # They will not become pages: the feed's validators are saved as for a 404, so they are not fetched nightly.
    assert store.validators[site.url("/rss")][0] == '"f1"'


async def test_a_page_that_only_forwards_by_meta_refresh_is_followed_once_on_its_own_site(make_site, settings, store) -> None:  # type: ignore[no-untyped-def]
    site, other = make_site(), make_site()
    d = NOW - timedelta(hours=1)

    def forward(to: str) -> str:
        return f"<html><head><meta http-equiv='Refresh' content='0; URL={to}'></head><body>در حال انتقال…</body></html>"

    feed_with_etag(site, rss([("پل رشت", site.url("/news/1/old"), d, "رشت"), ("خبر دیگر رشت", site.url("/news/2/away"), d, "رشت"),
                              ("حلقه رشت", site.url("/news/3/loop"), d, "رشت")]))
    site.add("/news/1/old", forward("/news/1/new"))
    site.add("/news/1/new", article_html("پل رشت", "پل عراق رشت بازگشایی شد.", d))
    site.add("/news/2/away", forward(f"http://localhost:{other.port}/news/2"))
    other.add("/news/2", article_html("خبر دیگر رشت", "متن سایت دیگر.", d))
    site.add("/news/3/loop", forward("/news/3/loop2"))
    site.add("/news/3/loop2", forward("/news/3/loop"))
    [report] = await collect_all([make_source(site)], state=store, sink=store, settings=settings)
    assert (report.new, report.failed) == (1, 2), report
    assert store.articles[site.url("/news/1/old")].title == "پل رشت"
    away = next(e for e in report.errors if "/news/2/away" in e)
    assert "meta refresh" in away and f"localhost:{other.port}" in away and "not followed" in away
    assert other.hits == [] and site.count("/news/3/loop") == 1 and site.count("/news/3/loop2") == 1  # one hop only
