"""`sources check`: probe sources — feed reachable and valid, a few article pages parse — per source.

The Fundus coverage idea: run it after a site redesign (or nightly) and the broken parser shows the
same day, with the fields that went missing.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mediawatch.records import Source
from mediawatch.timeutil import utcnow
from scrapers.canonical import host_of
from scrapers.collect import looks_truncated, not_html
from scrapers.discover import FeedError, Item, parse_feed, parse_listing
from scrapers.errors import FetchError
from scrapers.fetch import FetchResult, PoliteClient
from scrapers.fixtures import dump, expected_path
from scrapers.parsers import ParsedArticle
from scrapers.registry import parser_for

# Article pages tried per source: enough to see a broken selector, few enough to stay polite.
DEFAULT_PAGES = 3


@dataclass
class CheckResult:
    """What probing one source found."""

    source_id: str
    feed_ok: bool | None = None  # None: the source has no feed
    items: int = 0
    tried: int = 0
    parsed: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # field → pages lacking it
    problems: list[str] = field(default_factory=list)
    saved: Path | None = None  # the fixture page saved by --save-fixture

    @property
    def verdict(self) -> str:
        """ok (all tried pages parse), partial (some do), fail (none, or nothing to try)."""
        if self.tried and self.parsed == self.tried and self.feed_ok is not False:
            return "ok"
        if self.parsed:
            return "partial"
        return "fail"


async def check_source(source: Source, client: PoliteClient, *, pages: int = DEFAULT_PAGES, save_to: Path | None = None) -> CheckResult:
    """Probe one source; never raises for what the site does. With `save_to`, the first article page
    fetched whole is saved there as a fixture (save_fixture), parsed or not."""
    result = CheckResult(source.id)
    now = utcnow()
    items: dict[str, Item] = {}
    if source.feeds:
        result.feed_ok = False
        for url in source.feeds:
            try:
                res = await client.get(url, source)
                found = parse_feed(res.content, res.url, now=now)
            except (FetchError, FeedError) as exc:
                result.problems.append(str(exc))
                continue
            result.feed_ok = True
            for it in found:
                items.setdefault(it.url, it)
    if not items:
        own = {host_of(source.homepage), *source.domains}
        for url in source.listings:
            try:
                res = await client.get(url, source)
            except FetchError as exc:
                result.problems.append(str(exc))
                continue
            for it in parse_listing(res.text, res.url, now=now, site_hosts=own).items:
                items.setdefault(it.url, it)
    # The rule of the nightly run (collect.py's keep_on_site): links to other sites, or to another
    # origin the source does not list, are never fetched; the probe says how many it skipped.
    off_site = [url for url in items if not client.guard.may_link(url, source)]
    for url in off_site:
        del items[url]
    if off_site:
        result.problems.append(f"{len(off_site)} link(s) to other sites skipped (not fetched), e.g. {off_site[0]}; "
                               "if the outlet uses another host, add it to `domains` in sources.toml")
    result.items = len(items)
    if not items:
        result.problems.append("no article links found in feeds or listings")
        return result
    parser = parser_for(source)
    for it in list(items.values())[:pages]:
        result.tried += 1
        if source.feed_fulltext and (it.content or it.summary):
            result.parsed += 1
            continue
        try:
            res = await client.get(it.url, source)
        except FetchError as exc:
            result.problems.append(str(exc))
            continue
        why = not_html(res.headers.get("content-type"), res.content)
        if why:
            result.problems.append(f"{it.url}: not an HTML page ({why})")
            continue
        html = res.text
        if looks_truncated(html):
            result.problems.append(f"{it.url}: page cut short before </html>")
            continue
        art = parser.extract(html, it.url, now=now)
        if save_to is not None and result.saved is None:
            result.saved = save_fixture(save_to, source, res, art, now)
        missing = art.missing()
        for name in missing:
            result.missing[name] = result.missing.get(name, 0) + 1
            result.problems.append(f"{it.url}: no {name} ({art.problems.get(name, f'{parser.name} selectors found nothing')})")
        if not missing:
            result.parsed += 1
    return result


def save_fixture(root: Path, source: Source, res: FetchResult, art: ParsedArticle, fetched_at: datetime) -> Path:
    """Save one fetched article page as a fixture, in the Fundus layout scrapers.fixtures reads:
    `<root>/<family>/<source_id>.html.gz` (the bytes as served) and `<source_id>.expected.json` (the
    parse, plus the URL, the fetch time, the declared content type and the source's selector
    overrides). Review the expected file before committing it: it is a claim about the page."""
    folder = root / source.parser
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{source.id}.html.gz"
    page.write_bytes(gzip.compress(res.content, mtime=0))
    meta: dict[str, Any] = {"fetched_at": fetched_at.isoformat(), "content_type": res.headers.get("content-type", "")}
    selectors = dict(getattr(source, "selectors", ()))
    if selectors:
        meta["selectors"] = selectors
    expected_path(page).write_text(dump({**art.to_json(), "url": res.url, **meta}), encoding="utf-8")
    return page


async def check_sources(sources: Sequence[Source], client: PoliteClient, *, pages: int = DEFAULT_PAGES,
                        save_to: Path | None = None) -> list[CheckResult]:
    """Probe several sources concurrently (each host still paced by the client); `save_to`: see check_source."""

    async def guarded(src: Source) -> CheckResult:
        try:
            return await check_source(src, client, pages=pages, save_to=save_to)
        except Exception as exc:  # a probe must report, not crash
            return CheckResult(src.id, problems=[f"unexpected {type(exc).__name__}: {exc}"])

    return list(await asyncio.gather(*(guarded(s) for s in sources)))
