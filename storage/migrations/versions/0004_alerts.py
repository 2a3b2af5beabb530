"""early-warning alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 16:30:00

One row per alert (issue 14): the story (or surging place / working group) it is about, the rule that
fired, its figures, the articles behind it, when it opened, was last updated, was delivered and closed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('headline', sa.Text(), nullable=False),
    sa.Column('article_ids', sa.JSON(), nullable=False),
    sa.Column('outlets', sa.JSON(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_article_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('webhook_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('key', name=op.f('uq_alerts_key'))
    )
    op.create_index('ix_alerts_opened', 'alerts', ['opened_at'], unique=False)
    op.create_index('ix_alerts_closed', 'alerts', ['closed_at'], unique=False)


def downgrade() -> None:
    op.drop_table('alerts')
