"""Storage: one schema, embedded SQLite by default, PostgreSQL by URL. The only way stages share data.

Public API: `open_store(url=None, *, settings=None) -> Store`, the `Store` methods (those of its parts:
storage/articles.py, runs.py, analyses.py, digests.py, search.py, corrections.py, export.py),
`store.workspace`, `store.alerts`, and the records `RunRecord`, `DigestRecord`, `SearchHit`.
See docs/storage.md and docs/architecture.md ("Inside storage").
"""

from storage.errors import (
    BadDatabaseURL,
    DatabaseCorrupt,
    DatabaseNotFound,
    DatabaseUnavailable,
    MigrationRequired,
    StoreError,
)
from storage.store import DigestRecord, RunRecord, RunSink, SearchHit, Store, open_store

__all__ = [
    "BadDatabaseURL",
    "DatabaseCorrupt",
    "DatabaseNotFound",
    "DatabaseUnavailable",
    "DigestRecord",
    "MigrationRequired",
    "RunRecord",
    "RunSink",
    "SearchHit",
    "Store",
    "StoreError",
    "open_store",
]
