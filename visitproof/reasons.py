"""Every reason code visitproof can put on a verdict, with its severity and message, and the
one rule that turns reasons into a status.

The mobile app shows the messages ("featured product not in the golden zone", "photo
already used on 3 March") and managers filter on the codes, so a code is never renamed or
reused for another meaning; a new check adds a new code here (a test fails on any code the
service emits that this table lacks). Messages carry the numbers that decided the verdict
("1,820 m from the store, 150 m allowed (+25 m accuracy)").

Severity decides the status (:func:`status_for`): any ``reject`` reason makes a verdict
``rejected``; otherwise any ``review`` reason makes it ``needs_review``; ``info`` reasons are
reported and change nothing. A check-in's status combines its checks' the same way
(:func:`combined_status`). How much a fix reason adds to the fix's risk score is the fix
check's own business (:mod:`geo.reasons`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from visitproof.records import CheckinStatus, Reason


class Severity(StrEnum):
    """What a reason does to the verdict."""

    REJECT = "reject"
    REVIEW = "review"
    INFO = "info"


class ReasonCode(StrEnum):
    """Every reason a check-in can fail or need a look. Values are the stable codes."""

    # --- shelf photo (vision/) ---
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
    # recapture: a photo of a screen or a print (vision.recapture)
    PHOTO_RECAPTURED = "PHOTO_RECAPTURED"
    PHOTO_MAYBE_RECAPTURED = "PHOTO_MAYBE_RECAPTURED"
    # shelf content
    NO_SHELF_FOUND = "NO_SHELF_FOUND"
    FIXTURE_CUT_OFF = "FIXTURE_CUT_OFF"
    FEATURED_NOT_IN_GOLDEN_ZONE = "FEATURED_NOT_IN_GOLDEN_ZONE"
    FEATURED_ABSENT = "FEATURED_ABSENT"
    FEATURED_UNKNOWN_SKU = "FEATURED_UNKNOWN_SKU"
    # --- GPS fix and timestamps (geo/) ---
    # bad input: the fix can't be judged as given
    FIX_COORDINATE_NOT_FINITE = "FIX_COORDINATE_NOT_FINITE"
    FIX_LAT_OUT_OF_RANGE = "FIX_LAT_OUT_OF_RANGE"
    FIX_LON_OUT_OF_RANGE = "FIX_LON_OUT_OF_RANGE"
    FIX_LAT_LON_SWAPPED = "FIX_LAT_LON_SWAPPED"
    FIX_ACCURACY_INVALID = "FIX_ACCURACY_INVALID"
    TIME_NAIVE = "TIME_NAIVE"
    TIME_INVALID = "TIME_INVALID"
    TIME_IMPLAUSIBLE = "TIME_IMPLAUSIBLE"
    TIME_IN_FUTURE = "TIME_IN_FUTURE"
    # geofence
    GPS_OUTSIDE_GEOFENCE = "GPS_OUTSIDE_GEOFENCE"
    FIX_ACCURACY_POOR = "FIX_ACCURACY_POOR"
    # time rules
    TIME_ORDER = "TIME_ORDER"
    TIME_BEFORE_VISIT = "TIME_BEFORE_VISIT"
    FIX_AFTER_DEPARTURE = "FIX_AFTER_DEPARTURE"
    SUBMITTED_LATE = "SUBMITTED_LATE"
    SUBMITTED_BACKFILLED = "SUBMITTED_BACKFILLED"
    DWELL_TOO_SHORT = "DWELL_TOO_SHORT"
    DEVICE_CLOCK_SKEW = "DEVICE_CLOCK_SKEW"
    # movement
    IMPOSSIBLE_SPEED = "IMPOSSIBLE_SPEED"
    TIME_NOT_MONOTONIC = "TIME_NOT_MONOTONIC"
    # mock location and spoofing patterns
    MOCK_LOCATION_FLAG = "MOCK_LOCATION_FLAG"
    FIX_ACCURACY_ZERO = "FIX_ACCURACY_ZERO"
    FIX_ACCURACY_CONSTANT = "FIX_ACCURACY_CONSTANT"
    FIX_GRID_SNAPPED = "FIX_GRID_SNAPPED"
    FIX_REPEATED_COORDINATES = "FIX_REPEATED_COORDINATES"
    FIX_EXACTLY_ON_CUSTOMER = "FIX_EXACTLY_ON_CUSTOMER"
    TIMING_TOO_REGULAR = "TIMING_TOO_REGULAR"
    # spoofing patterns seen only with look-ahead (batch re-verification, geo.spoofing)
    FIX_ACCURACY_CONSTANT_RUN = "FIX_ACCURACY_CONSTANT_RUN"
    FIX_COORDINATES_SENT_AGAIN = "FIX_COORDINATES_SENT_AGAIN"
    # photo EXIF against the report
    EXIF_TIME_MISMATCH = "EXIF_TIME_MISMATCH"
    EXIF_POSITION_MISMATCH = "EXIF_POSITION_MISMATCH"
    # --- rules and re-verification (application/) ---
    MANDATORY_EVIDENCE_MISSING = "MANDATORY_EVIDENCE_MISSING"
    PHOTO_MISSING_FROM_STORE = "PHOTO_MISSING_FROM_STORE"
    # --- a check-in's verdict itself (visitproof.verdicts) ---
    UNSPECIFIED = "UNSPECIFIED"
    NOT_YET_JUDGED = "NOT_YET_JUDGED"
    # --- a person's decision on a needs_review check-in (application.review) ---
    REVIEW_APPROVED = "REVIEW_APPROVED"
    REVIEW_REJECTED = "REVIEW_REJECTED"


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    """How one code behaves: its severity and its message template (``str.format`` fields
    are filled by the check that raises it)."""

    severity: Severity
    template: str


_R, _V, _I = Severity.REJECT, Severity.REVIEW, Severity.INFO
C = ReasonCode

REASONS: Mapping[ReasonCode, ReasonSpec] = MappingProxyType({
    C.PHOTO_EMPTY: ReasonSpec(_R, "The photo is empty: {detail}"),
    C.PHOTO_TOO_LARGE: ReasonSpec(_R,
                                                "The photo is too large: {detail}"),
    C.PHOTO_TOO_MANY_PIXELS: ReasonSpec(_R,
                                                      "The photo is too large: {detail}"),
    C.PHOTO_UNSUPPORTED_FORMAT: ReasonSpec(_R,
                                                         "Unsupported file: {detail}"),
    C.PHOTO_TRUNCATED: ReasonSpec(_R,
                                                "The photo arrived incomplete: {detail}"),
    C.PHOTO_CORRUPT: ReasonSpec(_R, "The photo is damaged: {detail}"),
    C.PHOTO_LOW_RESOLUTION: ReasonSpec(
        _R, "Photo resolution too low ({width}×{height}, at least {minimum} px on "
        "the short side): retake with the full camera resolution"),
    C.PHOTO_BLURRY: ReasonSpec(
        _R, "Photo is blurred (sharpness {score:.0f}, at least {minimum:.0f} "
        "needed): hold the phone still and retake"),
    C.PHOTO_TOO_DARK: ReasonSpec(
        _R, "Photo is too dark (mean brightness {mean:.0f}/255): turn on the "
        "light or step closer and retake"),
    C.PHOTO_OVEREXPOSED: ReasonSpec(
        _R, "Photo is overexposed ({share:.0%} of pixels washed out): avoid glare "
        "and retake"),
    C.EXIF_UNREADABLE: ReasonSpec(
        _I, "The photo's metadata can't be read; judged on its pixels only"),
    C.EXIF_BAD_DATETIME: ReasonSpec(
        _I, "The photo's capture time in its metadata is malformed"),
    C.EXIF_BAD_GPS: ReasonSpec(
        _I, "The photo's GPS position in its metadata is malformed"),
    C.EXIF_BAD_GPS_TIME: ReasonSpec(
        _I, "The photo's GPS time in its metadata is malformed"),
    C.PHOTO_REUSED: ReasonSpec(
        _R, "Photo already used on {date} (check-in {checkin}): take a new photo "
        "of the shelf"),
    C.PHOTO_NEAR_DUPLICATE: ReasonSpec(
        _R, "Photo is a near copy of one used on {date} (check-in {checkin}): take "
        "a new photo of the shelf"),
    C.PHOTO_STALE_SHELF: ReasonSpec(
        _V, "Shelf looks identical to the last accepted photo of this store "
        "({date})"),
    C.PHOTO_RECAPTURED: ReasonSpec(
        _R, "Photo looks like a picture of a screen or a print (score {score}): "
        "photograph the shelf itself"),
    C.PHOTO_MAYBE_RECAPTURED: ReasonSpec(
        _V, "Photo may be a picture of a screen or a print (score {score}, metadata "
        "hints: {hints}); a manager will check it"),
    C.NO_SHELF_FOUND: ReasonSpec(
        _V, "No shelf found in the photo: photograph the whole fixture, front on"),
    C.FIXTURE_CUT_OFF: ReasonSpec(
        _V, "The top of the fixture is not in the photo, so shelves can't be "
        "counted from the top: step back and include the whole fixture"),
    C.FEATURED_NOT_IN_GOLDEN_ZONE: ReasonSpec(
        _R, "Featured product {sku} is not in the golden zone (rows {zone}); "
        "found on rows {rows}"),
    C.FEATURED_ABSENT: ReasonSpec(
        _R, "Featured product {sku} is not on the shelf"),
    C.FEATURED_UNKNOWN_SKU: ReasonSpec(
        _V, "Featured product {sku} has no reference images; register it with "
        "`visitproof products add`"),
    C.FIX_COORDINATE_NOT_FINITE: ReasonSpec(_R, "the position is not a number ({value})"),
    C.FIX_LAT_OUT_OF_RANGE: ReasonSpec(_R, "latitude {value} is outside -90..90"),
    C.FIX_LON_OUT_OF_RANGE: ReasonSpec(_R, "longitude {value} is outside -180..180"),
    C.FIX_LAT_LON_SWAPPED: ReasonSpec(
        _R, "latitude and longitude look swapped: swapped back the fix is {distance} "
        "from the store"),
    C.FIX_ACCURACY_INVALID: ReasonSpec(_R, "accuracy {value} m is not a distance >= 0"),
    C.TIME_NAIVE: ReasonSpec(_R, "{field} {value} has no UTC offset"),
    C.TIME_INVALID: ReasonSpec(_R, "{field} is not a timestamp ({value})"),
    C.TIME_IMPLAUSIBLE: ReasonSpec(_R, "{field} {value} is before {earliest}, the phone "
                                   "clock or the file is wrong"),
    C.TIME_IN_FUTURE: ReasonSpec(_R, "{field} is {ahead} ahead of the server clock"),
    C.GPS_OUTSIDE_GEOFENCE: ReasonSpec(
        _R, "{distance} from the store, {allowed} allowed (+{tolerance} accuracy)"),
    C.FIX_ACCURACY_POOR: ReasonSpec(_V, "GPS accuracy {accuracy} is worse than "
                                    "{limit}; move outside or wait for a better fix"),
    C.TIME_ORDER: ReasonSpec(_R, "times out of order: {detail}"),
    C.TIME_BEFORE_VISIT: ReasonSpec(_R, "{field} is {early} before the arrival"),
    C.FIX_AFTER_DEPARTURE: ReasonSpec(_V, "{field} is {late} after the departure"),
    C.SUBMITTED_LATE: ReasonSpec(_V, "submitted {late} after leaving, {window} allowed"),
    C.SUBMITTED_BACKFILLED: ReasonSpec(_R, "submitted {late} after leaving: a back-filled "
                                       "visit ({window} allowed)"),
    C.DWELL_TOO_SHORT: ReasonSpec(_V, "stayed {dwell}, at least {minimum} expected"),
    C.DEVICE_CLOCK_SKEW: ReasonSpec(_R, "the phone clock is {skew} {direction} the "
                                    "server clock, {tolerance} tolerated"),
    C.IMPOSSIBLE_SPEED: ReasonSpec(_R, "{distance} from the previous fix in {elapsed}: "
                                   "{speed} implied, {ceiling} possible"),
    C.TIME_NOT_MONOTONIC: ReasonSpec(_R, "{field} goes back {back} from the previous "
                                     "point"),
    C.MOCK_LOCATION_FLAG: ReasonSpec(_R, "the phone reports a mock (simulated) location"),
    C.FIX_ACCURACY_ZERO: ReasonSpec(_R, "accuracy is exactly 0 m, which no real GPS "
                                    "reports"),
    C.FIX_ACCURACY_CONSTANT: ReasonSpec(_V, "the last {count} fixes all report "
                                        "accuracy {accuracy} exactly"),
    C.FIX_GRID_SNAPPED: ReasonSpec(_V, "coordinates sit exactly on a {step} degree grid"),
    C.FIX_REPEATED_COORDINATES: ReasonSpec(_R, "exactly the same coordinates as the fix "
                                           "of {when}"),
    C.FIX_EXACTLY_ON_CUSTOMER: ReasonSpec(_V, "the fix is {distance} from the store's "
                                          "registered point: real GPS never lands exactly"),
    C.TIMING_TOO_REGULAR: ReasonSpec(_V, "the last {count} fixes are {gap} apart to "
                                     "within {spread}"),
    C.FIX_ACCURACY_CONSTANT_RUN: ReasonSpec(_V, "one of {count} fixes in a row that all "
                                            "report accuracy {accuracy} exactly"),
    C.FIX_COORDINATES_SENT_AGAIN: ReasonSpec(_V, "the fix of {when} sends exactly the same "
                                             "coordinates again"),
    C.EXIF_TIME_MISMATCH: ReasonSpec(_R, "the photo's EXIF time is {difference} "
                                     "{direction} the reported capture time"),
    C.EXIF_POSITION_MISMATCH: ReasonSpec(_R, "the photo's EXIF position is {distance} "
                                         "from the GPS fix, {allowed} allowed"),
    C.MANDATORY_EVIDENCE_MISSING: ReasonSpec(_V, "{evidence} for a {customer_type} customer "
                                             "(rules version {version})"),
    C.PHOTO_MISSING_FROM_STORE: ReasonSpec(
        _V, "the photo of check-in {checkin} is missing from the photo store: {detail}"),
    C.UNSPECIFIED: ReasonSpec(_V, "the {checker} check answered {status} without giving a "
                              "reason"),
    C.NOT_YET_JUDGED: ReasonSpec(_V, "no check has judged this check-in yet (status "
                                 "{status})"),
    C.REVIEW_APPROVED: ReasonSpec(_I, "approved on review by {reviewer} ({role}): {note}"),
    C.REVIEW_REJECTED: ReasonSpec(_R, "rejected on review by {reviewer} ({role}): {note}"),
})


def reason(code: ReasonCode, **values: Any) -> Reason:
    """A :class:`Reason` with the code's message filled in from ``values``."""
    return Reason(code=code.value, message=REASONS[code].template.format(**values))


def severity_of(code: str) -> Severity:
    """The severity of ``code``; a code this table doesn't know asks for review."""
    if code not in ReasonCode.__members__:
        return Severity.REVIEW
    return REASONS[ReasonCode(code)].severity


def status_for(codes: Iterable[str]) -> CheckinStatus:
    """``rejected`` if any code rejects, else ``needs_review`` if any asks for review, else
    ``verified``."""
    severities = {severity_of(code) for code in codes}
    if Severity.REJECT in severities:
        return CheckinStatus.REJECTED
    if Severity.REVIEW in severities:
        return CheckinStatus.NEEDS_REVIEW
    return CheckinStatus.VERIFIED


def combined_status(*statuses: CheckinStatus) -> CheckinStatus:
    """A check-in's status from its checks': ``rejected`` if any rejects, else
    ``needs_review`` if any asks, else ``verified``."""
    for severe in (CheckinStatus.REJECTED, CheckinStatus.NEEDS_REVIEW):
        if severe in statuses:
            return severe
    return CheckinStatus.VERIFIED
