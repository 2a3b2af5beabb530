"""Collecting: discover → skip what is known → fetch → parse → filter → hand to the sink, per source.

Every source runs in isolation: whatever goes wrong is recorded in its SourceReport and the fetch
log, and the run goes on. Every source has a time budget per run (`source_budget_s`, per source
`budget_s`): when it is spent the source's pending fetches are cancelled, what it collected stays
stored, and its report says `partial` (or `down` when nothing answered) and why. Articles reach the sink one by one as they are parsed, so a run killed
midway loses nothing already collected; feed validators (ETag/Last-Modified) are saved only after
every item of that feed was handled, so the next run picks up the rest.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urljoin, urlsplit

from mediawatch.log import stage_logger
from mediawatch.ports import ArticleSink, CrawlState
from mediawatch.records import FetchEvent, Source, SourceReport
from mediawatch.settings import Settings, get_settings
from mediawatch.timeutil import utcnow
from scrapers.canonical import canonical_url, host_of
from scrapers.charset import decode_html
from scrapers.discover import FeedError, Item, parse_feed, parse_listing, parse_sitemap
from scrapers.errors import FetchError
from scrapers.fetch import RETRY_STATUSES, FetchResult, PoliteClient
from scrapers.gilan import is_about_gilan
from scrapers.html import parse_html
from scrapers.parsers import ParsedArticle, Parser
from scrapers.registry import parser_for
from scrapers.robots import RobotsCache
from scrapers.slots import Slots

log = stage_logger("scrapers")

Progress = Callable[[int], None]
# Without --since, sitemap entries older than this are not considered new (a sitemap lists years).
SITEMAP_WINDOW_DAYS = 2
# Child sitemaps read from one sitemap index per run (a daily-sitemap site lists thousands).
MAX_CHILD_SITEMAPS = 5
# Per source, at most this many article pages are in flight; the host interval paces them anyway.
PAGE_WORKERS = 4
_UNREACHABLE = ("connect", "timeout")


# The first bytes of files that are linked as articles now and then: PDF, images, archives, media.
_BINARY_MAGIC = {b"%PDF-": "PDF", b"\x89PNG": "PNG image", b"GIF8": "GIF image", b"\xff\xd8\xff": "JPEG image",
                 b"RIFF": "WebP image or media", b"PK\x03\x04": "ZIP archive (or Word/Excel file)", b"ID3": "MP3 audio"}


def not_html(content_type: str | None, body: bytes) -> str:
    """Why a response is not an HTML page ("" when it is, or may be): a body that starts as a PDF, an
    image or an archive, or a declared media type that is neither text nor XML (application/pdf, image/jpeg…)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    start = body[:1024].lstrip()
    kind = next((name for magic, name in _BINARY_MAGIC.items() if start.startswith(magic)), "")
    if kind:
        return f"the body is a {kind}" + (f", served as {media}" if media else "")
    if media and not (media.startswith("text/") or "xml" in media or media in ("application/octet-stream", "application/x-unknown")):
        return f"served as {media}"
    return ""


def meta_refresh(html: str, page_url: str) -> str | None:
    """Where a page's <meta http-equiv="refresh" content="0; url=…"> sends the reader (absolute), if anywhere
    but the page itself; a refresh without a URL only reloads the page."""
    for el in parse_html(html[:65536]).iter("meta"):
        if (el.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        _, _, rest = (el.get("content") or "").partition(";")
        rest = rest.strip()
        if rest[:3].lower() == "url":
            rest = rest[3:].lstrip()
            rest = rest[1:].strip() if rest.startswith("=") else rest
        target = rest.strip("'\" ")
        url = urljoin(page_url, target) if target else ""
        if url and urlsplit(url).scheme in ("http", "https"):
            return url if canonical_url(url) != canonical_url(page_url) else None
    return None


def looks_truncated(html: str) -> bool:
    """An HTML page cut short: neither </body> nor </html> near its end (every CMS writes them)."""
    tail = html[-4096:].lower()
    return "<html" in html[:4096].lower() and "</html>" not in tail and "</body>" not in tail


def _extract_page(parser: Parser, body: bytes, content_type: str | None, url: str, now: datetime) -> ParsedArticle | None:
    """Decode and parse one page (runs in a worker process when parse_workers > 0); None: truncated."""
    html = decode_html(body, content_type)
    if looks_truncated(html):
        return None
    return parser.extract(html, url, now=now)


class _Run:
    """The state of one source's collection: its report, its client, its sink."""

    def __init__(self, source: Source, state: CrawlState, sink: ArticleSink, since: datetime | None,
                 client: PoliteClient, progress: Progress | None, pool: Executor | None = None) -> None:
        self.pool = pool
        self.source, self.state, self.sink, self.since = source, state, sink, since
        self.client, self.progress = client, progress
        self.report = SourceReport(source_id=source.id)
        self.parser = parser_for(source)
        self.now = utcnow()
        self.discovery_ok = 0
        self.discovery_errors: list[FetchError | FeedError] = []
        self.max_pages = source.max_pages or client.settings.max_listing_pages
        self.permanent: set[str] = set()  # URLs that failed for good (404, robots)
        self.canonicals: set[str] = set()  # the URLs stored in this run (each page's canonical)
        self.off_site: dict[str, int] = {}  # feed/sitemap URL → links to other sites skipped in it
        self.todo: list[Item] | None = None  # the pages to fetch, once discovery is done
        self.done: set[str] = set()  # pages handled (stored, skipped or failed) so far
        self.pages_answered = 0  # article pages that came back (whatever their content)

    def keep_on_site(self, found_in: str, urls: list[str]) -> list[str]:
        """Only the URLs on the source's own site and origins (scrapers/guard.py); the others are counted (never fetched)."""
        kept = [u for u in urls if self.client.guard.may_link(u, self.source)]
        if len(kept) < len(urls):
            self.off_site[found_in] = self.off_site.get(found_in, 0) + len(urls) - len(kept)
        return kept

    # --- bookkeeping ---------------------------------------------------------------------------
    def log(self, url: str, outcome: str, status: int | None = None, error: str = "", elapsed_ms: int | None = None) -> None:
        self.sink.log_fetch(FetchEvent(self.source.id, url, status, outcome, error, utcnow(), elapsed_ms))

    def fail(self, url: str, message: str, status: int | None = None) -> None:
        self.report.failed += 1
        self.report.errors.append(message)
        self.log(url, "error", status, message)

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult | None:
        """A discovery fetch (feed, listing, sitemap); errors are recorded, None returned."""
        try:
            res = await self.client.get(url, self.source, etag=etag, last_modified=last_modified)
        except FetchError as exc:
            self.discovery_errors.append(exc)
            self.report.errors.append(str(exc))
            self.log(url, "error", exc.status, str(exc))
            return None
        return res

    # --- discovery -------------------------------------------------------------------------------
    async def from_feeds(self) -> tuple[dict[str, Item], dict[str, set[str]]]:
        items: dict[str, Item] = {}
        per_feed: dict[str, set[str]] = {}
        for feed_url in self.source.feeds:
            etag, last_modified = self.state.feed_validators(feed_url)
            res = await self.get(feed_url, etag=etag, last_modified=last_modified)
            if res is None:
                continue
            if res.not_modified:
                self.discovery_ok += 1
                self.log(feed_url, "not_modified", 304, elapsed_ms=res.elapsed_ms)
                continue
            try:
                found = parse_feed(res.content, res.url, now=self.now)
            except FeedError as exc:
                self.discovery_errors.append(exc)
                self.report.errors.append(str(exc))
                self.log(feed_url, "error", res.status, str(exc), res.elapsed_ms)
                continue
            self.discovery_ok += 1
            self.log(feed_url, "new", res.status, elapsed_ms=res.elapsed_ms)
            on_site = set(self.keep_on_site(feed_url, [it.url for it in found]))
            found = [it for it in found if it.url in on_site]
            per_feed[feed_url] = {it.url for it in found}
            self._validators[feed_url] = (res.headers.get("etag"), res.headers.get("last-modified"))
            for it in found:
                items.setdefault(it.url, it)
        return items, per_feed

    async def from_listings(self) -> dict[str, Item]:
        items: dict[str, Item] = {}
        own = {host_of(self.source.homepage), *self.source.domains}
        for start in self.source.listings:
            url: str | None = start
            visited: set[str] = set()
            for _ in range(self.max_pages):
                if url is None or url in visited:
                    break
                visited.add(url)
                res = await self.get(url)
                if res is None:
                    break
                self.discovery_ok += 1
                page = parse_listing(res.text, res.url, now=self.now, site_hosts=own)
                self.log(url, "new", res.status, elapsed_ms=res.elapsed_ms)
                on_site = set(self.keep_on_site(url, [it.url for it in page.items]))
                fresh = [it for it in page.items if it.url not in items and it.url in on_site]
                for it in fresh:
                    items[it.url] = it
                if not self._go_deeper(fresh):
                    break
                url = page.next_url if page.next_url and self.client.guard.may_link(page.next_url, self.source, start) else None
        return items

    def _go_deeper(self, fresh: list[Item]) -> bool:
        """Page on while the listing still shows items newer than --since (or unknown ones)."""
        if not fresh:
            return False
        if self.since is not None:
            dated = [it.published_at for it in fresh if it.published_at]
            if dated:
                return min(dated) >= self.since
        known = self.state.known_urls([it.url for it in fresh])
        return len(known) < len(fresh)

    async def from_sitemaps(self) -> dict[str, Item]:
        cutoff = self.since or (self.now - timedelta(days=SITEMAP_WINDOW_DAYS))
        items: dict[str, Item] = {}
        queue, done = list(self.source.sitemaps), 0
        while queue and done < len(self.source.sitemaps) + MAX_CHILD_SITEMAPS:
            url = queue.pop(0)
            done += 1
            res = await self.get(url)
            if res is None:
                continue
            try:
                found, children = parse_sitemap(res.content, res.url, now=self.now)
            except FeedError as exc:
                self.discovery_errors.append(exc)
                self.log(url, "error", res.status, str(exc), res.elapsed_ms)
                continue
            self.discovery_ok += 1
            self.log(url, "new", res.status, elapsed_ms=res.elapsed_ms)
            queue.extend(self.keep_on_site(url, children))
            on_site = set(self.keep_on_site(url, [it.url for it in found]))
            for it in (it for it in found if it.url in on_site):
                if it.published_at is None or it.published_at >= cutoff:
                    items.setdefault(it.url, it)
        return items

    # --- articles --------------------------------------------------------------------------------
    async def article(self, item: Item, via: str | None = None) -> bool:
        """Fetch, parse, filter and store one item; False when it failed. `via`: the URL its page sent the
        reader on to by <meta http-equiv=refresh> (followed once, on the source's site only)."""
        src = self.source
        try:
            if src.feed_fulltext and (item.content or item.summary):
                html = f"<html><body><h1>{escape(item.title)}</h1><article>{item.content or item.summary}</article></body></html>"
                body, ctype, status, elapsed = html.encode(), "text/html; charset=utf-8", None, None
            else:
                try:
                    res = await self.client.get(via or item.url, src)
                except FetchError as exc:
                    self.fail(item.url, str(exc), exc.status)
                    if exc.kind in ("http", "robots") and exc.status not in RETRY_STATUSES:
                        self.permanent.add(item.url)  # a 404 will not heal: do not hold the feed back for it
                    return False
                self.pages_answered += 1
                body, ctype, status, elapsed = res.content, res.headers.get("content-type"), res.status, res.elapsed_ms
                why = not_html(ctype, body)
                if why:  # a PDF or an image linked as an article: nothing to parse, and it will not change
                    self.fail(item.url, f"{item.url}: not an HTML page ({why}); skipped, not retried", status)
                    self.permanent.add(item.url)
                    return False
            args = (self.parser, body, ctype, item.url, self.now)
            if self.pool is None:
                maybe = _extract_page(*args)
            else:
                maybe = await asyncio.get_running_loop().run_in_executor(self.pool, _extract_page, *args)
            if maybe is None:
                self.fail(item.url, f"{item.url}: the page stops before </html> (cut short by the server?); it will be retried next run", status)
                return False
            parsed = maybe
            self._complete(parsed, item)
            missing = parsed.missing()
            if "title" in missing or "body" in missing:
                target = meta_refresh(decode_html(body, ctype), res.url) if status is not None else None
                if target and via is None:  # a page that only forwards the reader, as a redirect would
                    if not self.client.guard.may_link(target, src, item.url):
                        self.fail(item.url, f"{item.url}: the page only forwards (meta refresh) to {target}, which is not on "
                                  f"{src.id}'s site; not followed", status)
                        return False
                    return await self.article(item, via=target)
                field = "title" if "title" in missing else "body"
                why = parsed.problems.get(field, f"no match for the {self.parser.name} selectors")
                self.fail(item.url, f"{item.url}: could not find the {field} ({why}); run `mediawatch sources check {src.id}`", status)
                return False
            if parsed.future_date:
                fallback = "used the feed's date" if parsed.published_at else "kept without a date"
                self.report.errors.append(f"{item.url}: {fallback} — {parsed.problems['published_at']}")
            if src.filters_gilan and not is_about_gilan(parsed.title, parsed.lead, parsed.body[:2000]):
                self.report.skipped += 1
                self.log(item.url, "filtered", status, "not about Gilan", elapsed)
                return True
            if self.since and parsed.published_at and parsed.published_at < self.since:
                self.report.skipped += 1
                self.log(item.url, "skipped", status, "older than --since", elapsed)
                return True
            url = self._canonical_of(parsed, item)
            if url in self.canonicals or (url != item.url and self.state.known_urls([url])):
                self.report.skipped += 1  # another link to a page stored already: its <link rel=canonical> says so
                self.log(item.url, "seen", status, f"same page as {url} (rel=canonical)", elapsed)
                return True
            self.canonicals.add(url)
            article_id = self.sink.add_article(parsed.to_article(src.id, utcnow(), url=url))
            if article_id is None:
                self.report.skipped += 1
                self.log(item.url, "seen", status, elapsed_ms=elapsed)
            else:
                self.report.new += 1
                self.log(item.url, "new", status, elapsed_ms=elapsed)
            return True
        except Exception as exc:  # a parser bug on one page must not end the source
            self.fail(item.url, f"{item.url}: unexpected {type(exc).__name__}: {exc}")
            return False
        finally:
            if self.progress and via is None:
                self.progress(1)

    def _canonical_of(self, parsed: ParsedArticle, item: Item) -> str:
        """The page's identity, under which it is stored: its <link rel=canonical> when that names an
        article page of this site, else the link it was reached by. A canonical naming the site's root,
        homepage, a feed or a listing is a misconfigured template (every page would be "the same") and
        is ignored. A feed link that differs from its canonical is not "known" tomorrow, so it is
        fetched again while it stays in the feed, and then skipped as the same page."""
        src = self.source
        if not parsed.canonical or not self.client.same_site(parsed.canonical, src, src.homepage):
            return item.url
        canon = canonical_url(parsed.canonical)
        not_articles = {canonical_url(u) for u in (src.homepage, *src.feeds, *src.listings, *src.sitemaps)}
        if urlsplit(canon).path in ("", "/") or canon in not_articles:
            return item.url
        return canon

    @staticmethod
    def _complete(parsed: ParsedArticle, item: Item) -> None:
        """Fill what the page lacks from what the feed or listing said about the item."""
        parsed.title = parsed.title or item.title
        parsed.lead = parsed.lead or (item.summary if item.summary != parsed.title else "")
        if parsed.published_at is None and item.published_at is not None:
            parsed.published_at, parsed.published_raw = item.published_at, item.published_raw
        parsed.authors = parsed.authors or list(item.authors)
        parsed.tags = parsed.tags or list(item.tags)

    # --- the recipe --------------------------------------------------------------------------------
    async def run(self) -> SourceReport:
        src, report = self.source, self.report
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        # 1. Discover: feeds; listings and sitemaps when backfilling or when there is no working feed.
        items, per_feed = await self.from_feeds()
        feeds_ok = self.discovery_ok > 0
        if src.listings and (self.since is not None or not feeds_ok):
            for url, it in (await self.from_listings()).items():
                items.setdefault(url, it)
        if src.sitemaps and (self.since is not None or not (feeds_ok or src.listings)):
            for url, it in (await self.from_sitemaps()).items():
                items.setdefault(url, it)
        report.errors.extend(self.client.robots_notes(src))
        for found_in, n in self.off_site.items():
            report.skipped += n
            report.errors.append(f"{found_in}: {n} link(s) to other sites skipped (not fetched); if the outlet "
                                 "uses another host, add it to `domains` in sources.toml")
        if self.discovery_ok == 0:
            report.fatal = self._fatal_message()
            return report
        # 2. Drop what is already stored and what the feed already shows is out of scope.
        report.found = len(items)
        known = self.state.known_urls(list(items))
        report.skipped += len(known)
        dropped = self._dropped_before([u for u in items if u not in known])
        report.skipped += len(dropped)
        known |= dropped
        todo: list[Item] = []
        for url, it in items.items():
            if url in known:
                continue
            if self.since and it.published_at and it.published_at < self.since:
                report.skipped += 1
                continue
            if src.filters_gilan and (it.summary or it.content) and not is_about_gilan(it.title, it.summary, it.content):
                report.skipped += 1
                self.log(url, "filtered", None, "not about Gilan (feed text)")
                continue
            todo.append(it)
        # 3. Fetch and store, a few pages in flight; the host interval keeps the pace polite.
        failed: set[str] = set()
        sem = asyncio.Semaphore(PAGE_WORKERS)
        self.todo = todo

        async def one(it: Item) -> None:
            async with sem:
                if not await self.article(it) and it.url not in self.permanent:
                    failed.add(it.url)
                self.done.add(it.url)

        await asyncio.gather(*(one(it) for it in todo))
        # 4. Remember feed validators only for feeds whose every item was handled (or failed for good).
        for feed_url, (etag, last_modified) in self._validators.items():
            if not per_feed.get(feed_url, set()) & failed:
                self.state.save_feed_validators(feed_url, etag, last_modified)
        return report

    def out_of_time(self, budget_s: float) -> SourceReport:
        """The report of a source stopped by its time budget: partial, or down when nothing answered."""
        report, src = self.report, self.source
        report.budget_spent = True
        spent = f"its time budget of {budget_s:g} s ran out"
        fix = f"if the site is merely slow, raise `budget_s` for {src.id} in sources.toml"
        if self.todo is None:
            report.errors.extend(self.client.robots_notes(src))
            if self.discovery_ok == 0:
                report.fatal = (f"{spent} before any feed, listing or sitemap of {src.homepage} answered (the site is very "
                                f"slow or hangs); nothing collected this run, it is tried again next run; {fix}")
            else:
                report.errors.insert(0, f"{spent} while reading its feeds, listings and sitemaps; the articles found so "
                                     "far were not fetched this run, they are tried next run")
            return report
        left = [it for it in self.todo if it.url not in self.done]
        for it in left:
            self.log(it.url, "error", None, f"not fetched: {spent}")
        report.failed += len(left)
        if self.pages_answered == 0 and report.new == 0 and self.todo:
            report.fatal = (f"{spent}: none of its {len(self.todo)} new article page(s) answered (the site hangs); "
                            f"nothing collected this run, it is tried again next run; {fix}")
        else:
            report.errors.insert(0, f"{spent}: {len(left)} of {len(self.todo)} article page(s) not fetched (the site is "
                                 f"slow or hangs); what was collected is stored, the rest is tried next run; {fix}")
        return report

    def _dropped_before(self, urls: list[str]) -> set[str]:
        """URLs fetched on an earlier night and dropped as not about Gilan (outcome "filtered").

        Asked of the state only when it offers `filtered_urls(urls) -> set[str]` (an optional
        CrawlState method over the fetch log); without it such pages are fetched again each night
        unless the feed's own text already shows they are out of scope (step 2 below)."""
        lookup = getattr(self.state, "filtered_urls", None)
        if lookup is None or not self.source.filters_gilan or not urls:
            return set()
        return set(lookup(urls)) & set(urls)

    def _fatal_message(self) -> str:
        errs = self.discovery_errors
        home = self.source.homepage
        if errs and all(isinstance(e, FetchError) and e.kind in _UNREACHABLE for e in errs):
            return (f"site unreachable ({errs[0]}). Check that {home} opens in a browser; if the outlet moved, "
                    "update its homepage and feeds in sources.toml. It will be retried next run.")
        if errs and all(isinstance(e, FetchError) and e.kind == "robots_unreachable" for e in errs):
            return str(errs[0])
        if errs and all(isinstance(e, FetchError) and e.kind == "robots" for e in errs):
            return f"robots.txt of {home} disallows our feeds and listings; ask the webmaster or disable the source."
        detail = "; ".join(str(e) for e in errs[:3]) or "no feeds, listings or sitemaps configured"
        return f"no feed, listing or sitemap worked ({detail}). Fix the URLs in sources.toml (see `mediawatch sources check {self.source.id}`)."


async def collect_source(
    source: Source,
    *,
    state: CrawlState,
    sink: ArticleSink,
    since: datetime | None,
    client: PoliteClient,
    progress: Progress | None = None,
    pool: Executor | None = None,
    budget_s: float | None = None,
) -> SourceReport:
    """Collect one source; never raises for what a site does (all goes into the report).

    `pool`: an executor (a ProcessPoolExecutor) to parse pages in, so parsing does not hold the
    event loop back when many hosts are crawled at once; None parses in the loop.
    `budget_s`: the time this source may take (default: its `budget_s`, else `source_budget_s`); when
    it is spent the pending fetches are cancelled and the report says so."""
    run = _Run(source, state, sink, since, client, progress, pool)
    budget = budget_s if budget_s is not None else (source.budget_s or client.settings.source_budget_s)
    timeout = asyncio.timeout(budget)
    try:
        async with timeout:
            report = await run.run()
    except TimeoutError:
        if not timeout.expired():
            raise
        report = run.out_of_time(budget)
    if report.fatal:
        log.warning("%s: nothing collected: %s", source.id, report.fatal)
    else:
        log.info("%s: %d found, %d new, %d failed, %d skipped", source.id, report.found, report.new,
                 report.failed, report.skipped)
    for message in report.errors:
        log.debug("%s: %s", source.id, message)
    return report


async def collect_all(
    sources: Sequence[Source],
    *,
    state: CrawlState,
    sink: ArticleSink,
    since: datetime | None = None,
    settings: Settings | None = None,
    allow_private: bool = False,
    progress: Progress | None = None,
    client: PoliteClient | None = None,
    parse_workers: int = 0,
    slots: Slots | None = None,
    budget_s: float | None = None,
    robots_cache: RobotsCache | None = None,
) -> list[SourceReport]:
    """Collect every enabled source concurrently (hosts in parallel, each host paced); never raises.

    `parse_workers` > 0 parses pages in that many worker processes (worth it from ~20 pages/s on).
    `slots`: request slots shared with other collections running at the same time (the nightly flow's
    source tasks), so `global_concurrency` bounds them all; `budget_s` overrides each source's budget;
    `robots_cache` keeps robots.txt between runs (the hourly pulse)."""
    settings = settings or get_settings()
    owned = client is None
    client = client or PoliteClient(settings, allow_private=allow_private, slots=slots, robots_cache=robots_cache)
    pool = ProcessPoolExecutor(parse_workers, mp_context=multiprocessing.get_context("spawn")) if parse_workers > 0 else None

    async def guarded(src: Source) -> SourceReport:
        try:
            return await collect_source(src, state=state, sink=sink, since=since, client=client, progress=progress, pool=pool,
                                        budget_s=budget_s)
        except Exception as exc:  # the last line of defence: one source never spoils the night
            return SourceReport(source_id=src.id, fatal=f"unexpected {type(exc).__name__}: {exc}; please report this as a bug")

    try:
        return list(await asyncio.gather(*(guarded(s) for s in sources if s.enabled)))
    finally:
        if owned:
            await client.aclose()
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def collect(
    sources: Sequence[Source],
    *,
    state: CrawlState,
    sink: ArticleSink,
    since: datetime | None = None,
    settings: Settings | None = None,
    allow_private: bool = False,
    progress: Progress | None = None,
) -> list[SourceReport]:
    """Synchronous wrapper around collect_all (for flows and the CLI)."""
    return asyncio.run(
        collect_all(sources, state=state, sink=sink, since=since, settings=settings, allow_private=allow_private, progress=progress)
    )


__all__ = ["canonical_url", "collect", "collect_all", "collect_source"]
