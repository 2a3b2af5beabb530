"""Collect: the polite, incremental crawler for Persian news sites (sources.toml → Article records).

Public API: `load_sources`, `collect_source`, `collect_all`, `collect`, `PoliteClient`.
"""

from __future__ import annotations

from scrapers.collect import collect, collect_all, collect_source
from scrapers.fetch import FetchResult, PoliteClient
from scrapers.registry import load_sources

__all__ = ["FetchResult", "PoliteClient", "collect", "collect_all", "collect_source", "load_sources"]
