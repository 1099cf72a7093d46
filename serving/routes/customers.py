"""``/v1/customers``: the visit pack, the brief a rep reads before entering a customer.

Who may read a customer's pack: a rep for the customers assigned to them, a manager for the
customers of their team's reps, a director or admin any customer of the tenant. Any other
customer answers 404 ``NOT_FOUND``, exactly like one that does not exist, so ids of other
reps' customers don't leak (the rule of :mod:`serving.auth`). The sections are those of
:mod:`application.visit_pack`.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query

from application.visit_pack import VisitPack, visit_pack
from serving.auth import CurrentUser, Role, User, visible_rep_ids
from serving.errors import error_responses
from serving.query_params import QueryInstant
from serving.runtime import Runtime, RuntimeDep
from serving.schemas_visit_pack import VisitPackPublic
from visitproof.store import ReferenceData
from visitproof.values import require_identifier, require_not_future, utc_now

router = APIRouter(prefix="/v1/customers", tags=["customers"])

_DESCRIBED = {
    404: "No such customer, or not one the caller may see: a rep's own (assigned) "
         "customers, a manager's team's (NOT_FOUND; TENANT_NOT_FOUND when the token's tenant "
         "is gone).",
    422: "A customer id that is not an id (BAD_IDENTIFIER: 1-128 letters, digits or "
         "._:@-), an unknown query parameter (UNKNOWN_FIELD), or an `at` without offset "
         "(NAIVE_TIMESTAMP), unreadable (BAD_TIMESTAMP) or in the future "
         "(FUTURE_TIMESTAMP).",
}
_errors = partial(error_responses, _DESCRIBED)


@router.get("/{customer_id}/visit-pack", response_model=VisitPackPublic,
            summary="The visit pack: a customer's pre-visit brief",
            responses=_errors(401, 404, 422, 503))
def get_visit_pack(customer_id: str, user: CurrentUser, runtime: RuntimeDep,
                   at: AtInstant = None) -> VisitPackPublic:
    """The customer's last three orders, current stock per SKU, the region's competitor
    promotions this month (tenant time zone), the open commitments and next actions there,
    the decision roles touched and missing (PHI's role touches, last 30 days), this month's
    featured SKUs with the golden-zone rule, and the last verified check-in with its
    reasons and a link to its photo. Empty sections say so in their ``*_empty`` text.
    ``at``: a past instant to read the pack's clock-dependent parts with (default: now)."""
    return VisitPackPublic.of(build_pack(runtime, user, customer_id, at))


AtInstant = Annotated[QueryInstant | None, Query(
    description="Read the pack with this past instant as the clock (ISO 8601 with offset; "
    "default: now): the month of the promotions and featured SKUs, the overdue flags and "
    "the 30-day role window follow it; the records are those stored now.")]


def build_pack(runtime: Runtime, user: User, customer_id: str,
               at: datetime | None = None) -> VisitPack:
    """The visit pack of ``customer_id`` in ``user``'s scope as of ``at`` (None: now), for
    the API and the pages."""
    require_identifier(customer_id, "customer_id")
    now = utc_now()
    if at is not None:
        now = require_not_future(at, "at", now)
    with runtime.database.connect() as connection:
        visible = visible_rep_ids(user, ReferenceData(connection, user.tenant_id))
    return visit_pack(runtime.database, user.tenant_id, customer_id, rep_ids=visible,
                      caller_rep_id=user.user_id if user.role is Role.REP else None,
                      now=now, default_zone=runtime.intake.policies.shelf.golden_zone,
                      photo_exists=runtime.photos.exists)
