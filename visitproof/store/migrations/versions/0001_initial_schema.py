"""initial schema: tenants, reps, customers, leads, check-ins, verifications

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 05:52:12.557879
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "checkins",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photo_captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fix_lat", sa.Float(), nullable=False),
        sa.Column("fix_lon", sa.Float(), nullable=False),
        sa.Column("fix_accuracy_m", sa.Float(), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fix_provider", sa.String(length=20), nullable=False),
        sa.Column("fix_is_mock", sa.Boolean(), nullable=False),
        sa.Column("photo_sha256", sa.String(length=64), nullable=False),
        sa.Column("commitment_text", sa.Text(), nullable=False),
        sa.Column("contract_number", sa.String(length=100), nullable=True),
        sa.Column("next_action_text", sa.Text(), nullable=False),
        sa.Column("next_action_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_action_kind", sa.String(length=40), nullable=False),
        sa.Column("next_action_contact_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_checkins_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_tenant_customer_departed",
            ["tenant_id", "customer_id", "departed_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_checkins_tenant_photo", ["tenant_id", "photo_sha256"], unique=False
        )
        batch_op.create_index(
            "ix_checkins_tenant_rep_departed", ["tenant_id", "rep_id", "departed_at"], unique=False
        )

    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=1), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("footprint_wkt", sa.Text(), nullable=True),
        sa.Column("geofence_radius_m", sa.Float(), nullable=False),
        sa.Column("territory_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_customers_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customers")),
    )
    op.create_table(
        "leads",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=1), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("assigned_rep_id", sa.String(length=128), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_touch_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_leads_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_leads")),
    )
    op.create_table(
        "products",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("reference_sha256", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_products_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "sku", name=op.f("pk_products")),
    )
    op.create_table(
        "reps",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.String(length=128), nullable=True),
        sa.Column("manager_id", sa.String(length=128), nullable=True),
        sa.Column("territory_id", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_reps_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reps")),
    )
    op.create_table(
        "teams",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("manager_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_teams_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_teams")),
    )
    op.create_table(
        "territories",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_wkt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_territories_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_territories")),
    )
    op.create_table(
        "action_outcomes",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("checkin_id", sa.Uuid(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_by", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "checkin_id"],
            ["checkins.tenant_id", "checkins.id"],
            name="fk_action_outcomes_checkin",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "checkin_id", name=op.f("pk_action_outcomes")),
    )
    op.create_table(
        "contacts",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name="fk_contacts_customer",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_contacts")),
    )
    op.create_table(
        "customer_reps",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("rep_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name="fk_customer_reps_customer",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "customer_id", "rep_id", name=op.f("pk_customer_reps")
        ),
    )
    op.create_table(
        "lead_touches",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("lead_id", sa.String(length=128), nullable=False),
        sa.Column("rep_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checkin_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"], ["leads.tenant_id", "leads.id"], name="fk_lead_touches_lead"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_lead_touches")),
    )
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("checkin_id", sa.Uuid(), nullable=False),
        sa.Column("checker", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=True),
        sa.Column("policy_version", sa.String(length=100), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "checkin_id"],
            ["checkins.tenant_id", "checkins.id"],
            name="fk_verifications_checkin",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_verifications_tenant_checkin", ["tenant_id", "checkin_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_verifications_tenant_checkin")

    op.drop_table("verifications")
    op.drop_table("lead_touches")
    op.drop_table("customer_reps")
    op.drop_table("contacts")
    op.drop_table("action_outcomes")
    op.drop_table("territories")
    op.drop_table("teams")
    op.drop_table("reps")
    op.drop_table("products")
    op.drop_table("leads")
    op.drop_table("customers")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_tenant_rep_departed")
        batch_op.drop_index("ix_checkins_tenant_photo")
        batch_op.drop_index("ix_checkins_tenant_customer_departed")

    op.drop_table("checkins")
    op.drop_table("tenants")
