"""checkins.photo_phash for near-duplicate photo search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:13:34.198752
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_phash", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("photo_phash")
