"""Copy every table from one database to another (SQLite → PostgreSQL, or back), idempotently.

Rows keep their ids; a row whose key already exists in the target is left alone, so a second
copy (or one resumed after an interruption) adds only what is missing. The target's search index
is filled by the same inserts (FTS5 triggers on SQLite, the expression index on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, text

from storage.schema import TABLES_IN_ORDER
from storage.store import Store

# Rows per INSERT: 500 × ~20 columns stays under SQLite's 32,766 bound parameters.
COPY_CHUNK = 500


def copy_database(src: Store, dst: Store, *, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Stream all tables from `src` into `dst`; rows newly added per table."""
    added: dict[str, int] = {}
    for table in TABLES_IN_ORDER:
        added[table.name] = 0
        order = list(table.primary_key.columns)
        with src.engine.connect() as sc:
            result = sc.execution_options(yield_per=COPY_CHUNK).execute(select(table).order_by(*order))
            for part in result.partitions():
                rows = [r._asdict() for r in part]
                with dst._write() as dc:
                    stmt = dst._insert(table).values(rows).on_conflict_do_nothing()
                    n = dc.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount
                added[table.name] += max(n, 0)
                if progress:
                    progress(table.name, len(rows))
    if dst.dialect == "postgresql":
        with dst._write() as dc:
            for table in TABLES_IN_ORDER:
                if "id" in table.c and table.c.id.autoincrement is True:
                    dc.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                    f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))
    dst.optimize()  # a freshly loaded database has no planner statistics yet
    return added
