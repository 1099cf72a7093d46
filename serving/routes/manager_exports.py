"""Manager pages: the PHI drill-down and the spreadsheet exports.

- ``/manager/phi/explain?rep=R&period=P``: the records behind one rep's PHI
  (``visitproof phi explain`` as a page, :mod:`serving.pages.phi_explain_page`). A manager
  may explain their own team's reps only: another rep is 404 ``NOT_FOUND``, exactly like a
  rep that does not exist (as ``/v1/phi`` answers for another team). ``period`` defaults
  to the PHI page's (the month of the tenant's latest check-in).
- ``/manager/checkins.xlsx``: the check-in list as a workbook, with the filters and order
  of the list and of ``/manager/checkins.csv`` (the same rows, :mod:`serving.pages.checkin_csv`).
- ``/manager/phi.csv`` / ``.xlsx``: the PHI report's rep rows (the columns of
  ``GET /v1/phi?format=csv`` with the rep's name), for the PHI page's ``period`` and ``team``.
- ``/manager/gaps.csv`` / ``.xlsx``: the coverage gaps in scope, with the parameters of
  ``GET /v1/coverage-gaps`` (every gap, no paging).

The figures come from the API's own functions (:mod:`serving.routes.reports`), in the same
scope; every export is an attachment whose text cells are escaped against spreadsheet
formulas (:mod:`serving.pages.spreadsheets`). Failures are HTML pages, like every manager
page.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from application.phi_inputs import tables_from_store
from application.reports import tenant_period, tenant_timezone
from phi.explain import explain_rep
from serving.auth import User, visible_rep_ids
from serving.pages.checkin_csv import checkins_sheet
from serving.pages.checkin_filters import CheckinFilters
from serving.pages.phi_explain_page import phi_explain_page
from serving.pages.spreadsheets import (
    XLSX,
    Format,
    Sheet,
    gaps_sheet,
    phi_sheet,
    sheet_bytes,
)
from serving.query_params import QueryInstant
from serving.routes import reports
from serving.routes.pages import (
    HtmlErrorRoute,
    ListFilters,
    PageUser,
    _checkin_page,
    _names,
    data_days,
)
from serving.runtime import Runtime, RuntimeDep
from serving.schemas import CheckinPublic
from visitproof.errors import InvalidInput, InvalidValue, NotFound
from visitproof.store import Store
from visitproof.values import utc_now

_HTML_ERRORS = {401: "Not signed in, or the token is invalid or expired (UNAUTHENTICATED).",
                403: "The token's role may not see the manager pages (FORBIDDEN).",
                404: "No such rep or team in the caller's scope (NOT_FOUND).",
                422: "A bad query value (BAD_PERIOD, BAD_TIMESTAMP, ...); the page names it.",
                503: "The store is busy or unavailable (STORE_UNAVAILABLE)."}
router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute, responses={
    code: {"description": text, "content": {"text/html": {}}}
    for code, text in _HTML_ERRORS.items()})

_SPREADSHEET: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {}, XLSX: {}},
    "description": "An attachment: a header row, then one row per item."}}
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")

TeamQuery = Annotated[str | None, Query(description="Only this team (a manager: their own).")]
PeriodChoice = Annotated[str | None, Query(
    description="2026-11, 2026-W45 or 2026-11-01..2026-11-15 in the tenant's time zone; "
    "default: the month of the tenant's latest check-in.")]


# -- the PHI drill-down ------------------------------------------------------------------------

@router.get("/manager/phi/explain", response_class=HTMLResponse)
def phi_explain(user: PageUser, runtime: RuntimeDep,
                rep: Annotated[str, Query(min_length=1, description="The rep's id.")],
                period: PeriodChoice = None) -> HTMLResponse:
    """The leads, actions, role touches and excluded check-ins behind one rep's PHI in
    ``period``, each check-in linked to its page."""
    period = period or _default_period(runtime, user)
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        visible = visible_rep_ids(user, store.reference)
        if visible is not None and rep not in visible:
            raise NotFound(f"no rep {rep!r}")
        try:
            parsed = tenant_period(connection, user.tenant_id, period)
        except InvalidInput as error:
            raise InvalidValue("period", error.message, code=error.code) from None
        timezone = tenant_timezone(connection, user.tenant_id)
        tables = tables_from_store(connection, user.tenant_id)
        explanation = explain_rep(tables, rep_id=rep, period=parsed, now=utc_now())
        customers = {str(c) for frame in (explanation.leads, explanation.actions,
                                          explanation.accounts, explanation.excluded)
                     for c in frame["customer_id"].dropna()}
        names = _names(store, customers)
    return HTMLResponse(phi_explain_page(explanation, timezone=timezone, names=names))


def _default_period(runtime: Runtime, user: User) -> str:
    """The PHI page's default: the month of the tenant's latest check-in (local), or this
    month when there is none."""
    span, timezone = data_days(runtime, user)
    last = span[1] if span else utc_now().astimezone(ZoneInfo(timezone)).date()
    return f"{last:%Y-%m}"


# -- the check-in list -------------------------------------------------------------------------

#: Check-ins read per query of an export.
EXPORT_CHUNK = 500


@router.get("/manager/checkins.csv", response_class=Response, responses=_SPREADSHEET)
def checkins_table(user: PageUser, runtime: RuntimeDep, filters: ListFilters) -> Response:
    """The check-in list as CSV, with the list page's filters and order: names beside ids,
    times in the tenant's time zone, reps' free text escaped against spreadsheet formulas."""
    return _checkins_export(user, runtime, filters, "csv")


@router.get("/manager/checkins.xlsx", response_class=Response, responses=_SPREADSHEET)
def checkins_workbook(user: PageUser, runtime: RuntimeDep, filters: ListFilters) -> Response:
    """The check-in list as an Excel workbook: the rows of ``/manager/checkins.csv``."""
    return _checkins_export(user, runtime, filters, "xlsx")


def _checkins_export(user: User, runtime: Runtime, filters: CheckinFilters,
                     kind: Format) -> Response:
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        timezone = tenant_timezone(connection, user.tenant_id)
        rows = all_checkins(store, user, filters, timezone)
        names = _names(store, {c.customer_id for c in rows})
    archive = runtime.intake.archive
    manifests = {} if archive is None else {
        str(c.id): digest for c in rows
        if (digest := archive.manifest_sha256(c.id)) is not None}
    sheet = checkins_sheet(rows, timezone=timezone, names=names, manifests=manifests)
    return _attachment(sheet, kind, "checkins", _stamp(timezone))


def all_checkins(store: Store, user: User, filters: CheckinFilters,
                 timezone: str) -> list[CheckinPublic]:
    """Every check-in of the list in ``user``'s scope, read :data:`EXPORT_CHUNK` at a
    time."""
    rows: list[CheckinPublic] = []
    while True:
        found = _checkin_page(store, user, filters, timezone, limit=EXPORT_CHUNK,
                              offset=len(rows))
        rows += found.data
        if not found.data or len(rows) >= found.count:
            return rows


# -- PHI ---------------------------------------------------------------------------------------

@router.get("/manager/phi.csv", response_class=Response, responses=_SPREADSHEET)
def phi_csv(user: PageUser, runtime: RuntimeDep, period: PeriodChoice = None,
            team: TeamQuery = None) -> Response:
    """The PHI page's rep rows as CSV (the columns of ``/v1/phi?format=csv``, named)."""
    return _phi_export(user, runtime, period, team, "csv")


@router.get("/manager/phi.xlsx", response_class=Response, responses=_SPREADSHEET)
def phi_workbook(user: PageUser, runtime: RuntimeDep, period: PeriodChoice = None,
                 team: TeamQuery = None) -> Response:
    """The PHI page's rep rows as an Excel workbook."""
    return _phi_export(user, runtime, period, team, "xlsx")


def _phi_export(user: User, runtime: Runtime, period: str | None, team: str | None,
                kind: Format) -> Response:
    period = period or _default_period(runtime, user)
    report = reports.phi_report(user, runtime, period=period, team=team or None, now=None)
    with runtime.database.connect() as connection:
        names = _names(Store(connection, user.tenant_id), set())
    sheet = phi_sheet(report, names=names)
    return _attachment(sheet, kind, "phi", report.period.label, report.team or "")


# -- coverage gaps -----------------------------------------------------------------------------

@router.get("/manager/gaps.csv", response_class=Response, responses=_SPREADSHEET)
def gaps_csv(user: PageUser, runtime: RuntimeDep, neglect_days: reports.NeglectQuery = 21,
             now: reports.NowQuery = None, rep_id: str | None = None,
             tier: Literal["A", "B", "C"] | None = None) -> Response:
    """The coverage gaps in scope as CSV (``/v1/coverage-gaps``, every page)."""
    return _gaps_export(user, runtime, neglect_days, now, rep_id, tier, "csv")


@router.get("/manager/gaps.xlsx", response_class=Response, responses=_SPREADSHEET)
def gaps_workbook(user: PageUser, runtime: RuntimeDep, neglect_days: reports.NeglectQuery = 21,
                  now: reports.NowQuery = None, rep_id: str | None = None,
                  tier: Literal["A", "B", "C"] | None = None) -> Response:
    """The coverage gaps in scope as an Excel workbook."""
    return _gaps_export(user, runtime, neglect_days, now, rep_id, tier, "xlsx")


def _gaps_export(user: User, runtime: Runtime, neglect_days: int,
                 now: QueryInstant | None, rep_id: str | None,
                 tier: Literal["A", "B", "C"] | None, kind: Format) -> Response:
    gaps = reports.get_coverage_gaps(user=user, runtime=runtime, neglect_days=neglect_days,
                                     now=now, rep_id=rep_id or None, tier=tier,
                                     limit=sys.maxsize, offset=0)
    with runtime.database.connect() as connection:
        timezone = tenant_timezone(connection, user.tenant_id)
        names = _names(Store(connection, user.tenant_id), set())
    sheet = gaps_sheet(gaps, timezone=timezone, names=names)
    day = f"{gaps.now.astimezone(ZoneInfo(timezone)):%Y%m%d-%H%M}"
    return _attachment(sheet, kind, "coverage-gaps", day)


# -- shared ------------------------------------------------------------------------------------

def _attachment(sheet: Sheet, kind: Format, *name: str) -> Response:
    content, media_type = sheet_bytes(sheet, kind)
    stem = "-".join(_UNSAFE_IN_NAME.sub("_", part) for part in name if part)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"'})


def _stamp(timezone: str) -> str:
    return f"{utc_now().astimezone(ZoneInfo(timezone)):%Y%m%d-%H%M}"
