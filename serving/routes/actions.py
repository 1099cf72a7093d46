"""``/v1/actions``: next actions (from check-ins) and marking them done.

Every check-in carries one next action, so an action is addressed by its check-in's id and
seen by whoever may see the check-in: a rep their own, a manager their team's, a director or
admin the whole tenant. Any of them may mark a visible action done; ``completed_by`` records
who did (a manager closing an action for a rep shows as the manager), because action closure
feeds the PHI and so every completion must be traceable to a person.

An action the system has pushed to the rep (from ``push_lead`` before it is due,
:mod:`visitproof.pushed_actions`) is completed only with a one-sentence ``strategy``
(``STRATEGY_REQUIRED`` without one): automation must not replace the rep's thinking.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import IntegrityError

from serving.auth import CurrentUser, can_see, listed_rep_ids
from serving.errors import ActionAlreadyCompleted, error_responses
from serving.query_params import Offset, QueryInstant
from serving.runtime import RuntimeDep
from serving.schemas_crm import (
    ActionComplete,
    ActionPublic,
    ActionsPublic,
    ActionState,
)
from visitproof.errors import InvalidValue, NotFound
from visitproof.pushed_actions import (
    STRATEGY_REQUIRED,
    pushed_at,
    require_strategy_sentence,
    requires_strategy,
)
from visitproof.records import ActionOutcome
from visitproof.store import Crm, Store
from visitproof.values import require_not_future, require_text, utc_now

router = APIRouter(prefix="/v1/actions", tags=["actions"])


_DESCRIBED = {
    404: "No such check-in in the caller's scope (NOT_FOUND).",
    409: "The action was already completed with another time, note, strategy or user "
         "(ACTION_ALREADY_COMPLETED).",
    422: "Invalid input; `code` says what: NAIVE_TIMESTAMP, BAD_TIMESTAMP, FUTURE_TIMESTAMP, "
         "TIME_ORDER, EMPTY_FIELD, TOO_LONG, MISSING_FIELD, UNKNOWN_ENUM_VALUE, "
         "STRATEGY_REQUIRED (a pushed action completed without a strategy), "
         "STRATEGY_NOT_ONE_SENTENCE, ...",
}
_errors = partial(error_responses, _DESCRIBED)


@router.get("", response_model=ActionsPublic, responses=_errors(401, 422, 503))
def list_actions(
    user: CurrentUser,
    runtime: RuntimeDep,
    state: Annotated[ActionState | None, Query(
        description="open: not yet done; done: completed. Both when absent.")] = None,
    rep_id: str | None = None,
    customer_id: str | None = None,
    due_from: Annotated[QueryInstant | None, Query(
        description="Due at or after (with offset).")] = None,
    due_until: Annotated[QueryInstant | None, Query(
        description="Due before (with offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ActionsPublic:
    """Next actions of the check-ins the caller may see, earliest due first."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        page = store.crm.next_actions_page(
            rep_ids=listed_rep_ids(user, store.reference, rep_id), customer_id=customer_id,
            done=None if state is None else state is ActionState.DONE,
            due_from=due_from, due_until=due_until, limit=limit, offset=offset)
    now = utc_now()
    return ActionsPublic(data=[ActionPublic.of(item.checkin, item.outcome, now)
                               for item in page.items], count=page.count)


@router.post(
    "/{checkin_id}/complete", status_code=201, response_model=ActionPublic,
    summary="Mark a check-in's next action done",
    responses={200: {"model": ActionPublic,
                     "description": "A retry of a stored completion: the action as stored."},
               **_errors(401, 404, 409, 422, 503)},
)
def complete_action(checkin_id: UUID, body: ActionComplete, user: CurrentUser,
                    runtime: RuntimeDep, response: Response) -> ActionPublic:
    """Store that the action was done at ``completed_at`` by the caller (201).
    ``completed_at`` may not be in the future (``FUTURE_TIMESTAMP``) nor before the visit
    began (``TIME_ORDER``). An action pushed to the rep by ``completed_at`` needs a
    one-sentence ``strategy`` (``STRATEGY_REQUIRED``, ``STRATEGY_NOT_ONE_SENTENCE``).
    Idempotent: the same time, note and strategy again by the same user answers 200;
    anything else on a completed action answers 409 ``ACTION_ALREADY_COMPLETED``."""
    now = utc_now()
    note = None if body.note is None else require_text(body.note, "note")
    strategy = (None if body.strategy is None
                else require_strategy_sentence(body.strategy, "strategy"))
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        checkin = store.checkins.get(checkin_id)
        if checkin is None or not can_see(user, checkin, store.reference):
            raise NotFound(f"no check-in {checkin_id}")
    outcome = ActionOutcome(tenant_id=user.tenant_id, checkin_id=checkin.id,
                            completed_at=body.completed_at, completed_by=user.user_id,
                            note=note, strategy=strategy)
    require_not_future(outcome.completed_at, "completed_at", now)
    if outcome.completed_at < checkin.arrived_at:
        raise InvalidValue("completed_at", f"{outcome.completed_at.isoformat()} is before the "
                           f"visit began ({checkin.arrived_at.isoformat()})", code="TIME_ORDER")
    try:
        with runtime.database.begin() as connection:
            crm = Crm(connection, user.tenant_id)
            stored = crm.action_outcome(checkin.id)
            if stored is None:
                # Checked only for a new completion: a retry of one stored before the rule
                # still answers 200 (below).
                _require_strategy_if_pushed(checkin.next_action.due_at, outcome)
                crm.add_action_outcome(outcome)
                return ActionPublic.of(checkin, outcome, now)
    except IntegrityError:  # a concurrent twin committed first
        with runtime.database.connect() as connection:
            stored = Crm(connection, user.tenant_id).action_outcome(checkin_id)
        if stored is None:
            raise
    if stored != outcome:
        raise ActionAlreadyCompleted(
            f"the next action of check-in {checkin_id} was already completed at "
            f"{stored.completed_at.isoformat()} by {stored.completed_by}")
    response.status_code = 200
    return ActionPublic.of(checkin, stored, now)


def _require_strategy_if_pushed(due_at: datetime, outcome: ActionOutcome) -> None:
    if outcome.strategy is None and requires_strategy(due_at, outcome.completed_at):
        raise InvalidValue(
            "strategy", f"this follow-up was pushed to you (from "
            f"{pushed_at(due_at).isoformat()}): add one sentence, the core strategy for it",
            code=STRATEGY_REQUIRED)
