"""What the rep's later fixes say of a check-in, for batch re-verification.

An upload is judged by the rep's past only. Looking back over history, a re-verification can
also judge a fix by what the rep sent afterwards: the same coordinates sent again on a later
visit (``FIX_COORDINATES_SENT_AGAIN``), or the start of a run of fixes with one accuracy
value (``FIX_ACCURACY_CONSTANT_RUN``); both send a check-in to review, never reject it
(:mod:`geo.spoofing`).

    later = later_fix_reasons(connection, tenant_id, window_checkins, history=timedelta(days=30),
                              now=utc_now(), policy=FixIntegrityPolicy())
    later[str(checkin.id)]  # the look-ahead reasons of one check-in (absent: none)

The reps' check-ins from ``history`` before the earliest one to ``now`` go through
:func:`geo.fix_batch.verify_fixes` with ``look_ahead`` in one frame; only the look-ahead
codes are taken from it, everything else stays what the per-check-in judging finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from geo.batch_columns import checkins_frame
from geo.fix_batch import verify_fixes
from geo.fix_policy import FixIntegrityPolicy
from geo.spoofing import LOOK_AHEAD_CODES
from visitproof.records import Checkin, Reason
from visitproof.store import Checkins, ReferenceData


def later_fix_reasons(connection: Connection, tenant_id: str, checkins: Sequence[Checkin], *,
                      history: timedelta, now: datetime, policy: FixIntegrityPolicy
                      ) -> dict[str, tuple[Reason, ...]]:
    """The look-ahead reasons of each of ``checkins`` that has any, by check-in id (str)."""
    if not checkins:
        return {}
    reps = sorted({checkin.rep_id for checkin in checkins})
    earliest = min(checkin.departed_at for checkin in checkins) - history
    around = Checkins(connection, tenant_id).find(rep_ids=reps, departed_from=earliest,
                                                  departed_until=now + timedelta(days=1))
    customers = {customer.id: customer
                 for customer in ReferenceData(connection, tenant_id).customers()}
    around = [checkin for checkin in around if checkin.customer_id in customers]
    if not around:
        return {}
    judged = verify_fixes(checkins_frame(around, customers), policy=policy, now=now,
                          look_ahead=True)
    wanted = {checkin.id for checkin in checkins}
    found: dict[str, tuple[Reason, ...]] = {}
    for checkin, reasons in zip(around, judged["reasons"], strict=True):
        ahead = tuple(reason for reason in reasons if reason.code in LOOK_AHEAD_CODES)
        if ahead and checkin.id in wanted:
            found[str(checkin.id)] = ahead
    return found
