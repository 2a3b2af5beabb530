"""WordPress family: WordPress-style Gilan local sites (gilanestan, diyarmirza, ghalamazad, gilnovin, khateshomal…)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapers.parsers.base import Node, Parser


class WordPressParser(Parser):
    """WordPress-style Gilan local sites (gilanestan, diyarmirza, ghalamazad, gilnovin, khateshomal…)."""

    name = "wordpress"
    article = "article.post, article, .single, .content, main"
    kicker = ".rootitr, .rotitr, .rutitr, .post-kicker"
    title = "h1.entry-title, .entry-title, h1 a, h1"
    lead = ".excerpt, .lead, .post-lead, .entry-summary"
    body = ".entry-content>*, .contentsingle>*, .entry>*, .post-content>*"
    tags = "a[rel~=tag]:not([rel~=category]), .tags a, .post-tags a"
    date = "time.entry-date[datetime], time[datetime], .the_time, .post-date, .entry-date"
    section = "a[rel~=category], .cat-links a, .breadcrumb a"
    authors = ".author .fn, .author-name, a[rel=author]"

    def date_candidates(self, root: Node, soup: Node, meta: dict[str, Any]) -> Iterator[str]:
        """WordPress prints its ISO date in meta[article:published_time]: trust it first."""
        yield from meta.get("dates", [])
        yield from super().date_candidates(root, soup, {**meta, "dates": []})
