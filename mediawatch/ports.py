"""The narrow interfaces a stage needs from storage, so scrapers never import storage.

`storage.Store` implements both protocols; tests may pass any object that does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from mediawatch.records import Article, FetchEvent


class CrawlState(Protocol):
    """What the crawler remembers between nights."""

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of `urls` (canonical) already stored."""
        ...

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) last seen for a feed URL, or (None, None)."""
        ...

    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None: ...


class ArticleSink(Protocol):
    """Where collected articles and fetch outcomes go, one at a time, as they arrive."""

    def add_article(self, article: Article) -> int | None:
        """Store one article; its new id, or None when the canonical URL was already stored."""
        ...

    def log_fetch(self, event: FetchEvent) -> None: ...


class MemoryState:
    """CrawlState + ArticleSink kept in memory: for probes, benchmarks and tests that need no database.

    Behaves as storage.Store does for the crawler: a URL is stored once, fetch outcomes are kept in
    order, pages dropped as not about Gilan are remembered (the optional `filtered_urls`).
    """

    def __init__(self) -> None:
        self.articles: dict[str, Article] = {}
        self.events: list[FetchEvent] = []
        self.validators: dict[str, tuple[str | None, str | None]] = {}

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        return {u for u in urls if u in self.articles}

    def filtered_urls(self, urls: Iterable[str]) -> set[str]:
        dropped = {e.url for e in self.events if e.outcome == "filtered"}
        return {u for u in urls if u in dropped}

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        return self.validators.get(url, (None, None))

    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.validators[url] = (etag, last_modified)

    def add_article(self, article: Article) -> int | None:
        if article.url in self.articles:
            return None
        self.articles[article.url] = article
        return len(self.articles)

    def log_fetch(self, event: FetchEvent) -> None:
        self.events.append(event)

    def outcomes(self) -> dict[str, list[str]]:
        """URLs by fetch outcome ("new", "error", "filtered", …)."""
        out: dict[str, list[str]] = {}
        for e in self.events:
            out.setdefault(e.outcome, []).append(e.url)
        return out
