"""The parser for any news page: JSON-LD NewsArticle, then OpenGraph/meta, then the body by structure."""

from __future__ import annotations

from typing import Any

from scrapers.parsers.base import (
    Node,
    Parser,
    block_texts,
    clean_text,
    is_layout_table,
    is_noise,
    select,
    text_of,
)

# Containers that hold an article's text on most Persian CMSs, in order of trust.
BODY_CONTAINERS = (
    "[itemprop=articleBody]", ".item-text", ".news-text", ".news_text", ".entry-content", ".post-content",
    ".article-body", ".story", ".body", ".content-body", ".news-body", "article",
)
# A paragraph shorter than this (characters) inside an unmarked block is a caption or a label.
MIN_PARAGRAPH_CHARS = 25


class GenericParser(Parser):
    """JSON-LD → OpenGraph/meta → structure; dates also from elements whose class/id says date/time."""

    name = "generic"
    title = "h1"
    kicker = ".kicker, .rutitr, .rotitr, .uptitle"
    lead = ".lead, .summary, .introtext, .subtitle:not(.kicker)"  # Nastooh's kicker is h4.subtitle.kicker
    tags = "a[rel~=tag]:not([rel~=category]), .tags a"
    section = ".breadcrumb li, .breadcrumb a"

    def body_paragraphs(self, root: Node, soup: Node, meta: dict[str, Any]) -> list[str]:
        if meta.get("body"):
            paras = [clean_text(p) for p in meta["body"].split("\n") if clean_text(p)]
            if paras:
                return paras
        short: tuple[Node, list[str]] | None = None  # the first text container, under 80 characters
        for sel in BODY_CONTAINERS:
            for el in select(root, sel):
                if short and sel == "article" and any(a is el for a in short[0].iterancestors()):
                    # A short story in a container made for text beats the <article> around it, which
                    # also holds the header, the breadcrumbs and the "more news" lists.
                    return short[1]
                paras = block_texts([el])
                if sum(len(p) for p in paras) >= 80:
                    return paras
                if short is None and paras:
                    short = (el, paras)
        return by_structure(root) or (short[1] if short else [])


def by_structure(root: Node) -> list[str]:
    """The block with the most paragraph text wins (a small trafilatura-like heuristic)."""
    best: tuple[int, Node | None] = (0, None)
    for parent in root.iterdescendants("div", "section", "main", "td"):
        if is_noise(parent):
            continue
        score = sum(len(text_of(p)) for p in _paragraphs(parent))
        if score > best[0]:
            best = (score, parent)
    if best[1] is None:
        return []
    return [t for t in block_texts(_paragraphs(best[1])) if len(t) >= MIN_PARAGRAPH_CHARS or "\n" in t]


def _paragraphs(parent: Node) -> list[Node]:
    """The paragraphs and data tables directly in `parent` (a layout table is a container, not text)."""
    return [c for c in parent.iterchildren("p", "table") if not is_layout_table(c)]
