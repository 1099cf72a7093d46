"""action_outcomes.strategy: the rep's one-sentence strategy for a pushed next action

Nullable: completions stored before this revision have none (PHI phi-2 does not count such
a completion as closed when the action had been pushed; see visitproof.pushed_actions).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strategy", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_outcomes", schema=None) as batch_op:
        batch_op.drop_column("strategy")
