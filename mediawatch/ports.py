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
