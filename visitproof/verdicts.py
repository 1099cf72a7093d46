"""A check-in's verdict: its status and every reason behind it, derived together from the
same verifications, so no status is ever shown unexplained.

    verdict = checkin_verdict(checkin)
    verdict.status, [r.code for r in verdict.reasons]

The API (``CheckinPublic``, the list), the manager pages, PHI's exclusion table and both
writers of the stored status (the upload's judgement, batch re-verification) all read it
from here, so they cannot disagree about why a check-in is not verified.

The rule:

1. The current checks are each checker's latest verification (``shelf``, ``fix``,
   ``evidence``, ``photo_reuse`` from the simulator, any later checker): re-verification
   appends newer ones, and the newest of a checker supersedes its older ones.
2. The status combines theirs (:func:`visitproof.reasons.combined_status`). With no check on
   record the stored status stands (normally ``received``).
3. The reasons are every current check's reasons, ``shelf``, ``fix`` and ``evidence`` first,
   then the other checkers in the order they first judged, identical ones once. A check that
   is not ``verified`` but lists no reason adds ``UNSPECIFIED`` (naming the checker); a
   check-in with no check on record that is not ``verified`` gets ``NOT_YET_JUDGED``. So a
   status other than ``verified`` always has at least one reason.

``failure_codes`` (the codes of the failing checks, what PHI groups its exclusions by) is
the same rule restricted to the checks that did not pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from visitproof.reasons import ReasonCode, combined_status, reason
from visitproof.records import Checkin, CheckinStatus, Reason, Verification

CHECKER_ORDER = ("shelf", "fix", "evidence")
"""The checkers whose reasons come first, in this order (the upload's own checks)."""


@dataclass(frozen=True, slots=True)
class CheckinVerdict:
    """The status of one check-in, its reasons and the checks both come from (each checker's
    latest verification, in reason order)."""

    status: CheckinStatus
    reasons: tuple[Reason, ...]
    checks: tuple[Verification, ...]
    failure_codes: tuple[str, ...]


def checkin_verdict(checkin: Checkin) -> CheckinVerdict:
    """The verdict of ``checkin`` from its verifications (the module docstring's rule)."""
    return verdict_of(checkin.verifications, stored_status=checkin.status)


def verdict_of(verifications: Iterable[Verification], *,
               stored_status: CheckinStatus = CheckinStatus.RECEIVED) -> CheckinVerdict:
    """The verdict of a check-in with ``verifications`` (oldest first); ``stored_status``
    stands only when there is none."""
    checks = current_checks(verifications)
    if not checks:
        unjudged = () if stored_status is CheckinStatus.VERIFIED else (
            reason(ReasonCode.NOT_YET_JUDGED, status=stored_status.value),)
        return CheckinVerdict(status=stored_status, reasons=unjudged, checks=(),
                              failure_codes=())
    reasons: dict[tuple[str, str], Reason] = {}
    failing: set[str] = set()
    for check in checks:
        explained = check.reasons
        if check.status is not CheckinStatus.VERIFIED and not explained:
            explained = (reason(ReasonCode.UNSPECIFIED, checker=check.checker,
                                status=check.status.value),)
        for found in explained:
            reasons.setdefault((found.code, found.message), found)
        if check.status is not CheckinStatus.VERIFIED:
            failing.update(r.code for r in explained)
    return CheckinVerdict(status=combined_status(*(c.status for c in checks)),
                          reasons=tuple(reasons.values()), checks=checks,
                          failure_codes=tuple(sorted(failing)))


def current_checks(verifications: Iterable[Verification]) -> tuple[Verification, ...]:
    """Each checker's latest verification: :data:`CHECKER_ORDER` first, then the others in
    the order they first judged."""
    latest: dict[str, Verification] = {}
    for verification in verifications:
        latest[verification.checker] = verification
    first = [latest[name] for name in CHECKER_ORDER if name in latest]
    return (*first, *(v for name, v in latest.items() if name not in CHECKER_ORDER))
