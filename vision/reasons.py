"""The stable reason codes of the shelf-photo checks, with severity and message template.

The mobile app shows the messages ("featured product not in the golden zone", "photo already
used on 3 March") and managers filter on the codes, so a code is never renamed or reused.
Severity decides the verdict: any ``reject`` reason makes it ``rejected``; otherwise any
``review`` reason makes it ``needs_review``; ``info`` reasons are reported and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from visitproof.records import CheckinStatus, Reason


class ShelfReasonCode(StrEnum):
    """Every reason a shelf photo can fail or need a look. Values are the stable codes."""

    # the file itself (from vision.photo_decode.PhotoProblem)
    PHOTO_EMPTY = "PHOTO_EMPTY"
    PHOTO_TOO_LARGE = "PHOTO_TOO_LARGE"
    PHOTO_TOO_MANY_PIXELS = "PHOTO_TOO_MANY_PIXELS"
    PHOTO_UNSUPPORTED_FORMAT = "PHOTO_UNSUPPORTED_FORMAT"
    PHOTO_TRUNCATED = "PHOTO_TRUNCATED"
    PHOTO_CORRUPT = "PHOTO_CORRUPT"
    # quality gate: retake
    PHOTO_LOW_RESOLUTION = "PHOTO_LOW_RESOLUTION"
    PHOTO_BLURRY = "PHOTO_BLURRY"
    PHOTO_TOO_DARK = "PHOTO_TOO_DARK"
    PHOTO_OVEREXPOSED = "PHOTO_OVEREXPOSED"
    # metadata
    EXIF_UNREADABLE = "EXIF_UNREADABLE"
    EXIF_BAD_DATETIME = "EXIF_BAD_DATETIME"
    EXIF_BAD_GPS = "EXIF_BAD_GPS"
    EXIF_BAD_GPS_TIME = "EXIF_BAD_GPS_TIME"
    # re-use
    PHOTO_REUSED = "PHOTO_REUSED"
    PHOTO_NEAR_DUPLICATE = "PHOTO_NEAR_DUPLICATE"
    PHOTO_STALE_SHELF = "PHOTO_STALE_SHELF"
    # shelf content
    NO_SHELF_FOUND = "NO_SHELF_FOUND"
    FIXTURE_CUT_OFF = "FIXTURE_CUT_OFF"
    FEATURED_NOT_IN_GOLDEN_ZONE = "FEATURED_NOT_IN_GOLDEN_ZONE"
    FEATURED_ABSENT = "FEATURED_ABSENT"
    FEATURED_UNKNOWN_SKU = "FEATURED_UNKNOWN_SKU"


class Severity(StrEnum):
    REJECT = "reject"
    REVIEW = "review"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    severity: Severity
    template: str


SPECS: dict[ShelfReasonCode, ReasonSpec] = {
    ShelfReasonCode.PHOTO_EMPTY: ReasonSpec(Severity.REJECT, "The photo is empty: {detail}"),
    ShelfReasonCode.PHOTO_TOO_LARGE: ReasonSpec(Severity.REJECT,
                                                "The photo is too large: {detail}"),
    ShelfReasonCode.PHOTO_TOO_MANY_PIXELS: ReasonSpec(Severity.REJECT,
                                                      "The photo is too large: {detail}"),
    ShelfReasonCode.PHOTO_UNSUPPORTED_FORMAT: ReasonSpec(Severity.REJECT,
                                                         "Unsupported file: {detail}"),
    ShelfReasonCode.PHOTO_TRUNCATED: ReasonSpec(Severity.REJECT,
                                                "The photo arrived incomplete: {detail}"),
    ShelfReasonCode.PHOTO_CORRUPT: ReasonSpec(Severity.REJECT, "The photo is damaged: {detail}"),
    ShelfReasonCode.PHOTO_LOW_RESOLUTION: ReasonSpec(
        Severity.REJECT, "Photo resolution too low ({width}×{height}, at least {minimum} px on "
        "the short side): retake with the full camera resolution"),
    ShelfReasonCode.PHOTO_BLURRY: ReasonSpec(
        Severity.REJECT, "Photo is blurred (sharpness {score:.0f}, at least {minimum:.0f} "
        "needed): hold the phone still and retake"),
    ShelfReasonCode.PHOTO_TOO_DARK: ReasonSpec(
        Severity.REJECT, "Photo is too dark (mean brightness {mean:.0f}/255): turn on the "
        "light or step closer and retake"),
    ShelfReasonCode.PHOTO_OVEREXPOSED: ReasonSpec(
        Severity.REJECT, "Photo is overexposed ({share:.0%} of pixels washed out): avoid glare "
        "and retake"),
    ShelfReasonCode.EXIF_UNREADABLE: ReasonSpec(
        Severity.INFO, "The photo's metadata can't be read; judged on its pixels only"),
    ShelfReasonCode.EXIF_BAD_DATETIME: ReasonSpec(
        Severity.INFO, "The photo's capture time in its metadata is malformed"),
    ShelfReasonCode.EXIF_BAD_GPS: ReasonSpec(
        Severity.INFO, "The photo's GPS position in its metadata is malformed"),
    ShelfReasonCode.EXIF_BAD_GPS_TIME: ReasonSpec(
        Severity.INFO, "The photo's GPS time in its metadata is malformed"),
    ShelfReasonCode.PHOTO_REUSED: ReasonSpec(
        Severity.REJECT, "Photo already used on {date} (check-in {checkin}): take a new photo "
        "of the shelf"),
    ShelfReasonCode.PHOTO_NEAR_DUPLICATE: ReasonSpec(
        Severity.REJECT, "Photo is a near copy of one used on {date} (check-in {checkin}): take "
        "a new photo of the shelf"),
    ShelfReasonCode.PHOTO_STALE_SHELF: ReasonSpec(
        Severity.REVIEW, "Shelf looks identical to the last accepted photo of this store "
        "({date})"),
    ShelfReasonCode.NO_SHELF_FOUND: ReasonSpec(
        Severity.REVIEW, "No shelf found in the photo: photograph the whole fixture, front on"),
    ShelfReasonCode.FIXTURE_CUT_OFF: ReasonSpec(
        Severity.REVIEW, "The top of the fixture is not in the photo, so shelves can't be "
        "counted from the top: step back and include the whole fixture"),
    ShelfReasonCode.FEATURED_NOT_IN_GOLDEN_ZONE: ReasonSpec(
        Severity.REJECT, "Featured product {sku} is not in the golden zone (rows {zone}); "
        "found on rows {rows}"),
    ShelfReasonCode.FEATURED_ABSENT: ReasonSpec(
        Severity.REJECT, "Featured product {sku} is not on the shelf"),
    ShelfReasonCode.FEATURED_UNKNOWN_SKU: ReasonSpec(
        Severity.REVIEW, "Featured product {sku} has no reference images; register it with "
        "`visitproof products add`"),
}


def reason(code: ShelfReasonCode, **values: Any) -> Reason:
    """A :class:`Reason` with the code's message filled in from ``values``."""
    return Reason(code=code.value, message=SPECS[code].template.format(**values))


def status_for(reasons: Iterable[Reason]) -> CheckinStatus:
    """``rejected`` if any reason rejects, else ``needs_review`` if any asks for review."""
    severities = {SPECS[ShelfReasonCode(r.code)].severity for r in reasons
                  if r.code in ShelfReasonCode.__members__}
    if Severity.REJECT in severities:
        return CheckinStatus.REJECTED
    if Severity.REVIEW in severities:
        return CheckinStatus.NEEDS_REVIEW
    return CheckinStatus.VERIFIED
