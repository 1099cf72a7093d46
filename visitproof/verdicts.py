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
4. A person's decision overrides the machine. A ``review`` verification
   (:data:`REVIEW_CHECKER`, written by :mod:`application.review` when a manager approves or
   rejects a ``needs_review`` check-in) is not combined with the machine's checks: the
   latest one *is* the status (``verified`` for an approval, ``rejected`` for a rejection),
   whatever the checks of rule 2 say, including checks appended after it (a re-verification
   does not undo a person's decision; its checks still show among the reasons). The reasons
   are the machine's, as in rule 3, then the decision's own (``REVIEW_APPROVED`` or
   ``REVIEW_REJECTED``, naming the reviewer and carrying the note), so an approved check-in
   still shows what the machine found.

``failure_codes`` (the codes of the failing checks, what PHI groups its exclusions by) is
the same rule restricted to the checks that did not pass: a rejection on review adds
``REVIEW_REJECTED`` to the machine's failing codes; an approval removes none of them (the
checks did fail; PHI only reads the codes of check-ins it excludes, and an approved one is
``verified``), which keeps the rule the one :mod:`application.phi_inputs` computes over the
store's columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from visitproof.reasons import ReasonCode, combined_status, reason
from visitproof.records import Checkin, CheckinStatus, Reason, Verification

CHECKER_ORDER = ("shelf", "fix", "evidence")
"""The checkers whose reasons come first, in this order (the upload's own checks)."""

REVIEW_CHECKER = "review"
"""The checker name of a person's decision (rule 4): it overrides, never combines."""


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
    decision = next((c for c in checks if c.checker == REVIEW_CHECKER), None)
    if decision is not None:  # rule 4: the decision's reason comes last
        checks = (*(c for c in checks if c is not decision), decision)
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
    status = decision.status if decision is not None else combined_status(
        *(c.status for c in checks))
    return CheckinVerdict(status=status,
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
