"""visit_notes: a rep's typed or recorded visit note, its draft, and the check-in it became

The audio bytes are kept in the content-addressed audio folder (DATA_DIR/audio), written
before the row; ``checkin_id`` is unique within a tenant (a note is used once).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_notes",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("audio_sha256", sa.String(length=64), nullable=True),
        sa.Column("audio_media_type", sa.String(length=40), nullable=True),
        sa.Column("audio_duration_s", sa.Float(), nullable=True),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checkin_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_visit_notes_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_visit_notes")),
        sa.UniqueConstraint("tenant_id", "checkin_id", name="uq_visit_notes_tenant_checkin"),
    )
    op.create_index("ix_visit_notes_tenant_rep_created", "visit_notes",
                    ["tenant_id", "rep_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_visit_notes_tenant_rep_created", table_name="visit_notes")
    op.drop_table("visit_notes")
