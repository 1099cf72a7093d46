"""One check-in's verdict assembled from its checks: the shelf verdict, the fix verdict and,
under a rule set, the evidence check, each a :class:`~visitproof.records.Verification`
stamped with the rule set's version; the check-in's status combines theirs
(:func:`visitproof.verdicts.verdict_of`, the rule every reader of a verdict uses).
Nothing here reads or writes the store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from application.applied_rules import AppliedRules
from geo.fix_integrity import ExifEvidence, FixVerdict
from vision.shelf_verification import ShelfVerdict
from visitproof.reasons import status_for
from visitproof.records import Checkin, CheckinStatus, Verification
from visitproof.verdicts import verdict_of


@dataclass(frozen=True, slots=True)
class Judgement:
    """A check-in's verdict: its combined status, its photo's perceptual hash and the
    verifications to append, each stamped with the rule set's version
    (``Verification.rules_version``). Nothing stored yet."""

    status: CheckinStatus
    photo_phash: int | None
    verifications: tuple[Verification, ...]


def judgement_of(checkin: Checkin, shelf: ShelfVerdict, fix: FixVerdict,
                 applied: AppliedRules, *, judged_at: datetime) -> Judgement:
    """The verifications of ``checkin`` (``shelf``, ``fix``, and ``evidence`` under a rule
    set) and their combined status; ``judged_at`` (UTC) stamps them."""
    version = applied.version
    shelf_check = shelf.to_verification(checkin.id, judged_at)
    checks = [replace(shelf_check, rules_version=version,
                      details={**shelf_check.details, "fixture_type": applied.fixture_type}),
              replace(fix.to_verification(checkin.id, judged_at), rules_version=version)]
    if applied.version is not None:
        checks.append(Verification(
            checkin_id=checkin.id, checker="evidence",
            status=status_for(r.code for r in applied.missing_evidence),
            reasons=applied.missing_evidence, model_version=None,
            policy_version=f"rules-{applied.version}", verified_at=judged_at,
            rules_version=version, details={"required": list(applied.required_evidence)}))
    return Judgement(status=verdict_of(checks).status,
                     photo_phash=shelf.perceptual_hash, verifications=tuple(checks))


def stored_fixture_type(checkin: Checkin) -> str | None:
    """The fixture type a stored check-in was uploaded with (from its latest shelf
    verification; None: the rules' default was used)."""
    shelf = checkin.latest("shelf")
    value = shelf.details.get("fixture_type") if shelf is not None else None
    return value if isinstance(value, str) else None


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, clamped to the calendar's ends (a fix stamped in year 9999 is a
    verdict's problem, not a crash)."""
    try:
        return moment + delta
    except OverflowError:
        return (datetime.max if delta > timedelta(0) else datetime.min).replace(tzinfo=UTC)


def exif_evidence(shelf: ShelfVerdict) -> ExifEvidence | None:
    """What the photo's EXIF says about when and where it was taken, for the fix check."""
    exif = shelf.exif
    if exif is None or (exif.captured_at is None and not exif.has_position):
        return None
    return ExifEvidence(captured_at=exif.captured_at, lat=exif.lat, lon=exif.lon)
