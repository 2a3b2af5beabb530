"""Every storage test runs on SQLite and on PostgreSQL through the `store` fixture (tests/pg.py)."""

