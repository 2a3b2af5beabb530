"""Alembic environment: migrations run on the connection storage.db hands over (see db.upgrade)."""

from __future__ import annotations

from alembic import context

from storage.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - storage.db always passes a connection
    raise RuntimeError("run migrations through `mediawatch db upgrade` (storage.db.upgrade)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
