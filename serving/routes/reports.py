"""``/v1/phi``, ``/v1/overlap``, ``/v1/coverage-gaps``: figures for managers, in scope.

The same computations as ``visitproof phi`` and ``visitproof overlap`` (periods in the
tenant's time zone), limited to what the token may see:

- ``manager``: the reps of their own team; asking for another team answers 404 NOT_FOUND,
  exactly like a team that does not exist;
- ``director``, ``admin``: the whole tenant, or one team of it (``team=``);
- ``rep``: their own PHI row only (the index is tied to bonuses, so a rep may check the
  figures and the check-ins they come from), the coverage gaps of their own customers, and
  no overlap map (403 FORBIDDEN: it shows other reps' routes).

Every rep id an answer names follows one rule (:func:`application.reports.scoped_rep_ids`,
over :func:`serving.auth.visible_rep_ids`): a record about a rep outside the caller's scope
is left out; inside the records that stay, such a rep's id is dropped from id lists
(``owner_rep_ids``) and null where a field holds one id (``last_touch_rep_id``).

Periods and dates lie within the years 1970 to 2199 (:data:`phi.periods.CALENDAR`): outside
them 422 ``BAD_PERIOD`` / ``BAD_DATE``, never an overflow.

The page routes (:mod:`serving.routes.pages`) call the functions here, so a page and the API
always show the same figures.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from fastapi import APIRouter, Query, Response

from application import reports
from application.reports import tenant_period, tenant_timezone
from geo.coverage import gaps_from_status
from geo.overlap_outputs import (
    OverlapReport,
    customers_geojson,
    footprints_geojson,
    gap_to_dict,
    overlaps_geojson,
    report_to_dict,
    routes_geojson,
)
from geo.territory_overlap import OverlapPolicy
from phi.periods import parse_day as parse_calendar_day
from phi.report import PhiReport
from phi.report_export import report_to_csv
from phi.report_export import report_to_dict as phi_report_to_dict
from phi.tables import PhiTables
from serving.auth import CurrentUser, Role, User, require_role, visible_rep_ids
from serving.errors import error_responses
from serving.query_params import Offset, QueryInstant
from serving.runtime import Runtime, RuntimeDep
from serving.schemas_reports import (
    CoverageGapPublic,
    CoverageGapsPublic,
    GapReasonPublic,
    PhiReportPublic,
)
from visitproof.errors import InvalidInput, InvalidValue, NotFound
from visitproof.store import ReferenceData
from visitproof.values import require_utc, utc_now

router = APIRouter(prefix="/v1", tags=["reports"])

MAP_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
MAX_OVERLAP_DAYS = 366
GEOJSON = "application/geo+json"

PeriodQuery = Annotated[str, Query(
    description="2026-11 (month), 2026-W45 (ISO week) or 2026-11-01..2026-11-15 (days, "
    "inclusive), in the tenant's time zone, within the years 1970 to 2199.",
    examples=["2026-11"])]
NowQuery = Annotated[QueryInstant | None, Query(
    description="Judge as of this instant (ISO 8601 with offset); default: now. Pins a "
    "report so it can be reproduced, like the CLI's --now.")]
NeglectQuery = Annotated[int, Query(ge=1, le=3650,
                                    description="Days without a verified visit = a gap.")]


_DESCRIBED = {
    403: "The token's role may not see this (FORBIDDEN).",
    404: "No such team in the caller's scope (NOT_FOUND).",
    422: "Invalid input; `code` says what (BAD_PERIOD, BAD_DATE, TIME_ORDER, "
         "PERIOD_TOO_LONG, EMPTY_INPUT, OUT_OF_RANGE, ...).",
}
_errors = partial(error_responses, _DESCRIBED)


# -- PHI ---------------------------------------------------------------------------------------

@router.get(
    "/phi", response_model=PhiReportPublic, response_model_exclude_unset=True,
    summary="Process Health Index for a period, in the caller's scope",
    responses={200: {"content": {"text/csv": {}},
                     "description": "The report (JSON), or one CSV row per rep."},
               **_errors(401, 404, 422, 503)})
def get_phi(
    user: CurrentUser, runtime: RuntimeDep, period: PeriodQuery,
    team: Annotated[str | None, Query(description="Only this team (a manager: their own).")
                    ] = None,
    output_format: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
    now: NowQuery = None,
    trend: Annotated[int, Query(ge=1, le=24, description="Periods in each rep's trend.")] = 6,
) -> Any:
    """PHI per rep, team, region and in total, with excluded check-ins and warning signs.
    A manager sees their team, a director or admin the tenant (or ``team``), a rep their
    own row. Bad ``period``: 422 BAD_PERIOD; another team than a manager's own: 404."""
    report = phi_report(user, runtime, period=period, team=team, now=now, trend=trend)
    if output_format == "csv":
        return Response(report_to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="phi-{report.period.label}.csv"'})
    return PhiReportPublic.model_validate(phi_report_to_dict(report))


def phi_report(user: User, runtime: Runtime, *, period: str, team: str | None,
               now: datetime | None, trend: int = 6) -> PhiReport:
    """The PHI report of ``period`` for ``user``'s scope (see the module docstring)."""
    with runtime.database.connect() as connection:
        try:
            parsed = tenant_period(connection, user.tenant_id, period)
        except InvalidInput as error:
            raise InvalidValue("period", error.message, code=error.code) from None
        visible = visible_rep_ids(user, ReferenceData(connection, user.tenant_id))
        report = reports.phi_report(connection, user.tenant_id, parsed, now=_now(now),
                                    team=team, trend=trend, scope=partial(_phi_scope, user),
                                    visible=visible)
    if user.role is Role.REP:
        # Computed from the rep's data alone, a "team" or "region" row would be the rep's
        # own figures under the team's name: leave those levels out.
        report = replace(report, teams=(), regions=())
    return report


def _phi_scope(user: User, tables: PhiTables, team: str | None,
               ) -> tuple[PhiTables, str | None]:
    """The tables and team ``build_report`` gets for ``user``. A manager's and a rep's
    refusals name nothing they may not see (no list of the tenant's teams)."""
    if user.role in (Role.DIRECTOR, Role.ADMIN):
        return tables, team
    reps = tables.reps
    if user.role is Role.MANAGER:
        if team is not None and team != user.team_id:
            raise NotFound(f"no team {team!r}")
        if not (reps["team_id"] == user.team_id).any():
            raise NotFound(f"team {user.team_id!r} has no reps yet")
        return tables, user.team_id
    own = reps[reps["rep_id"] == user.user_id]
    own_team = None if own.empty or pd.isna(own["team_id"].iloc[0]) else str(
        own["team_id"].iloc[0])
    if own.empty or (team is not None and team != own_team):
        raise NotFound(f"no team {team!r}" if team is not None else "no PHI for this rep")
    # Only the rep's own row, and only the leads assigned to them: totals, warnings and
    # exclusions are then computed from their own data alone.
    leads = tables.leads[tables.leads["rep_id"] == user.user_id]
    return replace(tables, reps=own, leads=leads), None


# -- overlap -----------------------------------------------------------------------------------

@router.get(
    "/overlap", response_class=Response,
    summary="Rep footprints, routes, overlaps and customers as GeoJSON, with the matrix",
    responses={200: {"content": {GEOJSON: {}}, "description": (
        "One RFC 7946 FeatureCollection in lon/lat. Each feature's `layer` property says "
        "what it is: `footprint` (one per rep: visits, customers, area_km2), `route` (one "
        "per rep: route_km), `overlap` (one per overlapping pair: share_a_in_b, "
        "share_b_in_a, iou, shared_accounts, overlap_km2) or `customer` (status covered / "
        "neglected / never, last_touch, days_untouched, owner_rep_ids). Foreign members: "
        "`period` {from, to} (UTC), `now`, `metric_crs` (where areas were measured), "
        "`policy`, `definition(s)`, `reps`, `pairs`, `top` (the top-N matrix: reps, "
        "share_in, iou, shared_accounts, group_overlap, mean_pairwise_iou) and "
        "`conflicts`.")},
               **_errors(401, 403, 422, 503)})
def get_overlap(
    user: CurrentUser, runtime: RuntimeDep,
    date_from: Annotated[str, Query(alias="from", description="First day, YYYY-MM-DD, "
                                    "in the tenant's time zone, within the years 1970 to "
                                    "2199.", examples=["2026-11-01"])],
    date_to: Annotated[str, Query(alias="to", description="Last day (inclusive), "
                                  "YYYY-MM-DD, within the years 1970 to 2199.",
                                  examples=["2026-11-30"])],
    top: Annotated[int, Query(ge=1, le=200, description="Reps in the overlap matrix.")] = 10,
    buffer_m: Annotated[float, Query(ge=1.0, le=20000.0, allow_inf_nan=False,
                                     description="Footprint half-width, metres.")] = 500.0,
    neglect_days: NeglectQuery = 21,
    now: NowQuery = None,
) -> Response:
    """Who farms the same ground: a manager sees their team's reps and customers, a
    director or admin the tenant's. Reps may not (403)."""
    policy = OverlapPolicy(buffer_m=buffer_m, neglect_days=neglect_days, top_n=top)
    (report,) = overlap_reports(user, runtime, first=parse_day(date_from, "from"),
                                last=parse_day(date_to, "to"), policy=policy, now=now,
                                weekly=False)
    return Response(json_text(overlap_geojson(report)), media_type=GEOJSON)


def overlap_reports(user: User, runtime: Runtime, *, first: date, last: date,
                    policy: OverlapPolicy, now: datetime | None,
                    weekly: bool) -> list[OverlapReport]:
    """The overlap report of the local days ``first`` .. ``last`` for ``user``'s scope and,
    when ``weekly`` and the range is longer than a week, one per calendar week in it."""
    require_role(user, *MAP_ROLES)
    if last < first:
        raise InvalidValue("to", f"{last} is before from={first}", code="TIME_ORDER")
    if (last - first).days + 1 > MAX_OVERLAP_DAYS:
        raise InvalidValue("to", f"at most {MAX_OVERLAP_DAYS} days at a time, got "
                           f"{(last - first).days + 1}", code="PERIOD_TOO_LONG")
    with runtime.database.connect() as connection:
        visible = visible_rep_ids(user, ReferenceData(connection, user.tenant_id))
        return reports.overlap_reports(connection, user.tenant_id, first=first, last=last,
                                       policy=policy, now=_now(now), weekly=weekly,
                                       visible=visible)


def overlap_geojson(report: OverlapReport) -> dict[str, Any]:
    """One FeatureCollection: footprints, routes, overlaps and customers (``layer``
    property), with the report's figures as foreign members (see ``GET /v1/overlap``)."""
    layers = (("footprint", footprints_geojson(report)), ("route", routes_geojson(report)),
              ("overlap", overlaps_geojson(report)), ("customer", customers_geojson(report)))
    summary = report_to_dict(report)
    summary.pop("coverage_gaps")  # the customer features carry it; /v1/coverage-gaps lists it
    # RFC 7946 dropped the "crs" member; one here would be read as the coordinates' CRS.
    summary["metric_crs"] = summary.pop("crs")
    features = [{**feature, "properties": {"layer": layer, **feature["properties"]}}
                for layer, collection in layers for feature in collection["features"]]
    return {"type": "FeatureCollection", "features": features, **summary}


# -- coverage gaps -----------------------------------------------------------------------------

@router.get("/coverage-gaps", response_model=CoverageGapsPublic,
            summary="Customers without a verified visit for too long, in the caller's scope",
            responses=_errors(401, 422, 503))
def get_coverage_gaps(
    user: CurrentUser, runtime: RuntimeDep,
    neglect_days: NeglectQuery = 21,
    now: NowQuery = None,
    rep_id: Annotated[str | None, Query(description="Only customers this rep owns.")] = None,
    tier: Annotated[Literal["A", "B", "C"] | None, Query(description="Only this tier.")
                    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> CoverageGapsPublic:
    """Customers nobody has visited (verified) for ``neglect_days`` days or more, or ever,
    ranked by tier, then never visited, then longest untouched. A manager sees their team's
    customers, a rep their own, a director or admin the tenant's."""
    judged_at = _now(now)
    policy = OverlapPolicy(neglect_days=neglect_days)
    with runtime.database.connect() as connection:
        visible = visible_rep_ids(user, ReferenceData(connection, user.tenant_id))
        status = reports.coverage(connection, user.tenant_id, now=judged_at, policy=policy,
                                  visible=visible, owner=rep_id)
    gaps: list[CoverageGapPublic] = []
    if not status.empty:
        if tier is not None:
            status = status.loc[status["tier"] == tier]
        gaps = [CoverageGapPublic(**gap_to_dict(gap), reason=_gap_reason(
            gap.days_untouched, neglect_days)) for gap in gaps_from_status(status)]
    return CoverageGapsPublic(data=gaps[offset:offset + limit], count=len(gaps),
                              now=judged_at, neglect_days=neglect_days)


def _gap_reason(days: float | None, neglect_days: int) -> GapReasonPublic:
    if days is None:
        return GapReasonPublic(code="NEVER_VISITED",
                            message="no verified visit on record")
    return GapReasonPublic(code="NOT_VISITED_RECENTLY",
                        message=f"no verified visit for {days:.1f} days (limit "
                        f"{neglect_days})")


# -- shared ------------------------------------------------------------------------------------

def parse_day(text: str, field: str) -> date:
    """A local calendar day ``YYYY-MM-DD`` within the calendar (years 1970 to 2199); 422
    BAD_DATE naming ``field`` otherwise."""
    try:
        return parse_calendar_day(text)
    except InvalidInput as error:
        raise InvalidValue(field, error.message, code=error.code) from None


def local_today(runtime: Runtime, user: User) -> tuple[date, str]:
    """Today's date in the tenant's time zone, and the zone."""
    with runtime.database.connect() as connection:
        timezone = tenant_timezone(connection, user.tenant_id)
    return utc_now().astimezone(ZoneInfo(timezone)).date(), timezone


def json_text(data: Any) -> str:
    """Compact JSON (NaN refused: JSON has none)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _now(now: datetime | None) -> datetime:
    return utc_now() if now is None else require_utc(now, "now")


