"""The shapes of the managers' figures: the PHI report and the coverage-gap list.

They mirror what the CLI prints (:func:`phi.report_export.report_to_dict`,
:func:`geo.overlap_outputs.gap_to_dict`), so a figure read over HTTP and one read from
``visitproof phi`` are the same number. Rates are fractions (0..1), ``phi`` is 0..100,
``penetration`` is distinct decision roles per account, ``null`` means "no data", never 0.
The overlap answer is GeoJSON, documented on its route (:mod:`serving.routes.reports`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from phi.warning_signs import WarningCode


class PhiPeriodPublic(BaseModel):
    """Local days ``first_day`` .. ``last_day`` in ``timezone``; ``start``/``end`` are the
    bounding local midnights in UTC (``end`` exclusive). ``kind``: month, week or days."""

    label: str
    kind: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    timezone: str


class PhiTrendPointPublic(BaseModel):
    """One earlier period of a rep's trend."""

    period: str
    phi: float | None
    lead_activation_rate: float | None
    action_closure_rate: float | None
    penetration: float | None


class PhiScorePublic(BaseModel):
    """The scores of one rep, team, region or the total. Which of ``rep_id``, ``team_id``
    and ``region`` are present depends on the level; ``trend`` is on rep rows only.
    ``counts`` are the numerators and denominators behind the rates."""

    rep_id: str | None = None
    team_id: str | None = None
    region: str | None = None
    phi: float | None
    lead_activation_rate: float | None
    action_closure_rate: float | None
    penetration: float | None
    lead_activation_score: float | None
    action_closure_score: float | None
    penetration_score: float | None
    counts: dict[str, float]
    trend: list[PhiTrendPointPublic] | None = None


class PhiExcludedPublic(BaseModel):
    """Check-ins of the period that do not count, because they are not verified."""

    total: int
    verified: int
    excluded: int
    by_status: dict[str, int]
    by_reason: dict[str, int]
    by_rep: dict[str, int]


_WARNING_CODES: list[JsonValue] = [*sorted(code.value for code in WarningCode)]


class PhiWarningPublic(BaseModel):
    """A warning sign (code from :class:`phi.warning_signs.WarningCode`) with the ids of the
    leads, customers or check-ins behind it."""

    # Documented as an enum; typed str so that a code a later release retires still reads
    # back (as serving.schemas.ReasonPublic does).
    code: str = Field(json_schema_extra={"enum": _WARNING_CODES},
                      description="One of phi.warning_signs.WarningCode.")
    rep_id: str | None
    team_id: str | None
    message: str
    count: int
    ids: list[str]


class PhiReportPublic(BaseModel):
    """The PHI report of ``GET /v1/phi``, limited to the caller's scope: rep rows, warnings
    and ``excluded_checkins.by_rep`` name only reps the caller may see. ``now`` is the UTC
    instant it is "as of"; ``team`` the team it was limited to (null: the tenant);
    ``definition`` the PHI definition version that computed it."""

    definition: str = Field(description="The PHI definition version (phi.components), e.g. "
                            "phi-2: pushed follow-ups need the rep's one-sentence strategy.")
    period: PhiPeriodPublic
    now: datetime
    team: str | None
    weights: dict[str, float]
    targets: dict[str, float]
    rules: dict[str, Any]
    reps: list[PhiScorePublic]
    teams: list[PhiScorePublic]
    regions: list[PhiScorePublic]
    total: PhiScorePublic
    trend_periods: list[str]
    excluded_checkins: PhiExcludedPublic
    warnings: list[PhiWarningPublic]


class GapReasonPublic(BaseModel):
    """Why a customer is a coverage gap: ``NEVER_VISITED`` or ``NOT_VISITED_RECENTLY`` (a
    gap's code, not one of a check-in's reasons)."""

    code: Literal["NEVER_VISITED", "NOT_VISITED_RECENTLY"] = Field(
        description="NEVER_VISITED: no verified visit ever; NOT_VISITED_RECENTLY: none for "
        "neglect_days or more.")
    message: str


class CoverageGapPublic(BaseModel):
    """A customer with no verified visit for ``neglect_days`` days or more (or never).

    ``reason.code`` is ``NEVER_VISITED`` or ``NOT_VISITED_RECENTLY``. ``last_touch`` is the
    latest verified departure (UTC); ``last_touch_rep_id`` is null when that rep is outside
    the caller's scope, and ``owner_rep_ids`` lists only the owners in it (the one scope
    rule of the reports: :func:`application.reports.scoped_rep_ids`). ``days_untouched``
    is in days, null when never touched.
    """

    customer_id: str
    name: str
    tier: str
    owner_rep_ids: list[str]
    territory_id: str | None
    last_touch: datetime | None
    last_touch_rep_id: str | None
    days_untouched: float | None
    lon: float
    lat: float
    reason: GapReasonPublic


class CoverageGapsPublic(BaseModel):
    """One page of gaps, ranked by tier (A first), then never visited, then longest
    untouched; ``count`` matches in all pages. Judged at ``now`` (UTC)."""

    data: list[CoverageGapPublic]
    count: int
    now: datetime
    neglect_days: int
