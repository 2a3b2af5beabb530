"""Helpers the pages share: people's corrections laid over stored judgements, query parameters, dates."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from starlette.requests import Request

from mediawatch.records import DigestItem, Domain, Tone
from mediawatch.timeutil import parse_date_arg, tehran_midnight
from storage import Store

# Items listed per page on the search and review pages: one phone screen scrolled a few times.
PAGE_SIZE = 20


def overlay(store: Store, items: Sequence[DigestItem]) -> list[DigestItem]:
    """The items as people corrected them (latest correction per field wins), so a corrected working group
    moves the article to that group's page and digest section at once."""
    fixes = store.workspace.latest_corrections()
    if not fixes:
        return list(items)
    out = []
    for item in items:
        fix = fixes.get(item.article_id)
        if fix:
            changes: dict[str, Any] = {}
            for key, value in fix.items():
                if key in ("domain", "secondary"):
                    changes[key] = Domain(value) if value else None
                elif key == "tone":
                    changes[key] = Tone(value) if value else None
                else:
                    changes[key] = value
            if changes.get("domain") is None and "domain" in changes:
                del changes["domain"]
            item = dataclasses.replace(item, **changes)
        out.append(item)
    return out


# The largest id a row can have (a signed 64-bit integer, SQLite's INTEGER and PostgreSQL's BIGINT): a
# longer number in a URL names nothing, and handed to the database it overflows there (a 500, not a 404).
MAX_ID = 2**63 - 1
# The highest page number a query string may ask for: far past any result, and its offset still fits.
MAX_PAGE = 10**6


def int_param(request: Request, name: str, default: int = 0, most: int = MAX_PAGE) -> int:
    """A non-negative whole number from the query string, at most `most`; `default` when not a number."""
    try:
        return min(most, max(0, int(request.query_params.get(name, default))))
    except ValueError:
        return default


def path_id(request: Request, name: str) -> int | None:
    """A row id from the URL path; None (the page answers 404) when it is not one a row can have."""
    try:
        value = int(request.path_params[name])
    except ValueError:
        return None
    return value if 0 <= value <= MAX_ID else None


def date_param(text: str | None) -> date | None:
    """A date typed by a person (Jalali or Gregorian, either digit set); None when empty or not a date."""
    if not text or not text.strip():
        return None
    try:
        return parse_date_arg(text)
    except ValueError:
        return None


def day_start(d: date | None) -> datetime | None:
    return tehran_midnight(d) if d else None
