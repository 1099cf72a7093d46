"""Reading :class:`~phi.tables.PhiTables` straight from the store's columns, for one tenant
over an open SQLAlchemy connection, without building a record (or a Python datetime) per row.

Timestamp and UUID columns are fetched as the driver returns them, bypassing the per-row
type processors (``type_coerce``), and converted a column at a time: SQLite keeps UTC text
(``2026-11-03 09:40:00.000000``) and 32-digit hex UUIDs; PostgreSQL drivers return aware
datetimes and UUID objects. Ids come out in canonical UUID text either way.

Customers carry their owners (:func:`visitproof.neglect.owner_rep_ids`: assigned reps in
order, or the reps of the customer's territory), read the way the overlap analysis reads
them, so PHI's untouched customers and the coverage gaps name the same customers.

Check-ins are read whole (the trend and "last 5 check-ins" look back beyond the period).
Verifications: the latest verdict of each checker per check-in; reasons are decoded only for
the failing ones.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from phi.tables import PhiTables, customers_frame, frame
from visitproof import neglect
from visitproof.reasons import ReasonCode
from visitproof.records import CheckinStatus
from visitproof.store import tables as t
from visitproof.store.tables import UtcDateTime


def tables_from_store(connection: Connection, tenant_id: str) -> PhiTables:
    """All PHI inputs of ``tenant_id``."""
    teams = _read(connection, t.teams, tenant_id, [t.teams.c.id, t.teams.c.region],
                  ["team_id", "region"])
    reps = _read(connection, t.reps, tenant_id,
                 [t.reps.c.id, t.reps.c.team_id, t.reps.c.territory_id],
                 ["rep_id", "team_id", "territory_id"]).merge(teams, on="team_id", how="left")
    cr = t.customer_reps.c
    links = _read(connection, t.customer_reps, tenant_id,
                  [cr.customer_id, cr.rep_id, cr.position], ["customer_id", "rep_id", "position"])
    links = links.assign(position=pd.to_numeric(links["position"])).sort_values(
        ["customer_id", "position"], kind="stable")
    c = t.checkins.c
    checkins = _read(connection, t.checkins, tenant_id, [
        c.id, c.rep_id, c.customer_id, c.arrived_at, c.departed_at, c.submitted_at, c.status,
        c.next_action_due_at, c.next_action_kind, c.next_action_contact_id,
    ], ["checkin_id", "rep_id", "customer_id", "arrived_at", "departed_at", "submitted_at",
        "status", "due_at", "action_kind", "contact_id"])
    checkins["checkin_id"] = _uuid_text(checkins["checkin_id"])
    lt = t.lead_touches.c
    touches = _read(connection, t.lead_touches, tenant_id,
                    [lt.id, lt.lead_id, lt.rep_id, lt.kind, lt.at, lt.checkin_id],
                    ["touch_id", "lead_id", "rep_id", "kind", "at", "checkin_id"])
    touches["checkin_id"] = _uuid_text(touches["checkin_id"])
    ao = t.action_outcomes.c
    outcomes = _read(connection, t.action_outcomes, tenant_id,
                     [ao.checkin_id, ao.completed_at, ao.strategy],
                     ["checkin_id", "completed_at", "strategy"])
    outcomes["checkin_id"] = _uuid_text(outcomes["checkin_id"])
    ld = t.leads.c
    return PhiTables(
        reps=frame("reps", reps),
        customer_reps=frame("customer_reps", links),
        contacts=frame("contacts", _read(
            connection, t.contacts, tenant_id,
            [t.contacts.c.id, t.contacts.c.customer_id, t.contacts.c.role],
            ["contact_id", "customer_id", "role"])),
        leads=frame("leads", _read(
            connection, t.leads, tenant_id,
            [ld.id, ld.created_at, ld.customer_id, ld.assigned_rep_id],
            ["lead_id", "created_at", "customer_id", "rep_id"])),
        touches=frame("touches", touches),
        checkins=frame("checkins", checkins),
        outcomes=frame("outcomes", outcomes),
        failures=frame("failures", _failures(connection, tenant_id)),
        customers=_customers(connection, tenant_id, links, reps),
    )


def _customers(connection: Connection, tenant_id: str, links: pd.DataFrame,
               reps: pd.DataFrame) -> pd.DataFrame:
    """Every customer of the tenant with its owners (``PhiTables.customers``)."""
    k = t.customers.c
    customers = _read(connection, t.customers, tenant_id, [k.id, k.territory_id],
                      ["customer_id", "territory_id"]).sort_values("customer_id")
    assigned = links["rep_id"].groupby(links["customer_id"], sort=False).agg(tuple)
    rep_territory = {str(r): None if pd.isna(territory) else str(territory)
                     for r, territory in zip(reps["rep_id"], reps["territory_id"], strict=True)}
    owners = neglect.owner_rep_ids(
        [assigned.get(c, ()) for c in customers["customer_id"]],
        [None if pd.isna(territory) else str(territory)
         for territory in customers["territory_id"]], rep_territory)
    return customers_frame(customers["customer_id"], owners)


def _read(connection: Connection, table: sa.Table, tenant_id: str,
          columns: list[sa.Column[Any]], names: list[str]) -> pd.DataFrame:
    """Raw column values (no per-row type processing) of one tenant's rows."""
    raw = [sa.type_coerce(column, sa.String()).label(name)
           for column, name in zip(columns, names, strict=True)]
    result = connection.execute(sa.select(*raw).where(table.c.tenant_id == tenant_id))
    # With no result processors left, the DBAPI cursor's plain tuples are all we need;
    # building a SQLAlchemy Row per row would cost as much as the read itself.
    cursor = getattr(result, "cursor", None)
    rows = cursor.fetchall() if cursor is not None else [tuple(row) for row in result]
    result.close()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data = pd.DataFrame({name: pd.Series(list(column), dtype=object)
                         for name, column in zip(names, values, strict=True)})
    for column, name in zip(columns, names, strict=True):
        if isinstance(column.type, UtcDateTime):
            data[name] = _utc(data[name])
    return data


def _utc(values: pd.Series) -> pd.Series:
    """UTC timestamps from stored text (naive means UTC) or from aware datetimes."""
    if values.empty:
        return pd.Series(pd.DatetimeIndex([], tz="UTC"), index=values.index)
    if isinstance(values.dropna().iloc[0] if values.notna().any() else "", str):
        return pd.to_datetime(values, utc=True, format="ISO8601")
    return pd.to_datetime(values, utc=True)


def _uuid_text(values: pd.Series) -> pd.Series:
    """Canonical ``8-4-4-4-12`` UUID text from 32-digit hex, UUID objects or UUID text."""
    text = values.map(lambda v: None if v is None or v is pd.NA else str(v), na_action="ignore")
    text = text.astype(object).where(text.notna(), None)
    bare = text.str.len() == 32
    if bare.any():
        hexes = text[bare].str.lower()
        text = text.copy()
        text[bare] = (hexes.str[:8] + "-" + hexes.str[8:12] + "-" + hexes.str[12:16] + "-"
                      + hexes.str[16:20] + "-" + hexes.str[20:])
    return text


def _failures(connection: Connection, tenant_id: str) -> pd.DataFrame:
    """(checkin_id, code) for each checker's latest verdict that failed (``UNSPECIFIED``
    when such a verdict lists no reason), one row per distinct pair: the failure codes of
    :func:`visitproof.verdicts.checkin_verdict`, computed over columns (a test holds the
    two equal on a simulated store)."""
    v = t.verifications.c
    verdicts = _read(connection, t.verifications, tenant_id,
                     [v.id, v.checkin_id, v.checker, v.status],
                     ["id", "checkin_id", "checker", "status"])
    verdicts["id"] = pd.to_numeric(verdicts["id"])
    latest = verdicts.sort_values("id").drop_duplicates(["checkin_id", "checker"], keep="last")
    failing = latest.loc[latest["status"] != CheckinStatus.VERIFIED.value, ["id", "checkin_id"]]
    codes: list[tuple[int, str]] = []
    for row_id, text in connection.execute(
        sa.select(v.id, sa.type_coerce(v.reasons, sa.String()))
        .where(v.tenant_id == tenant_id, v.status != CheckinStatus.VERIFIED.value)
    ):
        decoded = json.loads(text) if isinstance(text, str) else text
        codes.extend((int(row_id), str(reason["code"])) for reason in decoded or ())
    coded = failing.merge(pd.DataFrame(codes, columns=["id", "code"]), on="id", how="left")
    coded["code"] = coded["code"].fillna(ReasonCode.UNSPECIFIED.value)
    out = coded[["checkin_id", "code"]].drop_duplicates().reset_index(drop=True)
    out["checkin_id"] = _uuid_text(out["checkin_id"])
    return out
