"""``/v1/leads``: create (channel and tier mandatory), assign, touch; list within scope.

Who may do what:

- create and assign: ``manager``, ``director``, ``admin``. Not reps: leads come in from
  marketing (web forms, hotline, trade fairs) and the first-touch clock starts at intake, so
  a rep who could create leads could start the clock at the moment of their own first touch
  and make lead activation (a PHI component tied to bonuses) meaningless. A manager assigns
  only to the reps of their own team.
- touch: only the ``rep`` the lead is assigned to (for anyone else's lead: 404).
- read: a rep the leads assigned to them; a manager their team's reps' leads and the
  unassigned ones (which are theirs to hand out); a director or admin every lead.

Ids come from the client, so retries are safe: the same create or touch again answers 200
with what is stored; another body under a used id answers 409.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.exc import IntegrityError

from serving.auth import (
    CurrentRep,
    CurrentUser,
    Role,
    User,
    listed_rep_ids,
    require_role,
    visible_rep_ids,
)
from serving.errors import LeadIdConflict, TouchIdConflict, error_responses
from serving.query_params import Offset, QueryInstant
from serving.runtime import RuntimeDep
from serving.schemas_crm import (
    LeadAssign,
    LeadCreate,
    LeadDetailPublic,
    LeadPublic,
    LeadsPublic,
    LeadTouchCreate,
    LeadTouchPublic,
)
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import Lead, LeadTouch, Tier, TouchKind
from visitproof.store import Crm, Store
from visitproof.values import require_not_future, require_text, utc_now

router = APIRouter(prefix="/v1/leads", tags=["leads"])


_DESCRIBED = {
    404: "No such lead in the caller's scope (NOT_FOUND).",
    409: "The id was used with a different body (LEAD_ID_CONFLICT, TOUCH_ID_CONFLICT).",
    422: "Invalid input; `code` says what: MISSING_FIELD, EMPTY_FIELD, UNKNOWN_ENUM_VALUE, "
         "BAD_IDENTIFIER, NAIVE_TIMESTAMP, FUTURE_TIMESTAMP, TIME_ORDER, UNKNOWN_CUSTOMER, "
         "UNKNOWN_REP, REP_INACTIVE, UNKNOWN_CHECKIN, ...",
}
_errors = partial(error_responses, _DESCRIBED)


def lead_manager(user: CurrentUser) -> User:
    """FastAPI dependency: the caller, who must be a manager, director or admin (403
    before the body is read)."""
    require_role(user, Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
    return user


LeadManager = Annotated[User, Depends(lead_manager)]


@router.post(
    "", status_code=201, response_model=LeadPublic, summary="Take in a new lead",
    responses={200: {"model": LeadPublic,
                     "description": "A retry of a stored lead: the lead as stored now."},
               **_errors(401, 403, 409, 422, 503)},
)
def create_lead(body: LeadCreate, user: LeadManager, runtime: RuntimeDep,
                response: Response) -> LeadPublic:
    """Store a lead (201); ``created_at`` is the server clock, which starts the first-touch
    clock. Idempotent on ``id``: the same body again answers 200 with the stored lead, a
    different one 409 ``LEAD_ID_CONFLICT``."""
    lead = Lead(tenant_id=user.tenant_id, id=body.id, channel=body.channel, tier=body.tier,
                created_at=utc_now(), customer_id=body.customer_id,
                contact_name=None if body.contact_name is None
                else require_text(body.contact_name, "contact_name", max_length=200))
    try:
        with runtime.database.begin() as connection:
            store = Store(connection, user.tenant_id)
            stored = store.crm.lead(lead.id)
            if stored is None:
                if lead.customer_id is not None and store.reference.customer(
                        lead.customer_id) is None:
                    raise InvalidValue("customer_id", f"no customer {lead.customer_id!r} in "
                                       "this tenant", code="UNKNOWN_CUSTOMER")
                store.crm.add_lead(lead)
                return LeadPublic.of(lead)
            visible = _can_see(user, stored, store)
    except IntegrityError:  # a concurrent twin committed first
        with runtime.database.connect() as connection:
            store = Store(connection, user.tenant_id)
            stored = store.crm.lead(lead.id)
            if stored is None:
                raise
            visible = _can_see(user, stored, store)
    if not visible or _intake(stored) != _intake(lead):
        raise LeadIdConflict(f"lead id {lead.id!r} is already used by another lead; send "
                             "a new id for a new lead")
    response.status_code = 200
    return LeadPublic.of(stored)


@router.get("", response_model=LeadsPublic, responses=_errors(401, 422, 503))
def list_leads(
    user: CurrentUser,
    runtime: RuntimeDep,
    rep_id: Annotated[str | None, Query(description="Only leads assigned to this rep.")] = None,
    unassigned: Annotated[bool, Query(description="Only leads assigned to nobody.")] = False,
    tier: Tier | None = None,
    channel: str | None = None,
    touched: Annotated[bool | None, Query(
        description="true: only leads touched at least once; false: only untouched.")] = None,
    created_from: Annotated[QueryInstant | None, Query(
        alias="from", description="Taken in at or after (with offset).")] = None,
    created_until: Annotated[QueryInstant | None, Query(
        alias="to", description="Taken in before (with offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> LeadsPublic:
    """Leads the caller may see, newest intake first (see the module docstring)."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        rep_ids = [] if unassigned else listed_rep_ids(user, store.reference, rep_id)
        include_unassigned = user.role is not Role.REP and rep_id is None
        page = store.crm.leads_page(
            rep_ids=rep_ids, include_unassigned=include_unassigned, tier=tier,
            channel=channel, touched=touched, created_from=created_from,
            created_until=created_until, limit=limit, offset=offset)
    return LeadsPublic(data=[LeadPublic.of(lead) for lead in page.items], count=page.count)


@router.get("/{lead_id}", response_model=LeadDetailPublic, responses=_errors(401, 404, 503))
def get_lead(lead_id: str, user: CurrentUser, runtime: RuntimeDep) -> LeadDetailPublic:
    """One lead with its touches; 404 when it is not in the caller's scope."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        lead = _visible_lead(lead_id, user, store)
        return LeadDetailPublic.with_touches(lead, store.crm.touches_of_lead(lead.id))


@router.post("/{lead_id}/assign", response_model=LeadPublic,
             summary="Give a lead to a rep", responses=_errors(401, 403, 404, 422, 503))
def assign_lead(lead_id: str, body: LeadAssign, user: LeadManager,
                runtime: RuntimeDep) -> LeadPublic:
    """Make ``rep_id`` the lead's owner; ``assigned_at`` is the server clock. Assigning to
    the current owner again changes nothing (a retry keeps the first ``assigned_at``). A
    manager assigns only to active reps of their own team (422 ``UNKNOWN_REP`` otherwise,
    like a rep who does not exist; ``REP_INACTIVE`` for a rep who left)."""
    with runtime.database.begin() as connection:
        store = Store(connection, user.tenant_id)
        lead = _visible_lead(lead_id, user, store)
        rep = next((r for r in store.reference.reps() if r.id == body.rep_id), None)
        if rep is None or (user.role is Role.MANAGER and rep.team_id != user.team_id):
            where = "your team" if user.role is Role.MANAGER else "this tenant"
            raise InvalidValue("rep_id", f"no rep {body.rep_id!r} in {where}",
                               code="UNKNOWN_REP")
        if not rep.active:
            raise InvalidValue("rep_id", f"rep {rep.id!r} is inactive; assign the lead to an "
                               "active rep", code="REP_INACTIVE")
        if lead.assigned_rep_id != rep.id:
            store.crm.assign_lead(lead.id, rep.id, utc_now())
        stored = store.crm.lead(lead.id)
    if stored is None:  # pragma: no cover - read inside the transaction that found it
        raise NotFound(f"no lead {lead_id!r}")
    return LeadPublic.of(stored)


@router.post(
    "/{lead_id}/touches", status_code=201, response_model=LeadTouchPublic,
    summary="Record that the rep touched the lead",
    responses={200: {"model": LeadTouchPublic,
                     "description": "A retry of a stored touch: the stored touch."},
               **_errors(401, 403, 404, 409, 422, 503)},
)
def record_touch(lead_id: str, body: LeadTouchCreate, user: CurrentRep, runtime: RuntimeDep,
                 response: Response) -> LeadTouchPublic:
    """Store a touch by the calling rep of a lead assigned to them (201), and make it the
    lead's ``first_touch_at`` when it is the earliest touch. A ``visit`` must name the rep's
    check-in (``checkin_id``); calls and messages must not. ``at`` may not be in the future
    (``FUTURE_TIMESTAMP``) nor before the lead's intake (``TIME_ORDER``). Idempotent on
    ``id``: the same body again answers 200, another body 409 ``TOUCH_ID_CONFLICT``."""
    now = utc_now()
    try:
        with runtime.database.begin() as connection:
            store = Store(connection, user.tenant_id)
            existing = store.crm.lead_touch(body.id)
            if existing is not None and _is_retry(existing, body, lead_id, user):
                response.status_code = 200
                return LeadTouchPublic.of(existing)
            lead = store.crm.lead(lead_id)
            if lead is None or lead.assigned_rep_id != user.user_id:
                raise NotFound(f"no lead {lead_id!r} assigned to you")
            if existing is not None:
                raise TouchIdConflict(f"touch id {body.id!r} is already used by another "
                                      "touch; send a new id for a new touch")
            _check_touch(body, lead, user, store, now)
            touch = LeadTouch(tenant_id=user.tenant_id, id=body.id, lead_id=lead.id,
                              rep_id=user.user_id, kind=body.kind, at=body.at,
                              checkin_id=body.checkin_id)
            store.crm.add_lead_touch(touch)
            return LeadTouchPublic.of(touch)
    except IntegrityError:  # a concurrent twin committed first
        with runtime.database.connect() as connection:
            existing = Crm(connection, user.tenant_id).lead_touch(body.id)
        if existing is None:
            raise
        if not _is_retry(existing, body, lead_id, user):
            raise TouchIdConflict(f"touch id {body.id!r} is already used by another touch; "
                                  "send a new id for a new touch") from None
        response.status_code = 200
        return LeadTouchPublic.of(existing)


def _check_touch(body: LeadTouchCreate, lead: Lead, user: User, store: Store,
                 now: datetime) -> None:
    """The rules a touch must meet beyond its fields' types (422 with a code each)."""
    if body.kind is TouchKind.VISIT and body.checkin_id is None:
        raise InvalidValue("checkin_id", "a visit touch names the check-in of the visit",
                           code="MISSING_FIELD")
    if body.kind is not TouchKind.VISIT and body.checkin_id is not None:
        raise InvalidValue("checkin_id", f"only a visit touch names a check-in, not a "
                           f"{body.kind.value}", code="INVALID_VALUE")
    require_not_future(body.at, "at", now)
    if body.at < lead.created_at:
        raise InvalidValue("at", f"{body.at.isoformat()} is before the lead was taken in "
                           f"({lead.created_at.isoformat()})", code="TIME_ORDER")
    if body.checkin_id is not None:
        checkin = store.checkins.get(body.checkin_id)
        if checkin is None or checkin.rep_id != user.user_id:
            raise InvalidValue("checkin_id", f"no check-in {body.checkin_id} of yours",
                               code="UNKNOWN_CHECKIN")


def _is_retry(existing: LeadTouch, body: LeadTouchCreate, lead_id: str, user: User) -> bool:
    return (existing.lead_id, existing.rep_id, existing.kind, existing.at,
            existing.checkin_id) == (lead_id, user.user_id, body.kind, body.at,
                                     body.checkin_id)


def _intake(lead: Lead) -> tuple[object, ...]:
    """What the client sent when creating ``lead`` (not what the server or later calls set)."""
    return lead.channel, lead.tier, lead.customer_id, lead.contact_name


def _can_see(user: User, lead: Lead, store: Store) -> bool:
    visible = visible_rep_ids(user, store.reference)
    if visible is None:
        return True
    if lead.assigned_rep_id is None:
        return user.role is Role.MANAGER
    return lead.assigned_rep_id in visible


def _visible_lead(lead_id: str, user: User, store: Store) -> Lead:
    lead = store.crm.lead(lead_id)
    if lead is None or not _can_see(user, lead, store):
        raise NotFound(f"no lead {lead_id!r}")
    return lead
