"""The demo sites over real HTTP on loopback: robots, feeds, listings, family markup, charsets, 304s."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urljoin

import feedparser
import httpx
import pytest
from bs4 import BeautifulSoup

from demo.content import SITES, DemoArticle, load_articles, load_labels
from demo.server import DemoSites, main
from demo.sites import oldcms_text, route_key
from mediawatch.records import Scope, Source, SourceKind
from mediawatch.timeutil import TEHRAN, format_jalali_date, latin_digits, tehran_at
from tests.demo.conftest import REF_DAY, SAMPLES

SITE_IDS = list(SITES)


@pytest.fixture(scope="module")
def client() -> httpx.Client:
    with httpx.Client(timeout=5) as c:
        yield c


@pytest.fixture(scope="module")
def arts(content_dir: Path) -> dict[str, DemoArticle]:
    return {a.id: a for a in load_articles(content_dir)}


def soup(r: httpx.Response, encoding: str = "utf-8") -> BeautifulSoup:
    return BeautifulSoup(r.content.decode(encoding), "lxml")


def texts(doc: BeautifulSoup, selector: str) -> list[str]:
    return [e.get_text(" ", strip=True) for e in doc.select(selector)]


def url_of(demo: DemoSites, art_id: str) -> str:
    from demo.server import ExpectedArticle

    url = demo.article_url(art_id)
    return ExpectedArticle(art_id, "", url, "", tehran_at(REF_DAY, 0), None).url_encoded  # type: ignore[arg-type]


# --- robots, home, 404 -------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITE_IDS)
def test_every_site_serves_robots_home_and_404(demo: DemoSites, client: httpx.Client, site: str) -> None:
    base = demo.base_urls[site]
    robots = client.get(base + "/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    assert "Disallow: /search" in robots.text and "Disallow: /admin" in robots.text
    assert ("Crawl-delay: 1" in robots.text) == (site == "goharrud")
    assert client.get(base + "/").status_code == 200
    assert client.get(base + "/no/such/page").status_code == 404
    assert client.get(base + "/admin").status_code == 404


def test_each_site_is_its_own_origin(demo: DemoSites) -> None:
    hosts = {u.split("//")[1] for u in demo.base_urls.values()}
    assert len(hosts) == 6 and all(h.startswith("127.0.0.1:") for h in hosts)


# --- feeds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITE_IDS)
def test_feeds_are_valid_and_hold_the_latest_30(
    demo: DemoSites, client: httpx.Client, arts: dict, site: str
) -> None:
    src = {s.id: s for s in demo.sources()}[site]
    mine = [a for a in arts.values() if a.site == site]
    for feed_url in src.feeds:
        r = client.get(feed_url)
        assert r.status_code == 200 and "xml" in r.headers["content-type"]
        parsed = feedparser.parse(r.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        links = [e.link for e in parsed.entries]
        expected_n = min(30, len(mine))
        if feed_url.endswith("/rss/tp/41"):
            labels = load_labels(demo.content_dir)
            expected_n = min(30, sum(1 for a in mine if labels[a.id].gilan))
        if site == "sepidrud":
            expected_n += 1  # the dead link
        assert len(links) == expected_n
        assert all(link.startswith(demo.base_urls[site] + "/") for link in links)
        dates = [e.published_parsed for e in parsed.entries]
        assert all(d is not None for d in dates)


def test_payam_gilan_feed_holds_only_gilan_items(demo: DemoSites, client: httpx.Client) -> None:
    labels = load_labels(demo.content_dir)
    titles = {
        e.title for e in feedparser.parse(client.get(demo.base_urls["payam"] + "/rss/tp/41").content).entries
    }
    arts = [a for a in load_articles(demo.content_dir) if a.site == "payam"]
    assert titles and titles == {a.title for a in arts if labels[a.id].gilan}


def test_sepidrud_pubdate_has_no_weekday(demo: DemoSites, client: httpx.Client) -> None:
    xml = client.get(demo.base_urls["sepidrud"] + "/fa/rss/allnews").text
    dates = re.findall(r"<pubDate>(.*?)</pubDate>", xml)
    assert dates and all(re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", d) for d in dates)


def test_dead_feed_link_answers_404(demo: DemoSites, client: httpx.Client) -> None:
    entries = feedparser.parse(client.get(demo.base_urls["sepidrud"] + "/fa/rss/allnews").content).entries
    dead = [e.link for e in entries if unquote(e.link) == demo.dead_link()]
    assert len(dead) == 1
    assert client.get(dead[0]).status_code == 404
    assert demo.dead_link() not in {e.url for e in demo.expected()}


def test_goharrud_feed_has_full_text_but_page_does_not(
    demo: DemoSites, client: httpx.Client, arts: dict
) -> None:
    entries = feedparser.parse(client.get(demo.base_urls["goharrud"] + "/feed.xml").content).entries
    assert entries
    for e in entries:
        art = next(a for a in arts.values() if a.site == "goharrud" and a.title == e.title)
        html = e.content[0].value
        assert all(p in html for p in art.body)
        page = client.get(e.link)
        assert page.status_code == 200 and art.body[0] not in page.text and "<script" in page.text


def test_wordpress_feed_carries_an_excerpt_only(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    entries = feedparser.parse(client.get(demo.base_urls["gilava"] + "/feed/").content).entries
    for e in entries:
        art = next(a for a in arts.values() if a.site == "gilava" and a.title == e.title)
        html = e.content[0].value
        assert art.lead in html and art.body[-1] not in html


@pytest.mark.parametrize("site", SITE_IDS)
def test_feeds_answer_304_to_conditional_gets(demo: DemoSites, client: httpx.Client, site: str) -> None:
    for feed_url in {s.id: s for s in demo.sources()}[site].feeds:
        first = client.get(feed_url)
        etag, last_mod = first.headers["etag"], first.headers["last-modified"]
        assert client.get(feed_url, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(feed_url, headers={"If-Modified-Since": last_mod}).status_code == 304
        assert client.get(feed_url, headers={"If-None-Match": '"stale"'}).status_code == 200
        older = "Mon, 01 Jan 2024 00:00:00 GMT"
        again = client.get(feed_url, headers={"If-Modified-Since": older})
        assert again.status_code == 200 and again.content == first.content


# --- listings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("site", [s for s in SITE_IDS if s != "goharrud"])
def test_listing_pagination_reaches_every_article(
    demo: DemoSites, client: httpx.Client, arts: dict, site: str
) -> None:
    src = {s.id: s for s in demo.sources()}[site]
    base = demo.base_urls[site]
    wanted = {
        route_key(unquote(demo.article_url(a.id))[len(base) :]) for a in arts.values() if a.site == site
    }
    found: set[str] = set()
    url, pages = src.listings[0], 0
    while url and pages < 30:
        r = client.get(url)
        assert r.status_code == 200
        doc = soup(r, "cp1256" if site == "sobherasht" else "utf-8")
        for a in doc.select("a[href]"):
            found.add(route_key(urljoin(url, a["href"]).removeprefix(base)))
        nxt = doc.select_one("a[rel=next]") or doc.find("a", string=re.compile("بعدی"))
        url = urljoin(url, nxt["href"]) if nxt else None
        pages += 1
    assert pages >= 2, "the test content should span several listing pages"
    assert wanted <= found


def test_listing_page_beyond_the_last_is_404(demo: DemoSites, client: httpx.Client) -> None:
    assert client.get(demo.base_urls["payam"] + "/archive?pi=99").status_code == 404
    assert client.get(demo.base_urls["gilava"] + "/page/99/").status_code == 404


def test_navashomal_sitemap_lists_every_article(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    xml = client.get(demo.base_urls["navashomal"] + "/sitemap.xml").text
    locs = {unquote(x) for x in re.findall(r"<loc>(.*?)</loc>", xml)}
    assert locs == {demo.article_url(a.id) for a in arts.values() if a.site == "navashomal"}


# --- article pages under each family's selectors ------------------------------------------------


def _pick(arts: dict, site: str) -> DemoArticle:
    return next(a for a in arts.values() if a.site == site and a.broken is None and a.kicker)


def test_nastooh_markup(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    art = _pick(arts, "payam")
    doc = soup(client.get(url_of(demo, art.id)))
    page = doc.select_one("article")
    assert texts(page, ".rutitr") == [art.kicker]
    assert texts(page, "h1.title") == [art.title]
    assert texts(page, "p.summary") == [art.lead]
    assert texts(page, ".item-body .item-text>p") == list(art.body)
    assert texts(page, ".tags li a") == list(art.tags)
    assert " > ".join(texts(page, ".breadcrumb li")) == art.section
    raw = texts(page, ".item-date>span")[0]
    local = tehran_at(REF_DAY - timedelta(days=art.day_offset), *art.hour_minute).astimezone(TEHRAN)
    assert latin_digits(local.strftime("%H:%M")) in latin_digits(raw)
    assert "اشتراک‌گذاری" in doc.text and doc.select_one("link[rel=canonical]")["href"] == url_of(demo, art.id)


def test_iransamaneh_markup(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    art = _pick(arts, "sepidrud")
    doc = soup(client.get(url_of(demo, art.id)))
    assert texts(doc, ".news-rutitr") == [art.kicker]
    assert texts(doc, ".title-news") == [art.title]
    assert texts(doc, ".subtitle") == [art.lead]
    assert texts(doc, ".body>p") == list(art.body)
    assert " > ".join(texts(doc, ".news_path a")) == art.section
    date_text = texts(doc, ".news_pdate_c")[0]
    day = REF_DAY - timedelta(days=art.day_offset)
    assert re.fullmatch(r"[۰-۹]{2} \S+ [۰-۹]{4} - [۰-۹]{2}:[۰-۹]{2} \d{2} [A-Z][a-z]+ \d{4}", date_text)
    assert date_text.endswith(f"{day.day:02d} {day.strftime('%B')} {day.year}")


def test_aasaam_markup_and_json_ld(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    art = _pick(arts, "navashomal")
    doc = soup(client.get(url_of(demo, art.id)))
    assert texts(doc, ".uptitle") == [art.kicker]
    assert texts(doc, "h1.title") == [art.title]
    assert texts(doc, "p.lead") == [art.lead]
    assert texts(doc, "#echo_detail>p") == list(art.body)
    assert " > ".join(texts(doc, ".breadcrumb_list li a")) == art.section
    iso = doc.select_one("time[datetime]")["datetime"]
    assert iso.endswith("+03:30")
    ld = json.loads(doc.select_one("script[type='application/ld+json']").string)
    assert ld["@type"] == "NewsArticle" and ld["headline"] == art.title and ld["datePublished"] == iso
    from datetime import datetime

    expected = tehran_at(REF_DAY - timedelta(days=art.day_offset), *art.hour_minute)
    assert datetime.fromisoformat(iso) == expected


def test_aasaam_relative_date_for_recent_items(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    recent = next(
        a
        for a in arts.values()
        if a.site == "navashomal" and a.broken is None and a.day_offset == 1 and a.hour_minute[0] >= 8
    )
    doc = soup(client.get(url_of(demo, recent.id)))
    assert doc.select_one("time[datetime]").get_text().endswith("ساعت پیش")


def test_wordpress_markup(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    art = next(a for a in arts.values() if a.site == "gilava" and a.broken is None)
    url = url_of(demo, art.id)
    doc = soup(client.get(url))
    assert texts(doc, "h1.entry-title") == [art.title]
    assert texts(doc, ".entry-content p") == list(art.body)
    assert texts(doc, "a[rel=tag]") == list(art.tags)
    assert doc.select_one("link[rel=canonical]")["href"] == url
    published = doc.select_one("meta[property='article:published_time']")["content"]
    assert (
        published
        == tehran_at(REF_DAY - timedelta(days=art.day_offset), *art.hour_minute)
        .astimezone(TEHRAN)
        .isoformat()
    )
    assert (
        json.loads(doc.select_one("script[type='application/ld+json']").string)["datePublished"] == published
    )
    short = doc.select_one("link[rel=shortlink]")["href"]
    hop = client.get(short)
    assert hop.status_code == 301 and hop.headers["location"] == url
    jy_m = "/".join(unquote(url).split("/")[3:5])
    assert re.fullmatch(r"1405/\d\d", jy_m)


def test_sobherasht_is_windows_1256(demo: DemoSites, client: httpx.Client, arts: dict) -> None:
    art = next(a for a in arts.values() if a.site == "sobherasht" and a.broken is None)
    r = client.get(url_of(demo, art.id) + "&utm_source=rss")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=windows-1256"
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    doc = soup(r, "cp1256")
    assert doc.select_one("meta[http-equiv]")["content"].endswith("charset=windows-1256")
    title = doc.select_one("meta[property='og:title']")["content"]
    assert title == oldcms_text(art.title)
    assert title.replace("ي", "ی") == latin_digits(art.title)  # the right Persian, Arabic yeh aside
    assert "\u200c" in r.content.decode("cp1256")  # half-spaces survive (0x9D)
    assert doc.select_one("meta[name=description]")["content"] == oldcms_text(art.lead)
    assert texts(doc, "#news-text p") == [oldcms_text(p) for p in art.body]
    date = doc.select_one("span.date").get_text()
    assert re.fullmatch(r"\S+، \d\d \S+ \d{4} - \d\d:\d\d", date)
    assert not doc.select("script[type='application/ld+json']") and not doc.select("link[rel=canonical]")
    feed = client.get(demo.base_urls["sobherasht"] + "/rss.php")
    assert feed.headers["content-type"].endswith("charset=windows-1256")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo and all("utm_source=rss" in e.link for e in parsed.entries)
    assert oldcms_text(art.title) in {e.title for e in parsed.entries}


# --- broken pages ------------------------------------------------------------------------------


def test_broken_pages_behave_as_flagged(demo: DemoSites, client: httpx.Client) -> None:
    arts = {a.id: a for a in load_articles(SAMPLES)}
    assert client.get(url_of(demo, "s-008")).status_code == 500
    assert client.get(url_of(demo, "s-008")).status_code == 500

    cut = client.get(url_of(demo, "s-009"))
    assert cut.status_code == 200
    assert "</html>" not in cut.text and "</body>" not in cut.text
    assert arts["s-009"].body[0][:20] in cut.text and arts["s-009"].body[-1] not in cut.text

    future = soup(client.get(url_of(demo, "s-010")))
    published = future.select_one("meta[property='article:published_time']")["content"]
    assert published.startswith((REF_DAY + timedelta(days=3)).isoformat())
    assert format_jalali_date(REF_DAY + timedelta(days=3)) in future.select_one("time.entry-date").get_text()
    assert {"s-008", "s-009", "s-010"}.isdisjoint({e.id for e in demo.expected()})


# --- the public API ----------------------------------------------------------------------------


def test_expected_is_consistent_with_content(demo: DemoSites, client: httpx.Client) -> None:
    arts = load_articles(demo.content_dir)
    labels = load_labels(demo.content_dir)
    want = {a.id for a in arts if a.broken is None and (a.site != "payam" or labels[a.id].gilan)}
    expected = demo.expected()
    assert {e.id for e in expected} == want
    assert len({e.url for e in expected}) == len(expected)
    for e in expected:
        assert e.published_at.utcoffset() == timedelta(0)
        assert "utm_" not in e.url and "%" not in e.url
        assert e.labels == labels[e.id]
    for e in expected[:: max(1, len(expected) // 12)]:
        r = client.get(e.url_encoded)
        assert r.status_code == 200
        assert e.title in r.content.decode("cp1256" if e.site == "sobherasht" else "utf-8")


def test_sources_describe_the_demo_sites(demo: DemoSites, tmp_path: Path) -> None:
    sources = demo.sources()
    by_id = {s.id: s for s in sources}
    assert by_id["payam"].scope is Scope.national and by_id["payam"].filters_gilan
    assert by_id["sepidrud"].kind is SourceKind.agency and not by_id["sepidrud"].filters_gilan
    assert [s.parser for s in sources] == [
        "nastooh",
        "iransamaneh",
        "aasaam",
        "wordpress",
        "generic",
        "generic",
    ]
    assert by_id["goharrud"].feed_fulltext and not by_id["goharrud"].listings
    assert by_id["navashomal"].sitemaps == (demo.base_urls["navashomal"] + "/sitemap.xml",)
    assert all(s.verified and s.min_interval_s == 0.05 for s in sources)
    path = demo.write_sources_toml(tmp_path / "sources.toml")
    entries = tomllib.loads(path.read_text("utf-8"))["sources"]
    rebuilt = [
        Source(
            **{
                **e,
                "kind": SourceKind(e["kind"]),
                "scope": Scope(e["scope"]),
                **{k: tuple(e[k]) for k in ("feeds", "listings", "sitemaps", "domains")},
            }
        )
        for e in entries
    ]
    assert rebuilt == sources


def test_dates_move_with_the_reference_day(content_dir: Path, client: httpx.Client) -> None:
    with DemoSites(REF_DAY, content_dir) as d1, DemoSites(REF_DAY + timedelta(days=1), content_dir) as d2:
        e1 = {e.id: e for e in d1.expected()}
        e2 = {e.id: e for e in d2.expected()}
        assert e1.keys() == e2.keys()
        assert all(e2[k].published_at - e1[k].published_at == timedelta(days=1) for k in e1)
        art_id = next(k for k, e in e1.items() if e.site == "navashomal")
        iso = [
            soup(client.get(e[art_id].url_encoded)).select_one("time[datetime]")["datetime"] for e in (e1, e2)
        ]
        assert (
            iso[0] != iso[1] and iso[1][:10] == e2[art_id].published_at.astimezone(TEHRAN).date().isoformat()
        )


def test_default_reference_day_is_today_in_tehran() -> None:
    from mediawatch.timeutil import tehran_today

    assert DemoSites(content_dir=SAMPLES).reference_day == tehran_today()


def test_cli_rejects_a_bad_day(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--day", "yesterday", "--content-dir", str(SAMPLES)]) == 2
    assert "is not a date" in capsys.readouterr().out


def test_expected_before_start_has_the_same_paths(demo: DemoSites) -> None:
    idle = DemoSites(REF_DAY, demo.content_dir)
    before = [e.url.split("/", 3)[3] for e in idle.expected()]
    assert all(e.url.startswith("http://127.0.0.1:0/") for e in idle.expected())
    assert before == [e.url.split("/", 3)[3] for e in demo.expected()]


def test_wordpress_permalink_without_slash_redirects(demo: DemoSites, client: httpx.Client) -> None:
    e = next(x for x in demo.expected() if x.site == "gilava")
    assert e.served_url == e.url and e.url.endswith("/")  # canonical URLs keep the permalink's slash
    hop = client.get(e.url_encoded.rstrip("/"))
    assert hop.status_code == 301 and hop.headers["location"] == e.url_encoded
    assert client.get(e.url_encoded).status_code == 200


def test_broken_urls_name_the_flagged_pages(demo: DemoSites) -> None:
    flags = demo.broken_urls()
    assert sorted(flags.values()) == ["future_date", "http_500", "truncated"]
    assert flags[demo.article_url("s-008")] == "http_500"


def test_ports_can_be_kept_between_runs(content_dir: Path) -> None:
    with DemoSites(REF_DAY, content_dir) as first:
        ports, urls = first.ports, first.expected()
    with DemoSites(REF_DAY, content_dir, ports=ports) as again:
        assert again.ports == ports
        assert [e.url for e in again.expected()] == [e.url for e in urls]


def test_sources_toml_loads_with_the_project_registry(demo: DemoSites, tmp_path: Path) -> None:
    """The file we write is one the crawler's registry accepts, entry for entry."""
    from scrapers.registry import load_sources

    path = demo.write_sources_toml(tmp_path / "demo-sources.toml")
    assert load_sources(path) == demo.sources()


def test_pages_get_their_stylesheet_and_the_weekly_its_api(demo: DemoSites, client: httpx.Client) -> None:
    for site in SITE_IDS:
        doc = soup(client.get(demo.base_urls[site] + "/"), "cp1256" if site == "sobherasht" else "utf-8")
        sheet = doc.select_one("link[rel=stylesheet]")
        assert sheet is not None, site
        r = client.get(urljoin(demo.base_urls[site] + "/", sheet["href"]))
        assert r.status_code == 200 and "direction: rtl" in r.text
    e = next(x for x in demo.expected() if x.site == "goharrud")
    code = e.url.rsplit("/", 1)[1]
    data = client.get(f"{demo.base_urls['goharrud']}/api/post/{code}").json()
    assert data["title"] == e.title and "<p>" in data["html"]


def test_text_is_gzipped_only_for_clients_that_accept_it(demo: DemoSites, client: httpx.Client) -> None:
    url = demo.base_urls["payam"] + "/rss"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # httpx decodes
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"])
