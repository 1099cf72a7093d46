"""Records to rows and back: one pair of functions per record type, nothing else.

Geometries travel as WKT (lon/lat); enums as their string values; reasons and details as
JSON. Reading a row builds the record again, so every stored value is re-validated on the way
out as well as on the way in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shapely import wkt
from sqlalchemy.engine import RowMapping

from visitproof.records import (
    ActionOutcome,
    Checkin,
    Commitment,
    Contact,
    Customer,
    GeoPoint,
    GpsFix,
    Lead,
    LeadTouch,
    NextAction,
    Product,
    Reason,
    Rep,
    Team,
    Tenant,
    Territory,
    Verification,
)


def tenant_row(tenant: Tenant) -> dict[str, Any]:
    return {"id": tenant.id, "name": tenant.name, "timezone": tenant.timezone,
            "created_at": tenant.created_at}


def tenant_from(row: RowMapping) -> Tenant:
    return Tenant(**dict(row))


def team_row(team: Team) -> dict[str, Any]:
    return {"tenant_id": team.tenant_id, "id": team.id, "name": team.name,
            "region": team.region, "manager_id": team.manager_id}


def team_from(row: RowMapping) -> Team:
    return Team(**dict(row))


def territory_row(territory: Territory) -> dict[str, Any]:
    return {"tenant_id": territory.tenant_id, "id": territory.id, "name": territory.name,
            "area_wkt": territory.area.wkt}


def territory_from(row: RowMapping) -> Territory:
    return Territory(tenant_id=row["tenant_id"], id=row["id"], name=row["name"],
                     area=wkt.loads(row["area_wkt"]))


def rep_row(rep: Rep) -> dict[str, Any]:
    return {"tenant_id": rep.tenant_id, "id": rep.id, "name": rep.name, "team_id": rep.team_id,
            "manager_id": rep.manager_id, "territory_id": rep.territory_id,
            "active": rep.active}


def rep_from(row: RowMapping) -> Rep:
    return Rep(**dict(row))


def customer_row(customer: Customer) -> dict[str, Any]:
    return {
        "tenant_id": customer.tenant_id, "id": customer.id, "name": customer.name,
        "type": customer.type.value, "tier": customer.tier.value,
        "lat": customer.location.lat, "lon": customer.location.lon,
        "footprint_wkt": customer.footprint.wkt if customer.footprint is not None else None,
        "geofence_radius_m": customer.geofence_radius_m,
        "territory_id": customer.territory_id,
    }


def customer_rep_rows(customer: Customer) -> list[dict[str, Any]]:
    return [{"tenant_id": customer.tenant_id, "customer_id": customer.id, "rep_id": rep_id,
             "position": position}
            for position, rep_id in enumerate(customer.assigned_rep_ids)]


def customer_from(row: RowMapping, assigned_rep_ids: tuple[str, ...]) -> Customer:
    footprint = row["footprint_wkt"]
    return Customer(
        tenant_id=row["tenant_id"], id=row["id"], name=row["name"], type=row["type"],
        tier=row["tier"], location=GeoPoint(lat=row["lat"], lon=row["lon"]),
        footprint=wkt.loads(footprint) if footprint else None,
        geofence_radius_m=row["geofence_radius_m"], territory_id=row["territory_id"],
        assigned_rep_ids=assigned_rep_ids,
    )


def contact_row(contact: Contact) -> dict[str, Any]:
    return {"tenant_id": contact.tenant_id, "id": contact.id,
            "customer_id": contact.customer_id, "name": contact.name,
            "role": contact.role.value}


def contact_from(row: RowMapping) -> Contact:
    return Contact(**dict(row))


def lead_row(lead: Lead) -> dict[str, Any]:
    return {"tenant_id": lead.tenant_id, "id": lead.id, "channel": lead.channel,
            "tier": lead.tier.value, "created_at": lead.created_at,
            "customer_id": lead.customer_id, "contact_name": lead.contact_name,
            "assigned_rep_id": lead.assigned_rep_id, "assigned_at": lead.assigned_at,
            "first_touch_at": lead.first_touch_at}


def lead_from(row: RowMapping) -> Lead:
    return Lead(**dict(row))


def lead_touch_row(touch: LeadTouch) -> dict[str, Any]:
    return {"tenant_id": touch.tenant_id, "id": touch.id, "lead_id": touch.lead_id,
            "rep_id": touch.rep_id, "kind": touch.kind.value, "at": touch.at,
            "checkin_id": touch.checkin_id}


def lead_touch_from(row: RowMapping) -> LeadTouch:
    return LeadTouch(**dict(row))


def checkin_row(checkin: Checkin) -> dict[str, Any]:
    fix, action = checkin.fix, checkin.next_action
    return {
        "tenant_id": checkin.tenant_id, "id": checkin.id, "rep_id": checkin.rep_id,
        "customer_id": checkin.customer_id, "arrived_at": checkin.arrived_at,
        "departed_at": checkin.departed_at, "photo_captured_at": checkin.photo_captured_at,
        "submitted_at": checkin.submitted_at,
        "device_submitted_at": checkin.device_submitted_at,
        "fix_lat": fix.lat, "fix_lon": fix.lon, "fix_accuracy_m": fix.accuracy_m,
        "fix_time": fix.fix_time, "fix_provider": fix.provider.value,
        "fix_is_mock": fix.is_mock, "photo_sha256": checkin.photo_sha256,
        "photo_phash": _signed(checkin.photo_phash),
        "commitment_text": checkin.commitment.text,
        "contract_number": checkin.commitment.contract_number,
        "next_action_text": action.text, "next_action_due_at": action.due_at,
        "next_action_kind": action.kind.value, "next_action_contact_id": action.contact_id,
        "status": checkin.status.value,
    }


def checkin_from(row: RowMapping, verifications: tuple[Verification, ...]) -> Checkin:
    return Checkin(
        tenant_id=row["tenant_id"], id=row["id"], rep_id=row["rep_id"],
        customer_id=row["customer_id"], arrived_at=row["arrived_at"],
        departed_at=row["departed_at"], photo_captured_at=row["photo_captured_at"],
        submitted_at=row["submitted_at"], device_submitted_at=row["device_submitted_at"],
        fix=fix_from(row),
        photo_sha256=row["photo_sha256"], photo_phash=_unsigned(row["photo_phash"]),
        commitment=Commitment(text=row["commitment_text"],
                              contract_number=row["contract_number"]),
        next_action=NextAction(text=row["next_action_text"], due_at=row["next_action_due_at"],
                               kind=row["next_action_kind"],
                               contact_id=row["next_action_contact_id"]),
        status=row["status"], verifications=verifications,
    )


def fix_from(row: RowMapping) -> GpsFix:
    """The ``fix_*`` columns of a check-in row."""
    return GpsFix(lat=row["fix_lat"], lon=row["fix_lon"], accuracy_m=row["fix_accuracy_m"],
                  fix_time=row["fix_time"], provider=row["fix_provider"],
                  is_mock=row["fix_is_mock"])


def verification_row(tenant_id: str, verification: Verification) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id, "checkin_id": verification.checkin_id,
        "checker": verification.checker, "status": verification.status.value,
        "reasons": [{"code": r.code, "message": r.message} for r in verification.reasons],
        "model_version": verification.model_version,
        "policy_version": verification.policy_version,
        "verified_at": verification.verified_at, "details": dict(verification.details),
        "rules_version": verification.rules_version,
    }


def verification_from(row: RowMapping | Mapping[str, Any]) -> Verification:
    return Verification(
        checkin_id=row["checkin_id"], checker=row["checker"], status=row["status"],
        reasons=tuple(Reason(code=r["code"], message=r["message"]) for r in row["reasons"]),
        model_version=row["model_version"], policy_version=row["policy_version"],
        verified_at=row["verified_at"], details=_mapping(row["details"]),
        rules_version=row["rules_version"],
    )


def action_outcome_row(outcome: ActionOutcome) -> dict[str, Any]:
    return {"tenant_id": outcome.tenant_id, "checkin_id": outcome.checkin_id,
            "completed_at": outcome.completed_at, "completed_by": outcome.completed_by,
            "note": outcome.note, "strategy": outcome.strategy}


def action_outcome_from(row: RowMapping) -> ActionOutcome:
    return ActionOutcome(**dict(row))


def product_row(product: Product) -> dict[str, Any]:
    return {"tenant_id": product.tenant_id, "sku": product.sku, "name": product.name,
            "brand": product.brand, "reference_sha256": list(product.reference_sha256)}


def product_from(row: RowMapping) -> Product:
    return Product(tenant_id=row["tenant_id"], sku=row["sku"], name=row["name"],
                   brand=row["brand"], reference_sha256=tuple(row["reference_sha256"]))


def _signed(value: int | None) -> int | None:
    """Unsigned 64-bit -> the signed value a BIGINT column holds."""
    return None if value is None else value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int | None) -> int | None:
    return None if value is None else value + (1 << 64) if value < 0 else value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
