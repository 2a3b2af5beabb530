"""Article parsers, one per CMS family, plus the generic one; `get_parser(name)` picks one."""

from __future__ import annotations

from scrapers.parsers.aasaam import AasaamParser
from scrapers.parsers.base import ParsedArticle, Parser
from scrapers.parsers.generic import GenericParser
from scrapers.parsers.iransamaneh import IranSamanehParser
from scrapers.parsers.nastooh import NastoohParser
from scrapers.parsers.wordpress import WordPressParser

PARSERS: dict[str, type[Parser]] = {
    p.name: p for p in (NastoohParser, IranSamanehParser, AasaamParser, WordPressParser, GenericParser)
}


def get_parser(name: str) -> Parser:
    """The parser for a family name from sources.toml (KeyError lists the known names)."""
    try:
        return PARSERS[name]()
    except KeyError:
        raise KeyError(f"unknown parser {name!r}; known: {', '.join(PARSERS)}") from None


__all__ = ["PARSERS", "AasaamParser", "GenericParser", "IranSamanehParser", "NastoohParser", "ParsedArticle", "Parser", "WordPressParser", "get_parser"]
