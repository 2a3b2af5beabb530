"""Storage's exceptions: each message says what went wrong and what to do."""

from __future__ import annotations

from mediawatch.errors import ConfigError, JobFailed, MediawatchError


class StoreError(MediawatchError):
    """The database cannot do what was asked (bad URL, unknown source, bad correction …)."""


class MigrationRequired(StoreError, JobFailed):
    """The database schema is older than the code: run `mediawatch db upgrade`."""


class DatabaseUnavailable(StoreError, JobFailed):
    """The database server cannot be reached."""


class DatabaseCorrupt(StoreError, JobFailed):
    """The database file is damaged or not an SQLite database at all."""


class DatabaseNotFound(StoreError, ConfigError):
    """A read-only command was pointed at a database file that does not exist (a mistyped path)."""


class BadDatabaseURL(StoreError, ConfigError):
    """The database URL cannot be parsed or names a backend mediawatch does not support."""


class RunInProgress(StoreError, JobFailed):
    """Another run of the same kind (a nightly, a pulse) holds its lock on this database."""
