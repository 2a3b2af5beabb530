"""What every part of the store stands on: one engine, its transactions, and the batch sizes.

Each part (`ArticleStore`, `RunLog`, `AnalysisStore`, `DigestStore`, `SearchIndex`, `CorrectionStore`,
`ExportReader`, and the namespaced `Workspace` and `Alerts`) is a `StoreBase` over an engine and works
alone; `storage.Store` is all of them over one engine (see docs/architecture.md, "Inside storage").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

from storage import db
from storage.schema import analyses, articles

# Rows per write transaction in batch methods: small enough that a killed process loses at most a
# second of work and other writers wait little for the lock, large enough to amortise the commit.
BATCH_ROWS = 500
# Rows fetched per query when streaming (articles_to_analyse, export): keeps memory flat.
STREAM_CHUNK = 1000


class StoreBase:
    """An engine and its transactions: every write goes through `_write()`, every read through `_read()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)  # reopenable, e.g. by a subprocess
        self.display_url = engine.url.render_as_string(hide_password=True)  # for messages and logs
        self.dialect = engine.dialect.name

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _write(self) -> Any:
        return db.write_tx(self.engine)

    def _read(self) -> Any:
        return db.read_tx(self.engine)


def chunks[T](items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def analysed() -> Any:
    """Articles joined to their current analysis (analysed articles only)."""
    return articles.join(analyses, analyses.c.id == articles.c.analysis_id)
