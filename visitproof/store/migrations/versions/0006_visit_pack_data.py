"""orders, stock_levels, promotions: the visit pack's imported reference data (issue 21 item 5)

Orders and stock counts belong to a customer; promotions are a competitor's offer in a team
region over a date range. All three are imported from CSV (application.file_import) or written
by the simulator; nothing in the verification path reads them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 02:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name="fk_orders_customer",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_tenant_customer_ordered",
            ["tenant_id", "customer_id", "ordered_at"],
            unique=False,
        )
    op.create_table(
        "stock_levels",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name="fk_stock_levels_customer",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "customer_id", "sku", "counted_at", name=op.f("pk_stock_levels")
        ),
    )
    op.create_table(
        "promotions",
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("competitor", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_promotions_tenant"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_promotions")),
    )
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_promotions_tenant_region_starts",
            ["tenant_id", "region", "starts_on"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_index("ix_promotions_tenant_region_starts")
    op.drop_table("promotions")
    op.drop_table("stock_levels")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_tenant_customer_ordered")
    op.drop_table("orders")
