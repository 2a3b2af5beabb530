"""The one schema (SQLAlchemy Core) both backends share; Alembic migrations build it.

Times are stored in UTC (aware on PostgreSQL, naive-UTC on SQLite) and always come back aware.
Original article text lives in `article_texts`; the normalised text nlp made lives in `analyses`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Constraint names fixed so that migrations and both dialects agree.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL; INTEGER on SQLite so that the id is the rowid (autoincrementing).
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends (SQLite has no time zones: store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass aware (UTC) datetimes to storage")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


sources = Table(
    "sources",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("homepage", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("scope", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("config", JSON, nullable=False),  # the whole Source record, for sources()
    Column("updated_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(32), nullable=False),  # running | ok | partial | failed | …
    Column("summary", JSON),
    Index("ix_runs_kind_started", "kind", "started_at"),
)

run_reports = Table(
    "run_reports",
    metadata,
    Column("run_id", Id, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("found", Integer, nullable=False),
    Column("new", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("fatal", Text, nullable=False),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("updated_at", UTCDateTime, nullable=False),
)

fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("source_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("status", Integer),
    Column("outcome", String(32), nullable=False),
    Column("error", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("elapsed_ms", Integer),
    Index("ix_fetch_log_source_at", "source_id", "at"),
    Index("ix_fetch_log_run", "run_id"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("source_id", String(64), ForeignKey("sources.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("kicker", Text, nullable=False),
    Column("lead", Text, nullable=False),
    Column("published_at", UTCDateTime),
    Column("published_raw", Text, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    # published_at, or fetched_at when the page gave no date: the time windows select on this.
    Column("seen_at", UTCDateTime, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("section", Text, nullable=False),
    Column("content_hash", String(40), nullable=False),
    Column("run_id", Id, ForeignKey("runs.id", ondelete="SET NULL")),
    # The latest analysis (any model version); NULL until nlp has run. Set by save_analyses.
    Column("analysis_id", Id),
    Index("ix_articles_seen_at", "seen_at"),
    Index("ix_articles_source_seen", "source_id", "seen_at"),
    Index("ix_articles_content_hash", "content_hash"),
)

article_texts = Table(
    "article_texts",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("body", Text, nullable=False),  # the original text, paragraphs joined by "\n\n"
)

analyses = Table(
    "analyses",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("norm_title", Text, nullable=False),
    Column("norm_body", Text, nullable=False),
    Column("municipal", Boolean, nullable=False),
    Column("municipal_score", Float, nullable=False),
    Column("domain", String(32), nullable=False),
    Column("domain_scores", JSON, nullable=False),
    Column("secondary", String(32)),
    Column("rasht", Boolean, nullable=False),
    Column("places", JSON, nullable=False),
    Column("concern", Boolean, nullable=False),
    Column("concern_score", Float, nullable=False),
    Column("key_sentence", Text, nullable=False),
    Column("tone", String(16)),
    # How much a person should look at this judgement (nlp.analyze.uncertainty); NULL before migration 0002.
    Column("uncertainty", Float),
    UniqueConstraint("article_id", "model_version", name="uq_analyses_article_version"),
    Index("ix_analyses_version", "model_version"),
    Index("ix_analyses_domain", "domain"),
    Index("ix_analyses_uncertainty", "uncertainty"),
)

# One sentence-encoder vector per article (float16 bytes, little-endian), stored once: retraining,
# story grouping and "similar articles" read it instead of encoding again.
embeddings = Table(
    "embeddings",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("encoder", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

clusters = Table(
    "clusters",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("representative_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

cluster_members = Table(
    "cluster_members",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_key", String(64), ForeignKey("clusters.key", ondelete="CASCADE"), nullable=False),
    Column("duplicate_of", Id),  # article id it republishes, NULL when original
    Index("ix_cluster_members_key", "cluster_key"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(32), nullable=False),
    Column("value", JSON),
    Column("who", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_corrections_article", "article_id"),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("group", String(64)),
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("content", JSON, nullable=False),
    Column("paths", JSON, nullable=False),
    Index("ix_digests_kind_group", "kind", "group", "created_at"),
)

# PostgreSQL search index (SQLite uses the FTS5 virtual table `article_fts`, made in the migration).
article_search = Table(
    "article_search",
    metadata,
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    # search_doc(title, kicker, lead, body); PostgreSQL adds tsv = to_tsvector('simple', doc) (migration 0001)
    Column("doc", Text, nullable=False),
)

# --- the workspace (web/): accounts, sessions, login throttling, referrals, audit log (migration 0003) ---
users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # admin | secretariat | chair | viewer
    Column("group", String(64)),  # the working group a chair chairs
    Column("password_hash", Text, nullable=False),  # argon2id, never the password
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Server-side sessions: the cookie carries a signed random token; only its SHA-256 is stored, so logout
# and `users disable` end a session for good.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_sessions_user", "user_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_attempts_username_at", "username", "at"),
    Index("ix_login_attempts_address_at", "address", "at"),
)

# A concern story passed to a working group: new → referred → answered → closed.
referrals = Table(
    "referrals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("cluster_key", String(64), nullable=False),  # the story (or "a<article id>" for a lone article)
    Column("article_id", Id, ForeignKey("articles.id", ondelete="SET NULL")),  # the story's lead article
    Column("headline", Text, nullable=False),
    Column("group", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("manager", Text, nullable=False),
    Column("due_date", Date),
    Column("answer_url", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("referred_at", UTCDateTime),
    Column("answered_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Index("ix_referrals_group_state", "group", "state"),
    Index("ix_referrals_cluster", "cluster_key"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("who", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Text, nullable=False),
    Column("old", JSON),
    Column("new", JSON),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_target", "target"),
)

# Early-warning alerts (nlp/alerts.py, flows/pulse.py; migration 0004): one row per story (or surging
# place / working group), with the rule that fired, its figures and the articles behind it.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(160), nullable=False, unique=True),  # story key, "place:<name>" or "group:<label>"
    Column("rule", String(16), nullable=False),  # critical | spread | surge
    Column("critical", Boolean, nullable=False),
    Column("domain", String(32), nullable=False),
    Column("headline", Text, nullable=False),
    Column("article_ids", JSON, nullable=False),
    Column("outlets", JSON, nullable=False),
    Column("figures", JSON, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_article_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("webhook_at", UTCDateTime),
    Column("delivery_error", Text, nullable=False),
    Index("ix_alerts_opened", "opened_at"),
    Index("ix_alerts_closed", "closed_at"),
)

# Copy order: parents before children.
TABLES_IN_ORDER: tuple[Table, ...] = (
    sources,
    runs,
    run_reports,
    feed_state,
    fetch_log,
    articles,
    article_texts,
    analyses,
    embeddings,
    clusters,
    cluster_members,
    corrections,
    digests,
    article_search,
    users,
    sessions,
    login_attempts,
    referrals,
    audit_log,
    alerts,
)
