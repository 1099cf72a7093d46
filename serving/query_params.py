"""Query and path parameters every list and report shares, bounded so that no value a
client can type reaches the store or pandas out of range (a 500), only a 422 with a code.

- :data:`QueryInstant`: an ISO 8601 time with an offset, as UTC, within the years
  1970-2199, the calendar the reports' periods and days use too (:data:`phi.periods.CALENDAR`;
  a bare number such as ``1.9e-86`` is refused rather than read as Unix time);
  422 ``BAD_TIMESTAMP`` / ``NAIVE_TIMESTAMP`` otherwise.
- :func:`reject_unknown_query`: an undeclared query parameter is 422 ``UNKNOWN_FIELD``.
- :data:`Offset`: paging offset, 0 to :data:`MAX_OFFSET`; :data:`MAX_VERSION` bounds
  version numbers in paths. 422 ``OUT_OF_RANGE`` beyond.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

from phi.periods import FIRST_YEAR, LAST_YEAR
from serving.schemas import to_utc
from visitproof.errors import InvalidValue

MAX_OFFSET = 1_000_000
MAX_VERSION = 2**31 - 1
EARLIEST_YEAR, LATEST_YEAR = FIRST_YEAR, LAST_YEAR

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_text(value: Any) -> Any:
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError(
            "datetime_parsing", "expected an ISO 8601 time with an offset, like "
            "2026-11-03T09:15:00+08:00, not a number")
    return value


def _plausible_utc(value: datetime) -> datetime:
    utc = to_utc(value)
    if not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise PydanticCustomError(
            "datetime_object_invalid",
            f"the time must fall within the years {EARLIEST_YEAR} to {LATEST_YEAR} (UTC)")
    return utc


QueryInstant = Annotated[AwareDatetime, BeforeValidator(_iso_text),
                         AfterValidator(_plausible_utc)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]


_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


async def reject_unknown_query(request: Request) -> None:
    """App-wide dependency: a query parameter the route doesn't declare is a 422
    ``UNKNOWN_FIELD``, not silently ignored (``?stauts=verified`` would otherwise list
    everything). Probes (``/healthz``, ``/readyz``, ``/metrics``) take anything. Async
    because it only reads the request: a sync dependency costs every request a thread hop."""
    route = request.scope.get("route")
    if getattr(route, "path", None) in _PROBES:
        return
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {param.alias for param in _query_params(dependant)}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidValue(unknown[0], f"unknown query parameter {unknown[0]!r}; this "
                           f"endpoint takes: {', '.join(sorted(known)) or 'none'}",
                           code="UNKNOWN_FIELD")


def _query_params(dependant: Any) -> list[Any]:
    params = list(dependant.query_params)
    for sub in dependant.dependencies:
        params += _query_params(sub)
    return params
