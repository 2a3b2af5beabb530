"""The source registry: sources.toml → validated `mediawatch.records.Source` objects.

A malformed file fails with the file, the entry and the field named, e.g.
``sources.toml: entry #3 (id='isna'): field 'kind': Input should be 'agency', 'national_daily', …``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from cssselect import SelectorError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mediawatch.records import Scope, Source, SourceKind
from mediawatch.settings import get_settings
from scrapers.errors import RegistryError
from scrapers.html import compiled
from scrapers.parsers import OVERRIDABLE, Parser, get_parser

PARSER_FAMILIES = ("generic", "nastooh", "iransamaneh", "aasaam", "wordpress")


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host name")
    return value


@dataclass(frozen=True, slots=True)
class ConfiguredSource(Source):
    """A Source as sources.toml configures it, with the selectors that replace its family's
    (`selectors = { body = ".news-text>p", date = "span.pub" }`): an outlet's redesign is fixed in
    the file, without a release. Only the crawler reads them, so they live here, not in records."""

    selectors: tuple[tuple[str, str], ...] = ()


def parser_for(source: Source) -> Parser:
    """The source's parser: its family's, with the source's own selectors in place."""
    return get_parser(source.parser, dict(getattr(source, "selectors", ())))


class SourceEntry(BaseModel):
    """One [[sources]] table as written in sources.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=64)]
    name: Annotated[str, Field(min_length=1)]
    homepage: str
    kind: SourceKind
    scope: Scope
    feeds: list[str] = []
    listings: list[str] = []
    sitemaps: list[str] = []
    parser: str = "generic"
    verified: bool = False
    enabled: bool = True
    domains: list[str] = []
    gilan_filter: bool | None = None
    min_interval_s: Annotated[float, Field(gt=0, le=600)] | None = None
    max_pages: Annotated[int, Field(gt=0, le=1000)] | None = None
    budget_s: Annotated[float, Field(gt=0, le=86400)] | None = None
    feed_fulltext: bool = False
    notes: str = ""
    selectors: dict[str, str] = {}

    @field_validator("selectors")
    @classmethod
    def _selectors(cls, v: dict[str, str]) -> dict[str, str]:
        for key, selector in v.items():
            if key not in OVERRIDABLE:
                raise ValueError(f"unknown selector {key!r}; a source may override: {', '.join(OVERRIDABLE)}")
            try:
                compiled(selector)
            except SelectorError as exc:
                raise ValueError(f"selectors.{key}: {selector!r} is not a CSS selector we can read ({exc})") from None
        return v

    @field_validator("homepage")
    @classmethod
    def _homepage(cls, v: str) -> str:
        return _check_url(v)

    @field_validator("feeds", "listings", "sitemaps")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        return [_check_url(u) for u in v]

    @field_validator("parser")
    @classmethod
    def _parser(cls, v: str) -> str:
        if v not in PARSER_FAMILIES:
            raise ValueError(f"unknown parser {v!r}; choose one of {', '.join(PARSER_FAMILIES)}")
        return v

    def to_source(self) -> Source:
        data = self.model_dump()
        for key in ("feeds", "listings", "sitemaps", "domains"):
            data[key] = tuple(data[key])
        selectors = tuple(data.pop("selectors").items())
        # A plain Source unless the entry overrides selectors: it stays equal to the same Source built elsewhere.
        return ConfiguredSource(**data, selectors=selectors) if selectors else Source(**data)


def parse_sources(data: dict, path: Path | str = "sources.toml") -> list[Source]:
    """Validate the parsed TOML of a sources file; RegistryError names file, entry and field."""
    unknown = set(data) - {"sources"}
    if unknown:
        raise RegistryError(f"{path}: unknown top-level key(s) {sorted(unknown)}; write each outlet as a [[sources]] table")
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no [[sources]] tables found; add at least one outlet")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(entries, start=1):
        ident = raw.get("id", "?") if isinstance(raw, dict) else "?"
        where = f"{path}: entry #{i} (id={ident!r})"
        try:
            entry = SourceEntry.model_validate(raw)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
                msg = "unknown field (typo?)" if err["type"] == "extra_forbidden" else err["msg"]
                problems.append(f"field '{loc}': {msg}")
            raise RegistryError(f"{where}: " + "; ".join(problems)) from None
        if entry.id in seen:
            raise RegistryError(f"{where}: field 'id': duplicate of entry #{seen[entry.id]}")
        seen[entry.id] = i
        if not (entry.feeds or entry.listings or entry.sitemaps):
            raise RegistryError(f"{where}: field 'feeds': give at least one feed, listing or sitemap URL")
        sources.append(entry.to_source())
    return sources


def load_sources(path: Path | None = None) -> list[Source]:
    """Load and validate sources.toml (default: Settings.sources_file)."""
    path = Path(path) if path else get_settings().sources_file
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file; pass --file/--sources or set MEDIAWATCH_SOURCES_FILE") from None
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None
    return parse_sources(data, path)


def select_sources(sources: list[Source], ids: list[str] | None = None, *, enabled_only: bool = True) -> list[Source]:
    """The sources named by `ids` (enabled or not: naming one is asking for it), else every enabled one.

    An id that is not in the registry is an error naming it, not a silently empty run.
    """
    if ids:
        unknown = sorted(set(ids) - {s.id for s in sources})
        if unknown:
            raise RegistryError(f"unknown source id(s): {', '.join(unknown)} — see `mediawatch sources list`")
        return [s for s in sources if s.id in ids]
    return [s for s in sources if s.enabled or not enabled_only]
