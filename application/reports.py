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

Calendar: periods, days and "now" lie within :data:`phi.periods.CALENDAR` (1970-2199), checked
where they are parsed (``phi.periods``) and again here for callers that pass values.

Scope: ``visible`` is the set of rep ids the caller may see (None: every rep of the tenant;
the answers are read from one tenant's rows only, so no other tenant's id can appear).
Every rep id of every answer goes through one rule, :func:`scoped_rep_ids`:

- a record *about* a rep outside the scope is left out (a PHI row, a warning sign, a
  footprint, a route, an overlap pair, a territory conflict, a customer none of whose
  owners is in scope);
- inside a record that stays, a rep id outside the scope is dropped from id lists
  (``owner_rep_ids``, ``reps_without_territory``, ``by_rep``) and is null where the field
  holds one id (``last_touch_rep_id``).

Neglected customers: PHI's ``UNTOUCHED_CUSTOMERS`` warnings, the overlap report's coverage
gaps (and the map's neglected customers) and :func:`coverage` share one definition
(:mod:`visitproof.neglect`): owned customers with no verified visit by anyone for
``neglect_days`` days or more, judged at the period's end or ``now`` if earlier. For the
same scope and period, the union of the scope's reps' PHI warnings is the overlap report's
gaps (plus, for the whole tenant, the warning about customers nobody owns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.engine import Connection

from application.overlap_inputs import overlap_inputs
from application.phi_inputs import tables_from_store
from geo.coverage import coverage_status, gaps_from_status
from geo.overlap_outputs import OverlapInputs, OverlapReport, build_overlap_report
from geo.routes import calendar_weeks, local_days, metric_crs
from geo.territory_conflicts import TerritoryConflicts
from geo.territory_overlap import OverlapPolicy
from phi.periods import CALENDAR, calendar_instant, in_calendar, parse_period
from phi.periods import Period as PhiPeriod
from phi.report import PhiReport, build_report
from phi.tables import PhiTables
from phi.warning_signs import WarningCode
from visitproof import neglect
from visitproof.errors import InvalidInput, InvalidValue
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
               team: str | None = None, trend: int = 6, scope: PhiScope | None = None,
               visible: frozenset[str] | None = None) -> PhiReport:
    """PHI of ``period`` as of ``now`` (UTC) per rep, team, region and in total; ``scope``
    narrows the tables first (a manager's team, a rep's own row), ``visible`` the rep ids
    the answer names (the module's scope rule)."""
    now = calendar_instant(now, "now")
    tables = tables_from_store(connection, tenant_id)
    if scope is not None:
        tables, team = scope(tables, team)
    report = build_report(tables, period=period, now=now, team=team, trend_length=trend)
    return _scoped_phi(report, visible)


def overlap_reports(connection: Connection, tenant_id: str, *, first: date, last: date,
                    policy: OverlapPolicy, now: datetime, weekly: bool,
                    visible: frozenset[str] | None = None,
                    ranking: Sequence[str] | None = None) -> list[OverlapReport]:
    """The overlap report of the local days ``first`` .. ``last`` (inclusive) and, when
    ``weekly`` and the range is longer than a week, one per calendar week in it. Coverage is
    judged at each period's end, or ``now`` if earlier. ``visible`` (None: every rep) keeps
    those reps' visits and footprints, and the customers they own; coverage still counts a
    visit by anyone. ``EMPTY_INPUT`` when the tenant has no customers; ``BAD_DATE`` for a
    day outside the calendar, ``TIME_ORDER`` when ``last`` is before ``first``."""
    for field, day in (("from", first), ("to", last)):
        if not in_calendar(day):
            raise InvalidValue(field, f"{day} is outside the supported calendar: dates must "
                               f"lie within {CALENDAR}", code="BAD_DATE")
    if last < first:
        raise InvalidValue("to", f"{last} is before from={first}", code="TIME_ORDER")
    now = calendar_instant(now, "now")
    timezone = tenant_timezone(connection, tenant_id)
    whole = local_days(first, last, ZoneInfo(timezone))
    judged_at = neglect.judged_at(whole.end, now)
    inputs = overlap_inputs(connection, tenant_id, until=whole.end)
    if inputs.sites.frame.empty:
        raise InvalidInput(f"tenant {tenant_id!r} has no customers yet: nothing to map",
                           code="EMPTY_INPUT")
    crs = metric_crs(inputs.sites.frame["lon"], inputs.sites.frame["lat"])
    scoped = _scoped_inputs(inputs, visible)
    periods = [whole, *(calendar_weeks(whole, timezone) if weekly else [])]
    reports = []
    for period in periods:
        at = neglect.judged_at(period.end, judged_at)
        report = build_overlap_report(scoped, period, at, policy, crs=crs, ranking=ranking)
        if visible is not None:
            status = _owned_coverage(inputs, at, policy, visible)
            report = replace(report, gaps=gaps_from_status(status),
                             customers=status.drop(columns=["assigned_rep_ids"]),
                             conflicts=_scoped_conflicts(report.conflicts, visible))
        reports.append(report)
    return reports


def coverage(connection: Connection, tenant_id: str, *, now: datetime,
             policy: OverlapPolicy, visible: frozenset[str] | None = None,
             owner: str | None = None) -> pd.DataFrame:
    """Each customer's coverage as of ``now`` (``geo.coverage.coverage_status`` columns),
    only those a ``visible`` rep owns (None: all, unowned ones included), and of those only
    the ones ``owner`` owns when given (none when ``owner`` is not visible). Rep ids follow
    the module's scope rule."""
    now = calendar_instant(now, "now")
    inputs = overlap_inputs(connection, tenant_id, until=now)
    if inputs.sites.frame.empty:
        return pd.DataFrame()
    status = _owned_coverage(inputs, now, policy, visible)
    if owner is not None:
        status = status.loc[[owner in owners for owners in status["owner_rep_ids"]]]
    return status


# -- the scope rule ----------------------------------------------------------------------------

def scoped_rep_ids(rep_ids: Iterable[Any], visible: frozenset[str] | None) -> tuple[str, ...]:
    """The rep ids of ``rep_ids`` the caller may see, in their order (all when ``visible``
    is None); missing values (None, NaN) are dropped. The one scope rule of every report
    answer (see the module docstring)."""
    ids = (str(rep_id) for rep_id in rep_ids if not _missing(rep_id))
    return tuple(ids) if visible is None else tuple(i for i in ids if i in visible)


def scoped_rep_id(rep_id: Any, visible: frozenset[str] | None) -> str | None:
    """One rep id under :func:`scoped_rep_ids`: itself when in scope, else None."""
    kept = scoped_rep_ids((rep_id,), visible)
    return kept[0] if kept else None


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _scoped_phi(report: PhiReport, visible: frozenset[str] | None) -> PhiReport:
    """``report`` with only the rows, warnings and per-rep counts of ``visible`` reps (a
    warning about no rep stays for unowned leads, but not for customers nobody owns: a
    customer none of whose owners is in scope is left out)."""
    if visible is None:
        return report
    excluded = report.excluded
    return replace(
        report,
        reps=tuple(row for row in report.reps if scoped_rep_id(row.subject_id, visible)),
        warnings=tuple(w for w in report.warnings
                       if scoped_rep_id(w.rep_id, visible)
                       or (w.rep_id is None and w.code is not WarningCode.UNTOUCHED_CUSTOMERS)),
        excluded=replace(excluded, by_rep={
            rep: n for rep, n in excluded.by_rep.items() if scoped_rep_id(rep, visible)}))


def _scoped_conflicts(conflicts: TerritoryConflicts,
                      visible: frozenset[str] | None) -> TerritoryConflicts:
    """Conflicts of ``visible`` reps only, naming only ``visible`` owners."""
    return TerritoryConflicts(
        outside=tuple(c for c in conflicts.outside if scoped_rep_id(c.rep_id, visible)),
        foreign=tuple(replace(c, owner_rep_ids=scoped_rep_ids(c.owner_rep_ids, visible))
                      for c in conflicts.foreign if scoped_rep_id(c.rep_id, visible)),
        reps_without_territory=scoped_rep_ids(conflicts.reps_without_territory, visible))


def _scoped_inputs(inputs: OverlapInputs, visible: frozenset[str] | None) -> OverlapInputs:
    """``inputs`` with only the ``visible`` reps' visits, territories and names."""
    if visible is None:
        return inputs
    frame = inputs.visits.frame
    kept = frame["rep_id"].isin(scoped_rep_ids(frame["rep_id"].unique(), visible))
    visits = replace(inputs.visits, frame=frame[kept])
    return replace(inputs, visits=visits,
                   rep_territory={r: t for r, t in inputs.rep_territory.items()
                                  if scoped_rep_id(r, visible)},
                   rep_names={r: n for r, n in inputs.rep_names.items()
                              if scoped_rep_id(r, visible)})


def _owned_coverage(inputs: OverlapInputs, at: datetime, policy: OverlapPolicy,
                    visible: frozenset[str] | None) -> pd.DataFrame:
    """Coverage at ``at`` of the customers a visible rep owns; all when ``visible`` is None
    (customers with no owner included). A visit by anyone counts; owners and the last
    touch's rep follow the scope rule."""
    status = coverage_status(inputs.sites, inputs.visits, at, policy, inputs.rep_territory)
    if visible is None:
        return status
    status = status.assign(
        owner_rep_ids=[scoped_rep_ids(ids, visible) for ids in status["owner_rep_ids"]],
        assigned_rep_ids=[scoped_rep_ids(ids, visible) for ids in status["assigned_rep_ids"]],
        last_touch_rep_id=[scoped_rep_id(rep, visible)
                           for rep in status["last_touch_rep_id"]])
    return status.loc[[bool(owners) for owners in status["owner_rep_ids"]]]
