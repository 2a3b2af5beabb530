"""Export articles with their current analysis as CSV (UTF-8 with BOM, for Excel), JSONL or XLSX.

`ExportReader.iter_export` streams the rows (one per article); `write_export` writes them to a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mediawatch.files import atomic_path
from mediawatch.records import EXPORT_FORMATS
from mediawatch.timeutil import jalali_iso
from storage.base import STREAM_CHUNK, StoreBase
from storage.errors import StoreError
from storage.schema import analyses, article_texts, articles, cluster_members, sources

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
# Every CSV field is quoted too (OWASP's advice): a spreadsheet whose list separator is «;» or a tab would
# otherwise split an unquoted field there, and the piece after «;=» would start a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportReader(StoreBase):
    """The export's rows: every article with its current analysis and story, streamed."""

    def iter_export(self, *, since: datetime | None = None, domain: str | None = None,
                    ids: Sequence[int] | None = None) -> Iterator[dict[str, Any]]:
        """Every article (seen since `since`, of primary `domain`, among `ids`) with its current analysis, streamed."""
        last = 0
        while True:
            q = (select(articles, article_texts.c.body, sources.c.name.label("source_name"),
                        sources.c.kind.label("source_kind"), analyses.c.model_version, analyses.c.municipal,
                        analyses.c.domain, analyses.c.secondary, analyses.c.rasht, analyses.c.places,
                        analyses.c.concern, analyses.c.concern_score, analyses.c.key_sentence, analyses.c.tone,
                        cluster_members.c.cluster_key, cluster_members.c.duplicate_of)
                 .select_from(articles.join(article_texts, article_texts.c.article_id == articles.c.id)
                              .join(sources, sources.c.id == articles.c.source_id)
                              .outerjoin(analyses, analyses.c.id == articles.c.analysis_id)
                              .outerjoin(cluster_members, cluster_members.c.article_id == articles.c.id))
                 .where(articles.c.id > last).order_by(articles.c.id).limit(STREAM_CHUNK))
            if since is not None:
                q = q.where(articles.c.seen_at >= since)
            if domain is not None:
                q = q.where(analyses.c.domain == str(domain))
            if ids is not None:
                q = q.where(articles.c.id.in_(sorted(i for i in ids if i > last)[:STREAM_CHUNK]))
            with self._read() as c:
                rows = c.execute(q).all()
            if not rows:
                return
            for r in rows:
                yield {
                    "id": r.id, "url": r.url, "source_id": r.source_id, "source_name": r.source_name,
                    "source_kind": r.source_kind, "title": r.title, "kicker": r.kicker, "lead": r.lead,
                    "body": r.body, "published_at": r.published_at, "published_raw": r.published_raw,
                    "fetched_at": r.fetched_at, "authors": list(r.authors or ()), "tags": list(r.tags or ()),
                    "section": r.section, "content_hash": r.content_hash, "model_version": r.model_version,
                    "municipal": r.municipal, "domain": r.domain, "secondary": r.secondary, "rasht": r.rasht,
                    "places": list(r.places or ()) if r.places is not None else None, "concern": r.concern,
                    "concern_score": r.concern_score, "key_sentence": r.key_sentence, "tone": r.tone,
                    "cluster_key": r.cluster_key, "is_duplicate": r.duplicate_of is not None,
                }
            last = rows[-1].id


def _rows(store: ExportReader, since: datetime | None, domain: str | None,
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


def write_export(store: ExportReader, fmt: str, out: Path, *, since: datetime | None = None, domain: str | None = None,
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
                w = csv.writer(fh, quoting=csv.QUOTE_ALL)
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
