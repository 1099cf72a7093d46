"""The managers' reports as both edges ask for them: PHI for a period, territory overlap
over local days (and each calendar week in them), and coverage, each for one tenant and,
where the caller sees only some reps, for those reps alone.

    with database.connect() as connection:
        period = tenant_period(connection, "acme", "2026-11")
        report = phi_report(connection, "acme", period, now=utc_now())
        reports = overlap_reports(connection, "acme", first=date(2026, 11, 1),
                                  last=date(2026, 11, 30), policy=OverlapPolicy(),
                                  now=utc_now(), weekly=True)

The edges parse, authorise and map errors (``serving/routes/reports.py``, ``cli/phi.py``,
``cli/overlap.py``); what a report holds is decided here and in ``phi/`` and ``geo/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.engine import Connection

from application.overlap_inputs import overlap_inputs
from application.phi_inputs import tables_from_store
from geo.coverage import coverage_status, gaps_from_status
from geo.overlap_outputs import OverlapInputs, OverlapReport, build_overlap_report
from geo.routes import calendar_weeks, local_days, metric_crs
from geo.territory_overlap import OverlapPolicy
from phi.periods import Period as PhiPeriod
from phi.periods import parse_period
from phi.report import PhiReport, build_report
from phi.tables import PhiTables
from visitproof.errors import InvalidInput
from visitproof.store import ReferenceData

# Narrows the PHI tables (and the team asked for) to what one caller may see.
PhiScope = Callable[[PhiTables, str | None], tuple[PhiTables, str | None]]


def tenant_timezone(connection: Connection, tenant_id: str) -> str:
    """The tenant's IANA time zone (``NotFound`` ``TENANT_NOT_FOUND`` when it isn't stored)."""
    return ReferenceData(connection, tenant_id).require_tenant().timezone


def tenant_period(connection: Connection, tenant_id: str, text: str) -> PhiPeriod:
    """``2026-11``, ``2026-W45`` or ``2026-11-01..2026-11-15`` in the tenant's time zone
    (``InvalidInput`` ``BAD_PERIOD`` otherwise)."""
    return parse_period(text, tenant_timezone(connection, tenant_id))


def phi_report(connection: Connection, tenant_id: str, period: PhiPeriod, *, now: datetime,
               team: str | None = None, trend: int = 6,
               scope: PhiScope | None = None) -> PhiReport:
    """PHI of ``period`` as of ``now`` (UTC) per rep, team, region and in total; ``scope``
    narrows the tables first (a manager's team, a rep's own row)."""
    tables = tables_from_store(connection, tenant_id)
    if scope is not None:
        tables, team = scope(tables, team)
    return build_report(tables, period=period, now=now, team=team, trend_length=trend)


def overlap_reports(connection: Connection, tenant_id: str, *, first: date, last: date,
                    policy: OverlapPolicy, now: datetime, weekly: bool,
                    visible: frozenset[str] | None = None,
                    ranking: Sequence[str] | None = None) -> list[OverlapReport]:
    """The overlap report of the local days ``first`` .. ``last`` (inclusive) and, when
    ``weekly`` and the range is longer than a week, one per calendar week in it. Coverage is
    judged at each period's end, or ``now`` if earlier. ``visible`` (None: every rep) keeps
    those reps' visits and footprints, and the customers they own; coverage still counts a
    visit by anyone. ``EMPTY_INPUT`` when the tenant has no customers."""
    timezone = tenant_timezone(connection, tenant_id)
    whole = local_days(first, last, ZoneInfo(timezone))
    judged_at = min(whole.end, now)
    inputs = overlap_inputs(connection, tenant_id, until=whole.end)
    if inputs.sites.frame.empty:
        raise InvalidInput(f"tenant {tenant_id!r} has no customers yet: nothing to map",
                           code="EMPTY_INPUT")
    crs = metric_crs(inputs.sites.frame["lon"], inputs.sites.frame["lat"])
    scoped = _scoped_inputs(inputs, visible)
    periods = [whole, *(calendar_weeks(whole, timezone) if weekly else [])]
    reports = []
    for period in periods:
        at = min(period.end, judged_at)
        report = build_overlap_report(scoped, period, at, policy, crs=crs, ranking=ranking)
        if visible is not None:
            status = _owned_coverage(inputs, at, policy, visible)
            report = replace(report, gaps=gaps_from_status(status),
                             customers=status.drop(columns=["assigned_rep_ids"]))
        reports.append(report)
    return reports


def coverage(connection: Connection, tenant_id: str, *, now: datetime,
             policy: OverlapPolicy, visible: frozenset[str] | None = None) -> pd.DataFrame:
    """Each customer's coverage as of ``now`` (``geo.coverage.coverage_status`` columns),
    only those a ``visible`` rep owns (None: all, unowned ones included)."""
    inputs = overlap_inputs(connection, tenant_id, until=now)
    if inputs.sites.frame.empty:
        return pd.DataFrame()
    return _owned_coverage(inputs, now, policy, visible)


def _scoped_inputs(inputs: OverlapInputs, visible: frozenset[str] | None) -> OverlapInputs:
    """``inputs`` with only the ``visible`` reps' visits, territories and names."""
    if visible is None:
        return inputs
    frame = inputs.visits.frame
    visits = replace(inputs.visits, frame=frame[frame["rep_id"].isin(visible)])
    return replace(inputs, visits=visits,
                   rep_territory={r: t for r, t in inputs.rep_territory.items()
                                  if r in visible},
                   rep_names={r: n for r, n in inputs.rep_names.items() if r in visible})


def _owned_coverage(inputs: OverlapInputs, at: datetime, policy: OverlapPolicy,
                    visible: frozenset[str] | None) -> pd.DataFrame:
    """Coverage at ``at`` of the customers a visible rep owns; all when ``visible`` is None
    (customers with no owner included). A visit by anyone counts."""
    status = coverage_status(inputs.sites, inputs.visits, at, policy, inputs.rep_territory)
    if visible is None:
        return status
    owned = [bool(set(owners) & visible) for owners in status["owner_rep_ids"]]
    return status.loc[owned]
