"""Storage's exceptions: each message says what went wrong and what to do."""

from __future__ import annotations

from mediawatch.errors import MediawatchError


class StoreError(MediawatchError):
    """The database cannot do what was asked (bad URL, unknown source, bad correction …)."""


class MigrationRequired(StoreError):
    """The database schema is older than the code: run `mediawatch db upgrade`."""


class DatabaseUnavailable(StoreError):
    """The database server cannot be reached."""
