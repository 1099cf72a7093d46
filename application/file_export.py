"""Writing customers, reps, leads and contacts as CSV, in the columns
:mod:`application.file_import` reads, so an export imports back unchanged."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from application.file_import import COLUMNS
from visitproof.records import Contact, Customer, Lead, Rep


def write_csv(kind: str, records: Iterable[Customer | Rep | Lead | Contact],
              stream: TextIO) -> int:
    """Write ``records`` of ``kind`` to ``stream`` with a header row; returns the row count."""
    required, optional = COLUMNS[kind]
    writer = csv.DictWriter(stream, fieldnames=[*required, *optional], lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({name: _text(value) for name, value in _values(record).items()})
        count += 1
    return count


def _values(record: Customer | Rep | Lead | Contact) -> dict[str, Any]:
    if isinstance(record, Customer):
        return {"id": record.id, "name": record.name, "type": record.type, "tier": record.tier,
                "lat": record.location.lat, "lon": record.location.lon,
                "geofence_radius_m": record.geofence_radius_m,
                "territory_id": record.territory_id,
                "assigned_reps": ";".join(record.assigned_rep_ids),
                "footprint_wkt": record.footprint.wkt if record.footprint else None}
    if isinstance(record, Rep):
        return {"id": record.id, "name": record.name, "team_id": record.team_id,
                "manager_id": record.manager_id, "territory_id": record.territory_id,
                "active": "true" if record.active else "false"}
    if isinstance(record, Lead):
        return {"id": record.id, "channel": record.channel, "tier": record.tier,
                "created_at": record.created_at, "customer_id": record.customer_id,
                "contact_name": record.contact_name,
                "assigned_rep_id": record.assigned_rep_id, "assigned_at": record.assigned_at,
                "first_touch_at": record.first_touch_at}
    return {"id": record.id, "customer_id": record.customer_id, "name": record.name,
            "role": record.role}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)
