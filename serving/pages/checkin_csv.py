"""The check-in list as an export: one row per check-in, the list's filters and order, times
in the tenant's time zone, as CSV (``/manager/checkins.csv``) or Excel
(``/manager/checkins.xlsx``) from the one :func:`checkins_sheet`.

What reps type (commitment, next action) and the reference data's names reach a
spreadsheet: :mod:`serving.pages.spreadsheets` escapes every text cell against formulas
(OWASP "CSV injection") in both formats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from serving.pages.checkin_filters import Names
from serving.pages.spreadsheets import Column, Sheet, sheet_csv, spreadsheet_safe
from serving.schemas import CheckinPublic

__all__ = ["COLUMNS", "checkins_csv", "checkins_sheet", "spreadsheet_safe"]

COLUMNS = ("checkin_id", "submitted_at", "departed_at", "arrived_at", "rep_id", "rep_name",
           "customer_id", "customer_name", "status", "reason_codes", "commitment",
           "contract_number", "next_action", "next_action_kind", "next_action_due_at",
           "fix_lat", "fix_lon", "fix_accuracy_m", "fix_is_mock", "manifest_sha256")
_NUMBERS = {"fix_lat": ".6f", "fix_lon": ".6f", "fix_accuracy_m": "g"}


def checkins_sheet(checkins: Iterable[CheckinPublic], *, timezone: str, names: Names,
                   manifests: Mapping[str, str] | None = None) -> Sheet:
    """The export's table: :data:`COLUMNS`, one row per check-in in the order given;
    ``manifests``: check-in id -> SHA-256 of its evidence manifest (empty cell: none)."""
    manifests = manifests or {}
    rows = []
    for c in checkins:
        action, commitment, fix = c.next_action, c.commitment, c.fix
        rows.append((
            str(c.id), c.submitted_at, c.departed_at, c.arrived_at, c.rep_id,
            names.reps.get(c.rep_id, ""), c.customer_id,
            names.customers.get(c.customer_id, ""), c.status.value,
            " ".join(r.code for r in c.verdict.reasons), commitment.text,
            commitment.contract_number or "", action.text, action.kind, action.due_at,
            fix.lat, fix.lon, fix.accuracy_m, fix.is_mock, manifests.get(str(c.id), "")))
    return Sheet(title="check-ins", timezone=timezone, rows=rows,
                 columns=tuple(Column(name, _NUMBERS.get(name, "")) for name in COLUMNS))


def checkins_csv(checkins: Iterable[CheckinPublic], *, timezone: str, names: Names) -> str:
    """The CSV text (a header row, then one row per check-in, CRLF line ends)."""
    return sheet_csv(checkins_sheet(checkins, timezone=timezone, names=names))
