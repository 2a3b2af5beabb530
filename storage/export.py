"""Export articles with their current analysis as CSV (UTF-8 with BOM, for Excel), JSONL or XLSX."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mediawatch.files import atomic_path
from mediawatch.records import EXPORT_FORMATS
from mediawatch.timeutil import jalali_iso
from storage.errors import StoreError
from storage.store import Store

FORMATS = EXPORT_FORMATS
# Column order for CSV and XLSX (JSONL carries the same keys).
COLUMNS = (
    "id", "published_jalali", "published_at", "fetched_at", "source_id", "source_name", "source_kind",
    "title", "kicker", "lead", "body", "url", "section", "authors", "tags", "municipal", "domain",
    "secondary", "rasht", "places", "concern", "concern_score", "key_sentence", "tone", "cluster_key",
    "is_duplicate", "model_version", "content_hash", "published_raw",
)
# Excel refuses cells longer than 32,767 characters; longer bodies are cut (CSV/JSONL keep them whole).
XLSX_MAX_CELL = 32_767
# A spreadsheet treats a cell starting with one of these as a formula (or DDE command): scraped text that
# starts so gets a leading apostrophe (CSV, XLSX) and XLSX cells are written as strings, never formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _rows(store: Store, since: datetime | None, domain: str | None,
          ids: Sequence[int] | None = None) -> Iterator[dict[str, Any]]:
    for row in store.iter_export(since=since, domain=domain, ids=ids):
        seen = row["published_at"] or row["fetched_at"]
        row["published_jalali"] = jalali_iso(seen)
        for k in ("published_at", "fetched_at"):
            row[k] = row[k].isoformat() if row[k] else None
        yield row


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xlsx_cell(ws: Any, value: Any) -> Any:
    """A write-only cell; strings are forced to the string type so openpyxl never stores a formula."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=value[:XLSX_MAX_CELL])
    cell.data_type = "s"
    return cell


def write_export(store: Store, fmt: str, out: Path, *, since: datetime | None = None, domain: str | None = None,
                 progress: Callable[[int], None] | None = None, ids: Sequence[int] | None = None) -> int:
    """Write the export to `out` (only the articles `ids` when given); the number of articles written."""
    if fmt not in FORMATS:
        raise StoreError(f"unknown export format {fmt!r}: choose csv, jsonl or xlsx")
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    rows = _rows(store, since, domain, ids)
    with atomic_path(out) as tmp:  # all or nothing: a failure (a full disk) leaves no partial export
        if fmt == "csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:  # the BOM makes Excel read UTF-8
                w = csv.writer(fh)
                w.writerow(COLUMNS)
                for row in rows:
                    w.writerow(["" if row[c] is None else _cell(row[c]) for c in COLUMNS])
                    n += 1
                    if progress:
                        progress(n)
        elif fmt == "jsonl":
            with tmp.open("w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps({c: row[c] for c in COLUMNS}, ensure_ascii=False) + "\n")
                    n += 1
                    if progress:
                        progress(n)
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)  # streams rows to disk: memory stays flat
            ws = wb.create_sheet("articles")
            ws.sheet_view.rightToLeft = True
            ws.append(list(COLUMNS))
            for row in rows:
                ws.append([_xlsx_cell(ws, _cell(row[c])) for c in COLUMNS])
                n += 1
                if progress:
                    progress(n)
            wb.save(tmp)
    return n
