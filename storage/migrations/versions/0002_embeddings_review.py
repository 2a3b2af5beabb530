"""article embeddings and the review-queue uncertainty

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 13:40:00

`embeddings` keeps each article's sentence-encoder vector once (float16 bytes), so retraining,
story grouping and "similar articles" never re-encode. `analyses.uncertainty` is the documented
review-queue score (nlp.analyze.uncertainty): the higher, the sooner a person should look.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('embeddings',
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('encoder', sa.String(length=64), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_embeddings_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', name=op.f('pk_embeddings'))
    )
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncertainty', sa.Float(), nullable=True))
        batch_op.create_index('ix_analyses_uncertainty', ['uncertainty'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.drop_index('ix_analyses_uncertainty')
        batch_op.drop_column('uncertainty')
    op.drop_table('embeddings')
