"""The relational schema, as SQLAlchemy Core tables.

Portable on purpose: plain types, geometries as WKT text in lon/lat (a PostGIS deployment can
add geometry columns in a migration without touching the records), timestamps through
:class:`UtcDateTime`, JSON through SQLAlchemy's ``JSON`` type. Every table is keyed by
``tenant_id`` first, so no query can forget the tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """A tz-aware UTC instant. Refuses naive datetimes on the way in; always returns aware
    UTC on the way out (SQLite keeps no offset, PostgreSQL ``timestamptz`` does)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the store; records must be tz-aware")
        as_utc = value.astimezone(UTC)
        return as_utc.replace(tzinfo=None) if dialect.name == "sqlite" else as_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant")


tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("region", sa.String(200)),
    sa.Column("manager_id", sa.String(128)),
    _tenant_fk("teams"),
)

territories = sa.Table(
    "territories",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("area_wkt", sa.Text, nullable=False),
    _tenant_fk("territories"),
)

reps = sa.Table(
    "reps",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("team_id", sa.String(128)),
    sa.Column("manager_id", sa.String(128)),
    sa.Column("territory_id", sa.String(128)),
    sa.Column("active", sa.Boolean, nullable=False),
    _tenant_fk("reps"),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("tier", sa.String(1), nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("footprint_wkt", sa.Text),
    sa.Column("geofence_radius_m", sa.Float, nullable=False),
    sa.Column("territory_id", sa.String(128)),
    _tenant_fk("customers"),
)

customer_reps = sa.Table(
    "customer_reps",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), primary_key=True),
    sa.Column("rep_id", sa.String(128), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                            name="fk_customer_reps_customer", ondelete="CASCADE"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                            name="fk_contacts_customer"),
)

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("channel", sa.String(200), nullable=False),
    sa.Column("tier", sa.String(1), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("customer_id", sa.String(128)),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("assigned_rep_id", sa.String(128)),
    sa.Column("assigned_at", UtcDateTime()),
    sa.Column("first_touch_at", UtcDateTime()),
    _tenant_fk("leads"),
)

lead_touches = sa.Table(
    "lead_touches",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("lead_id", sa.String(128), nullable=False),
    sa.Column("rep_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("checkin_id", sa.Uuid),
    sa.ForeignKeyConstraint(["tenant_id", "lead_id"], ["leads.tenant_id", "leads.id"],
                            name="fk_lead_touches_lead"),
)

checkins = sa.Table(
    "checkins",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("rep_id", sa.String(128), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("arrived_at", UtcDateTime(), nullable=False),
    sa.Column("departed_at", UtcDateTime(), nullable=False),
    sa.Column("photo_captured_at", UtcDateTime(), nullable=False),
    sa.Column("submitted_at", UtcDateTime(), nullable=False),
    sa.Column("device_submitted_at", UtcDateTime()),
    sa.Column("fix_lat", sa.Float, nullable=False),
    sa.Column("fix_lon", sa.Float, nullable=False),
    sa.Column("fix_accuracy_m", sa.Float, nullable=False),
    sa.Column("fix_time", UtcDateTime(), nullable=False),
    sa.Column("fix_provider", sa.String(20), nullable=False),
    sa.Column("fix_is_mock", sa.Boolean, nullable=False),
    sa.Column("photo_sha256", sa.String(64), nullable=False),
    # 64-bit perceptual hash as a signed BIGINT (vision.perceptual_hash.to_signed); NULL until
    # the photo has been decoded.
    sa.Column("photo_phash", sa.BigInteger),
    sa.Column("commitment_text", sa.Text, nullable=False),
    sa.Column("contract_number", sa.String(100)),
    sa.Column("next_action_text", sa.Text, nullable=False),
    sa.Column("next_action_due_at", UtcDateTime(), nullable=False),
    sa.Column("next_action_kind", sa.String(40), nullable=False),
    sa.Column("next_action_contact_id", sa.String(128)),
    sa.Column("status", sa.String(20), nullable=False),
    # sha256 of the upload's canonical meta JSON, the rep id and the photo's sha256: a
    # retried upload with the same check-in id is answered from the store when it matches,
    # refused with 409 when it doesn't. NULL for check-ins that didn't come through the
    # upload endpoint (imports, the simulator).
    sa.Column("upload_fingerprint", sa.String(64)),
    _tenant_fk("checkins"),
    sa.Index("ix_checkins_tenant_rep_departed", "tenant_id", "rep_id", "departed_at"),
    sa.Index("ix_checkins_tenant_customer_departed", "tenant_id", "customer_id", "departed_at"),
    sa.Index("ix_checkins_tenant_photo", "tenant_id", "photo_sha256"),
    # The upload endpoint reads the photo hashes submitted since it last looked.
    sa.Index("ix_checkins_tenant_submitted", "tenant_id", "submitted_at"),
)

verifications = sa.Table(
    "verifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("checkin_id", sa.Uuid, nullable=False),
    sa.Column("checker", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("model_version", sa.String(100)),
    sa.Column("policy_version", sa.String(100), nullable=False),
    sa.Column("verified_at", UtcDateTime(), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    # The rule set (rule_sets.version) that judged this verification; NULL when the tenant
    # had no rule set (every registered SKU featured, the default golden zone).
    sa.Column("rules_version", sa.Integer),
    sa.ForeignKeyConstraint(["tenant_id", "checkin_id"], ["checkins.tenant_id", "checkins.id"],
                            name="fk_verifications_checkin", ondelete="CASCADE"),
    sa.Index("ix_verifications_tenant_checkin", "tenant_id", "checkin_id"),
)

action_outcomes = sa.Table(
    "action_outcomes",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("checkin_id", sa.Uuid, primary_key=True),
    sa.Column("completed_at", UtcDateTime(), nullable=False),
    sa.Column("completed_by", sa.String(128), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("strategy", sa.Text),  # 0005: the rep's one sentence on a pushed action
    sa.ForeignKeyConstraint(["tenant_id", "checkin_id"], ["checkins.tenant_id", "checkins.id"],
                            name="fk_action_outcomes_checkin", ondelete="CASCADE"),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("sku", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("brand", sa.String(200)),
    sa.Column("reference_sha256", sa.JSON, nullable=False),
    _tenant_fk("products"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    # Only the sha256 of a bearer token is stored; ``prefix`` (its first characters) lets an
    # operator tell tokens apart in listings and logs without the secret.
    sa.Column("token_sha256", sa.String(64), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("team_id", sa.String(128)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("revoked", sa.Boolean, nullable=False),
    _tenant_fk("api_tokens"),
    sa.UniqueConstraint("token_sha256", name="uq_api_tokens_token_sha256"),
    sa.Index("ix_api_tokens_tenant_user", "tenant_id", "user_id"),
)

rule_sets = sa.Table(
    "rule_sets",
    metadata,
    # A director's rules as data (application.rules), one row per version. Rows are only ever
    # inserted: a change is version n + 1, so every verdict's rules_version stays readable.
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("body", sa.JSON, nullable=False),
    _tenant_fk("rule_sets"),
)

# 0006: the visit pack's imported reference data (application.visit_pack).
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("ordered_at", UtcDateTime(), nullable=False),
    sa.Column("sku", sa.String(128), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("amount", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                            name="fk_orders_customer"),
    sa.Index("ix_orders_tenant_customer_ordered", "tenant_id", "customer_id", "ordered_at"),
)

stock_levels = sa.Table(
    "stock_levels",
    metadata,
    # One row per count: the current level of a SKU is its latest counted_at.
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), primary_key=True),
    sa.Column("sku", sa.String(128), primary_key=True),
    sa.Column("counted_at", UtcDateTime(), primary_key=True),
    sa.Column("units", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                            name="fk_stock_levels_customer"),
)

promotions = sa.Table(
    "promotions",
    metadata,
    # A competitor's promotion in a team region (teams.region), dates inclusive.
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("region", sa.String(200), nullable=False),
    sa.Column("competitor", sa.String(200), nullable=False),
    sa.Column("product", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    _tenant_fk("promotions"),
    sa.Index("ix_promotions_tenant_region_starts", "tenant_id", "region", "starts_on"),
)

# 0007: visit notes (application.visit_notes): typed or recorded, read into a draft, used
# once for a check-in. The audio bytes live in the content-addressed audio folder.
visit_notes = sa.Table(
    "visit_notes",
    metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("rep_id", sa.String(128), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("transcript", sa.Text),
    sa.Column("audio_sha256", sa.String(64)),
    sa.Column("audio_media_type", sa.String(40)),
    sa.Column("audio_duration_s", sa.Float),
    sa.Column("draft", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("checkin_id", sa.Uuid),
    _tenant_fk("visit_notes"),
    sa.UniqueConstraint("tenant_id", "checkin_id", name="uq_visit_notes_tenant_checkin"),
    sa.Index("ix_visit_notes_tenant_rep_created", "tenant_id", "rep_id", "created_at"),
)
