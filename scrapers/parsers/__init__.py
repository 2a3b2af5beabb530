"""Article parsers, one per CMS family, plus the generic one; `get_parser(name)` picks one."""

from __future__ import annotations

from collections.abc import Mapping

from scrapers.parsers.aasaam import AasaamParser
from scrapers.parsers.base import ParsedArticle, Parser
from scrapers.parsers.generic import GenericParser
from scrapers.parsers.iransamaneh import IranSamanehParser
from scrapers.parsers.nastooh import NastoohParser
from scrapers.parsers.wordpress import WordPressParser

PARSERS: dict[str, type[Parser]] = {
    p.name: p for p in (NastoohParser, IranSamanehParser, AasaamParser, WordPressParser, GenericParser)
}


# Selectors a source may override in sources.toml (`selectors = { body = "…" }`); "noise" adds
# elements to remove before reading (an outlet's own ad or "read also" boxes).
OVERRIDABLE = ("article", "title", "kicker", "lead", "body", "date", "tags", "section", "authors", "captions", "noise")


def get_parser(name: str, selectors: Mapping[str, str] | None = None) -> Parser:
    """The parser for a family name from sources.toml (KeyError lists the known names), with the
    source's own selectors (if any) in place of the family's."""
    try:
        parser = PARSERS[name]()
    except KeyError:
        raise KeyError(f"unknown parser {name!r}; known: {', '.join(PARSERS)}") from None
    for key, selector in (selectors or {}).items():
        if key not in OVERRIDABLE:
            raise KeyError(f"unknown selector {key!r}; a source may override: {', '.join(OVERRIDABLE)}")
        setattr(parser, key, selector)
    return parser


__all__ = ["OVERRIDABLE", "PARSERS", "AasaamParser", "GenericParser", "IranSamanehParser", "NastoohParser", "ParsedArticle", "Parser", "WordPressParser", "get_parser"]
