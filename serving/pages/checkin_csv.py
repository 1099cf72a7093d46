"""The check-in list as CSV: one row per check-in, the list's filters and order, times in
the tenant's time zone (ISO 8601 with the offset, so a spreadsheet sorts them and the zone
is not lost).

What reps type (commitment, next action) and the reference data's names reach a
spreadsheet: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be read as a formula (OWASP "CSV injection"), so :func:`spreadsheet_safe` puts an
apostrophe before it. The CSV quoting of the :mod:`csv` module handles commas, quotes and
line breaks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from serving.pages.checkin_filters import Names
from serving.schemas import CheckinPublic

#: The first characters a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = ("checkin_id", "submitted_at", "departed_at", "arrived_at", "rep_id", "rep_name",
           "customer_id", "customer_name", "status", "reason_codes", "commitment",
           "contract_number", "next_action", "next_action_kind", "next_action_due_at",
           "fix_lat", "fix_lon", "fix_accuracy_m", "fix_is_mock")


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def checkins_csv(checkins: Iterable[CheckinPublic], *, timezone: str, names: Names) -> str:
    """The CSV text (a header row, then one row per check-in, CRLF line ends)."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for c in checkins:
        action, commitment, fix = c.next_action, c.commitment, c.fix
        writer.writerow([
            str(c.id), _local(c.submitted_at, zone), _local(c.departed_at, zone),
            _local(c.arrived_at, zone), spreadsheet_safe(c.rep_id),
            spreadsheet_safe(names.reps.get(c.rep_id, "")), spreadsheet_safe(c.customer_id),
            spreadsheet_safe(names.customers.get(c.customer_id, "")), c.status.value,
            " ".join(r.code for r in c.verdict.reasons), spreadsheet_safe(commitment.text),
            spreadsheet_safe(commitment.contract_number or ""), spreadsheet_safe(action.text),
            spreadsheet_safe(action.kind), _local(action.due_at, zone),
            f"{fix.lat:.6f}", f"{fix.lon:.6f}", f"{fix.accuracy_m:g}",
            "true" if fix.is_mock else "false"])
    return out.getvalue()


def _local(instant: datetime | None, zone: ZoneInfo) -> str:
    return "" if instant is None else instant.astimezone(zone).isoformat()
