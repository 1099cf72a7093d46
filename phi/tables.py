"""The scorer's columnar input: one pandas DataFrame per kind of record, validated when built.

Built either from domain records (:func:`tables_from_records`, used by tests and small
callers) or straight from the store's columns (:mod:`application.phi_inputs`). Every timestamp
column is ``datetime64[*, UTC]``; ids are strings (check-in UUIDs in canonical text form).

Columns, one row each per:

* ``reps``: rep_id, team_id, region (team's region; None when the rep has no team)
* ``customer_reps``: customer_id, rep_id (a customer's assigned reps: "their accounts")
* ``contacts``: contact_id, customer_id, role (a :class:`~visitproof.records.DecisionRole`)
* ``leads``: lead_id, created_at, customer_id, rep_id (the assigned rep)
* ``touches``: touch_id, lead_id, rep_id, kind (visit/call/message), at, checkin_id
* ``checkins``: checkin_id, rep_id, customer_id, arrived_at, departed_at, submitted_at,
  status, due_at, action_kind, contact_id (the next action's fields)
* ``outcomes``: checkin_id, completed_at, strategy (a next action marked done, with the rep's
  one-sentence strategy or None; a frame built without the column gets None throughout)
* ``failures``: checkin_id, code (reason codes of each checker's latest failing verdict)
* ``customers`` (optional): customer_id, owner_rep_ids (tuple of rep ids: the owners of
  :func:`visitproof.neglect.owner_rep_ids`, assigned reps or else the territory's reps),
  one row per customer of the tenant, owned or not. Left out (None), each customer of
  ``customer_reps`` is owned by its assigned reps (:func:`customer_owners`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from visitproof import neglect
from visitproof.errors import InvalidInput
from visitproof.records import (
    ActionOutcome,
    Checkin,
    Contact,
    Customer,
    Lead,
    LeadTouch,
    Rep,
    Team,
)
from visitproof.verdicts import checkin_verdict

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "reps": ("rep_id", "team_id", "region"),
    "customer_reps": ("customer_id", "rep_id"),
    "contacts": ("contact_id", "customer_id", "role"),
    "leads": ("lead_id", "created_at", "customer_id", "rep_id"),
    "touches": ("touch_id", "lead_id", "rep_id", "kind", "at", "checkin_id"),
    "checkins": ("checkin_id", "rep_id", "customer_id", "arrived_at", "departed_at",
                 "submitted_at", "status", "due_at", "action_kind", "contact_id"),
    "outcomes": ("checkin_id", "completed_at", "strategy"),
    "failures": ("checkin_id", "code"),
}
CUSTOMER_COLUMNS = ("customer_id", "owner_rep_ids")
# Columns :func:`frame` fills with None when its input lacks them (added after callers were
# written: phi-2's strategy).
OPTIONAL_COLUMNS: Mapping[str, tuple[str, ...]] = {"outcomes": ("strategy",)}
TIMESTAMPS: Mapping[str, tuple[str, ...]] = {
    "leads": ("created_at",),
    "touches": ("at",),
    "checkins": ("arrived_at", "departed_at", "submitted_at", "due_at"),
    "outcomes": ("completed_at",),
}


@dataclass(frozen=True, slots=True, eq=False)
class PhiTables:
    """Everything the scorer reads, for one tenant. Treat the frames as read-only."""

    reps: pd.DataFrame
    customer_reps: pd.DataFrame
    contacts: pd.DataFrame
    leads: pd.DataFrame
    touches: pd.DataFrame
    checkins: pd.DataFrame
    outcomes: pd.DataFrame
    failures: pd.DataFrame
    customers: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.customers is not None:
            missing = [c for c in CUSTOMER_COLUMNS if c not in self.customers.columns]
            if missing:
                raise InvalidInput(f"customers must have columns {list(CUSTOMER_COLUMNS)}, "
                                   f"missing {missing}", code="BAD_PHI_TABLE")
        for name, columns in COLUMNS.items():
            frame = getattr(self, name)
            if not isinstance(frame, pd.DataFrame):
                raise InvalidInput(f"{name} must be a pandas DataFrame, got "
                                   f"{type(frame).__name__}", code="BAD_PHI_TABLE")
            missing = [column for column in columns if column not in frame.columns]
            if missing:
                raise InvalidInput(f"{name} must have columns {list(columns)}, missing "
                                   f"{missing}", code="BAD_PHI_TABLE")
            for column in TIMESTAMPS.get(name, ()):
                dtype = frame[column].dtype
                if not isinstance(dtype, pd.DatetimeTZDtype) or str(dtype.tz) != "UTC":
                    raise InvalidInput(f"{name}.{column} must be datetime64[UTC], got {dtype}",
                                       code="BAD_PHI_TABLE")


def frame(name: str,
          rows: Iterable[Mapping[str, Any]] | Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """A frame for table ``name`` from rows, a mapping of columns or a DataFrame, with its
    timestamp columns converted to UTC and the other columns as Python objects (None for
    missing)."""
    columns = COLUMNS[name]
    absent = [column for column in OPTIONAL_COLUMNS.get(name, ())
              if isinstance(rows, pd.DataFrame | Mapping) and column not in rows]
    if isinstance(rows, pd.DataFrame):
        data = rows.assign(**dict.fromkeys(absent)).loc[:, list(columns)].copy()
    elif isinstance(rows, Mapping):
        data = pd.DataFrame({column: rows[column] for column in columns
                             if column not in absent}).assign(**dict.fromkeys(absent))
        data = data.loc[:, list(columns)]
    else:
        data = pd.DataFrame(list(rows), columns=list(columns))
    stamps = TIMESTAMPS.get(name, ())
    for column in columns:
        if column in stamps:
            data[column] = pd.to_datetime(data[column], utc=True)
        else:
            data[column] = data[column].astype(object).where(data[column].notna(), None)
    return data


def customers_frame(customer_ids: Iterable[str],
                    owner_rep_ids: Iterable[tuple[str, ...]]) -> pd.DataFrame:
    """The optional ``customers`` table: one row per customer with its owners."""
    return pd.DataFrame({"customer_id": pd.Series(list(customer_ids), dtype=object),
                         "owner_rep_ids": pd.Series([tuple(ids) for ids in owner_rep_ids],
                                                    dtype=object)})


def customer_owners(tables: PhiTables) -> pd.DataFrame:
    """``tables.customers``, or (when None) each customer of ``customer_reps`` with its
    assigned reps as owners, in row order."""
    if tables.customers is not None:
        return tables.customers.loc[:, list(CUSTOMER_COLUMNS)]
    links = tables.customer_reps
    grouped = links["rep_id"].astype(str).groupby(links["customer_id"], sort=False).agg(tuple)
    return customers_frame(grouped.index.astype(str), grouped.tolist())


def tables_from_records(*, reps: Iterable[Rep], teams: Iterable[Team] = (),
                        customers: Iterable[Customer] = (), contacts: Iterable[Contact] = (),
                        leads: Iterable[Lead] = (), touches: Iterable[LeadTouch] = (),
                        checkins: Iterable[Checkin] = (),
                        outcomes: Iterable[ActionOutcome] = ()) -> PhiTables:
    """Columnar tables from domain records (all of one tenant)."""
    regions = {team.id: team.region for team in teams}
    checkin_list = list(checkins)
    reps, customers = list(reps), list(customers)
    owners = neglect.owner_rep_ids([c.assigned_rep_ids for c in customers],
                                   [c.territory_id for c in customers],
                                   {r.id: r.territory_id for r in reps})
    return PhiTables(
        reps=frame("reps", [{"rep_id": r.id, "team_id": r.team_id,
                             "region": regions.get(r.team_id) if r.team_id else None}
                            for r in reps]),
        customer_reps=frame("customer_reps", [{"customer_id": c.id, "rep_id": rep_id}
                                              for c in customers
                                              for rep_id in c.assigned_rep_ids]),
        contacts=frame("contacts", [{"contact_id": c.id, "customer_id": c.customer_id,
                                     "role": c.role.value} for c in contacts]),
        leads=frame("leads", [{"lead_id": lead.id, "created_at": lead.created_at,
                               "customer_id": lead.customer_id,
                               "rep_id": lead.assigned_rep_id} for lead in leads]),
        touches=frame("touches", [{"touch_id": t.id, "lead_id": t.lead_id, "rep_id": t.rep_id,
                                   "kind": t.kind.value, "at": t.at,
                                   "checkin_id": str(t.checkin_id) if t.checkin_id else None}
                                  for t in touches]),
        checkins=frame("checkins", [_checkin_row(c) for c in checkin_list]),
        outcomes=frame("outcomes", [{"checkin_id": str(o.checkin_id),
                                     "completed_at": o.completed_at, "strategy": o.strategy}
                                    for o in outcomes]),
        failures=frame("failures", [{"checkin_id": str(c.id), "code": code}
                                    for c in checkin_list for code in failure_codes(c)]),
        customers=customers_frame([c.id for c in customers], owners),
    )


def failure_codes(checkin: Checkin) -> list[str]:
    """Reason codes of each checker's latest verdict that is not ``verified`` (a verdict
    with no reasons gives ``UNSPECIFIED``): the failing part of the very verdict the API and
    the pages show (:func:`visitproof.verdicts.checkin_verdict`). Re-verification supersedes
    older verdicts."""
    return list(checkin_verdict(checkin).failure_codes)


def _checkin_row(checkin: Checkin) -> dict[str, Any]:
    action = checkin.next_action
    return {"checkin_id": str(checkin.id), "rep_id": checkin.rep_id,
            "customer_id": checkin.customer_id, "arrived_at": checkin.arrived_at,
            "departed_at": checkin.departed_at, "submitted_at": checkin.submitted_at,
            "status": checkin_verdict(checkin).status.value, "due_at": action.due_at,
            "action_kind": action.kind.value, "contact_id": action.contact_id}
