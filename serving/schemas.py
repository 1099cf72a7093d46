"""The HTTP edge's shapes: what the phone sends (:class:`CheckinMeta`) and what the API answers.

Input models are strict: unknown fields are refused, numbers must be JSON numbers (no
``"1.5"``), NaN and infinities are refused anywhere in a body (:class:`FiniteBody`), every
timestamp must carry a UTC offset (it is converted to UTC on the way in). Range rules
(latitude within ±90, non-blank texts) are the domain records' (:mod:`visitproof.values`),
so the import, the CLI and the API share one set of error codes. :mod:`serving.errors`
turns a validation failure into ``ErrorPublic``.

Featured SKUs are not part of the upload: the server decides what is featured (see
:mod:`application.checkin_intake`).

Output models are typed to the last field, so the OpenAPI document is the phone's contract:
error codes are :class:`visitproof.error_codes.ErrorCode`, reason codes
:class:`visitproof.reasons.ReasonCode`, the shelf check's JSON is
:class:`ShelfVerdictPublic`. Messages are for people: they are written in the request's
language (:mod:`serving.messages`: English, or zh-CN by ``Accept-Language``) when an
answer is serialised to JSON; the models hold the English.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    JsonValue,
    SerializationInfo,
    field_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from geo.fix_integrity import FixMeasurements
from serving.messages import error_message, reason_message
from visitproof.error_codes import ErrorCode
from visitproof.reasons import ReasonCode
from visitproof.records import (
    Checkin,
    CheckinStatus,
    LocationProvider,
    NextActionKind,
    Verification,
)
from visitproof.retake import retake_codes
from visitproof.values import non_finite_path
from visitproof.verdicts import checkin_verdict


def to_utc(value: datetime) -> datetime:
    """An aware time as UTC; one past the representable years is a validation error."""
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last representable instant
        raise PydanticCustomError(
            "datetime_object_invalid",
            "the time is outside the years 1 to 9999 once converted to UTC") from None


UtcInstant = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""An ISO 8601 timestamp with an offset (``2026-11-03T09:15:00+08:00`` or ``...Z``), as UTC."""


class FiniteBody(BaseModel):
    """Base of the JSON-body input models (``POST /v1/rules``, leads, contacts, actions): a
    NaN or an infinity anywhere in the body is refused as ``finite_number`` (422
    ``NUMBER_NOT_FINITE``) with its path, before any field is read. Python's json
    (FastAPI's body parser) reads the non-standard ``NaN``/``Infinity`` tokens and overflows
    ``1e400`` to infinity; a typed float field refuses them itself, but a number inside a
    free-form object (a golden-zone policy) would otherwise be stored as null.

    Not for :class:`CheckinMeta` and its parts: they are validated from JSON text in strict
    mode, which a model validator would turn into Python-object validation (refusing
    timestamps given as text). Their numbers are all typed floats, and
    :func:`serving.errors.validation_details` maps any refused NaN or infinity, whatever
    the field's type, to the same code."""

    @model_validator(mode="before")
    @classmethod
    def _finite_numbers(cls, data: Any) -> Any:
        found = non_finite_path(data)
        if found is not None:
            path, value = found
            raise PydanticCustomError(
                "finite_number", "{where}must be a finite number, got {value}; JSON has no "
                "NaN or infinity", {"path": path, "value": str(value),
                                    "where": f"{path}: " if path else ""})
        return data

_STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class GpsFixBody(BaseModel):
    """The phone's position fix: degrees (WGS 84), metres (68% radius), the fix's time."""

    model_config = _STRICT

    lat: float = Field(description="Latitude, decimal degrees.", examples=[30.2741])
    lon: float = Field(description="Longitude, decimal degrees.", examples=[120.1551])
    accuracy_m: float = Field(description="Reported horizontal accuracy, metres.",
                              examples=[12.0])
    fix_time: UtcInstant = Field(description="When the fix was taken (with offset).")
    provider: LocationProvider = Field(default=LocationProvider.UNKNOWN,
                                       description="Where the phone's fix came from.")
    is_mock: bool = Field(default=False, description="The OS mock-location flag.")


class CommitmentBody(BaseModel):
    """What the customer agreed to."""

    model_config = _STRICT

    text: str = Field(max_length=2000, examples=["agrees to a trial in the DSA unit before "
                                                 "15 March"])
    contract_number: str | None = Field(default=None, max_length=100)


class NextActionBody(BaseModel):
    """The concrete next step: what, by when, with whom."""

    model_config = _STRICT

    text: str = Field(max_length=2000, examples=["send the draft contract to Dr Zhang"])
    due_at: UtcInstant
    kind: NextActionKind
    contact_id: str | None = Field(default=None, max_length=128)


class CheckinMeta(BaseModel):
    """The ``meta`` form field of ``POST /v1/checkins``: the check-in without its photo.

    ``id`` is generated by the phone once per check-in and re-sent unchanged on every retry.
    The rep is the token's user, never a field here.
    """

    model_config = _STRICT

    id: UUID = Field(description="Check-in id generated by the phone (UUID).")
    customer_id: str = Field(max_length=128)
    arrived_at: UtcInstant
    departed_at: UtcInstant
    photo_captured_at: UtcInstant
    device_submitted_at: UtcInstant | None = Field(
        default=None, description="The phone's clock when sending (to estimate clock skew).")
    fix: GpsFixBody
    commitment: CommitmentBody
    next_action: NextActionBody
    fixture_type: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="The shelf's fixture type (a key of the rules' golden_zones, e.g. "
        "\"cooler\"); omitted: the rules' default fixture type.")


_REASON_CODES: list[JsonValue] = [*sorted(code.value for code in ReasonCode)]


class ReasonPublic(BaseModel):
    """A stable reason code (the table in visitproof/reasons.py) and a
    message for the rep."""

    # Documented as an enum (the phone can switch on it); typed str, so a code a later
    # release retires still reads back from an old verification.
    code: str = Field(json_schema_extra={"enum": _REASON_CODES},
                      description="One of visitproof.reasons.ReasonCode; severity and "
                      "message template in the README's reason tables.")
    message: str = Field(description="For the rep, in the request's language (English or "
                         "zh-CN by Accept-Language); the numbers that decided it included.")

    @field_serializer("message")
    def _in_language(self, message: str, info: SerializationInfo) -> str:
        return reason_message(self.code, message) if info.mode_is_json() else message


class FixVerdictPublic(BaseModel):
    """The GPS and timestamp checks: ``risk`` in [0, 1]; measurements in metres, seconds,
    km/h (null when not measurable)."""

    status: CheckinStatus
    reasons: list[ReasonPublic]
    risk: float | None = Field(description="0 (no sign of fraud) to 1; null: not scored.")
    measurements: dict[str, float | None] = Field(description=(
        "The numbers behind the verdict, by name: "
        f"{', '.join(FixMeasurements.__slots__)} (metres, seconds, km/h by suffix; null: "
        "not measurable). Verdicts stored by older releases may carry fewer."))
    policy_version: str


Box = Annotated[list[float], Field(min_length=4, max_length=4, description="x1, y1, x2, "
                                   "y2 in pixels of the original photo.")]


class FeaturedPlacementPublic(BaseModel):
    """Where one featured SKU was found: facings in and out of the golden zone and the
    distinct rows (1 = top) holding any."""

    sku: str
    facings_in_zone: int
    facings_elsewhere: int
    rows: list[int]


class ShelfRowPublic(BaseModel):
    """One shelf row found: its bay (0 = leftmost), its row (1 = top of the bay), its box
    from the top of the tallest packs on the deck down to its edge strip."""

    bay: int
    row: int
    box: Box


class DetectionPublic(BaseModel):
    """One detection: ``label`` (product, shelf, price_tag), its box and score, the SKU
    identified (null: unknown or not a product), its row (1 = top; null: on no row found;
    0 in verdicts of older releases) and bay (-1: in none)."""

    label: str
    box: Box
    score: float
    sku: str | None = None
    row: int | None = None
    bay: int = -1


class PhotoExifPublic(BaseModel):
    """The photo's EXIF facts, each null when absent or unreadable: ``captured_local`` the
    camera's naive local time (ISO 8601, no offset), ``captured_at`` and ``gps_time`` UTC
    instants (ISO 8601 with offset), lat/lon WGS 84 degrees; ``problems`` reason codes
    such as ``EXIF_BAD_GPS``."""

    captured_local: str | None = None
    captured_at: str | None = None
    gps_time: str | None = None
    lat: float | None = None
    lon: float | None = None
    problems: list[str] = []


class PhotoQualityPublic(BaseModel):
    """The quality gate's measures: sharpness (variance of the Laplacian), mean brightness
    0..255, the share of washed-out pixels 0..1."""

    sharpness: float
    mean_brightness: float
    washed_out_share: float


class ShelfVerdictPublic(BaseModel):
    """The shelf check (``ShelfVerdict.as_json``, as stored): status and reasons, where each
    featured SKU was found against the golden-zone rows, the rows and detections found
    (boxes in pixels of the original ``image_size``, width then height), the photo's EXIF
    and quality, the model and policy that judged it, timings, the rules version and
    fixture type. A photo that couldn't be read has its one reason and nothing measured
    (nulls and empty lists). Every field is on a verdict of this release; verdicts stored
    by older ones may lack later fields (``shelf_rows``, ``rules_version``,
    ``fixture_type``); re-verified ones add ``reverify_run`` and ``previous_status``."""

    status: CheckinStatus | None = None
    reasons: list[ReasonPublic] = []
    featured: list[FeaturedPlacementPublic] = []
    golden_zone_rows: list[int] = Field(default=[], description="The golden zone's rows "
                                        "(1 = top) on this fixture.")
    share_in_zone: float | None = Field(default=None, description="The featured facings' "
                                        "share in the golden zone, 0..1; null: none found.")
    rows_per_bay: list[int] = []
    shelf_rows: list[ShelfRowPublic] = []
    detections: list[DetectionPublic] = []
    image_size: list[int] | None = Field(default=None, min_length=2, max_length=2)
    exif: PhotoExifPublic | None = None
    quality: PhotoQualityPublic | None = None
    model_version: str | None = None
    policy_version: str | None = None
    timings_ms: dict[str, float] = {}
    rules_version: int | None = Field(default=None, description="The rules version that "
                                      "judged it (null: the tenant had none).")
    fixture_type: str | None = None
    reverify_run: str | None = Field(default=None, description="The re-verification run "
                                     "that judged it (only on re-verified checks).")
    previous_status: CheckinStatus | None = Field(default=None, description="The status "
                                                  "before that run (with reverify_run).")


def _stored_shelf(value: Any, validate: core_schema.ValidatorFunctionWrapHandler) -> Any:
    validate(value)  # the shape is the documented one, or it is no answer
    return value


def _shelf_in_language(value: dict[str, Any], info: SerializationInfo) -> dict[str, Any]:
    reasons = value.get("reasons")
    if not info.mode_is_json() or not isinstance(reasons, list):
        return value
    return {**value, "reasons": [
        {**r, "message": reason_message(str(r.get("code")), str(r.get("message")))}
        if isinstance(r, dict) else r for r in reasons]}


def _shelf_schema(source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    return core_schema.no_info_wrap_validator_function(
        _stored_shelf, handler(ShelfVerdictPublic),
        serialization=core_schema.plain_serializer_function_ser_schema(
            _shelf_in_language, info_arg=True))


ShelfJson = Annotated[dict[str, Any], GetPydanticSchema(_shelf_schema)]
"""The shelf check's stored JSON, checked against and documented as
:class:`ShelfVerdictPublic`, and answered as stored (byte for byte, keys in their order;
only the reasons' messages follow the request's language). Python callers (the pages, the
annotated photo) read it as the mapping ``ShelfVerdict.from_json`` takes."""


class VerdictPublic(BaseModel):
    """The answer to an upload: the combined status (``rejected`` if any check rejects,
    else ``needs_review`` if any asks for it, else ``verified``), every reason (at least one
    unless ``verified``: :mod:`visitproof.verdicts`), and each
    check's details. ``shelf`` is the shelf check's JSON (:class:`ShelfVerdictPublic`).
    ``rules_version`` is the director's rule set that judged it (null: the tenant had
    none); its ``MANDATORY_EVIDENCE_MISSING`` reasons come after the shelf's and the fix's."""

    checkin_id: UUID
    status: CheckinStatus
    reasons: list[ReasonPublic]
    retake: bool = Field(description="True when the rep should take the shelf photo again "
                         "(blurred, dark, washed out, too small, no shelf or a cut-off "
                         "fixture): the phone should ask for a new photo under the same "
                         "check-in id rather than show a rejection.")
    retake_reasons: list[str] = Field(description="The codes that ask for the retake "
                                      "(visitproof.retake.RETAKE_CODES), in reason order.")
    rules_version: int | None = None
    shelf: ShelfJson | None
    fix: FixVerdictPublic | None

    @classmethod
    def of(cls, checkin: Checkin) -> VerdictPublic:
        """The verdict from each checker's latest verification
        (:func:`visitproof.verdicts.checkin_verdict`: the status and every reason from the
        same checks; re-verification may have added newer ones). ``shelf`` and ``fix`` detail
        the checks of those names."""
        verdict = checkin_verdict(checkin)
        shelf, fix = checkin.latest("shelf"), checkin.latest("fix")
        reasons = [ReasonPublic(code=r.code, message=r.message) for r in verdict.reasons]
        retake = retake_codes(verdict.reasons) if verdict.status is not \
            CheckinStatus.VERIFIED else ()
        shelf_json = _shelf_json(shelf) if shelf is not None else None
        version = shelf_json.get("rules_version") if shelf_json is not None else None
        return cls(
            checkin_id=checkin.id, status=verdict.status, reasons=reasons,
            retake=bool(retake), retake_reasons=list(retake),
            rules_version=version if isinstance(version, int) else None,
            shelf=shelf_json,
            fix=None if fix is None else FixVerdictPublic(
                status=fix.status,
                reasons=[ReasonPublic(code=r.code, message=r.message) for r in fix.reasons],
                risk=fix.details.get("risk"),
                measurements={name: _finite(value) for name, value
                              in (fix.details.get("measurements") or {}).items()},
                policy_version=fix.policy_version))


class CheckinPublic(BaseModel):
    """A stored check-in as the API shows it. Times are UTC."""

    id: UUID
    rep_id: str
    customer_id: str
    arrived_at: datetime
    departed_at: datetime
    photo_captured_at: datetime
    submitted_at: datetime
    device_submitted_at: datetime | None
    fix: GpsFixBody
    commitment: CommitmentBody
    next_action: NextActionBody
    photo_sha256: str
    status: CheckinStatus
    verdict: VerdictPublic

    @classmethod
    def of(cls, checkin: Checkin) -> CheckinPublic:
        """``status`` is the verdict's (its reasons explain it, never an empty list unless
        ``verified``)."""
        fix, action = checkin.fix, checkin.next_action
        verdict = VerdictPublic.of(checkin)
        return cls(
            id=checkin.id, rep_id=checkin.rep_id, customer_id=checkin.customer_id,
            arrived_at=checkin.arrived_at, departed_at=checkin.departed_at,
            photo_captured_at=checkin.photo_captured_at, submitted_at=checkin.submitted_at,
            device_submitted_at=checkin.device_submitted_at,
            fix=GpsFixBody(lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m,
                           fix_time=fix.fix_time, provider=fix.provider, is_mock=fix.is_mock),
            commitment=CommitmentBody(text=checkin.commitment.text,
                                      contract_number=checkin.commitment.contract_number),
            next_action=NextActionBody(text=action.text, due_at=action.due_at,
                                       kind=action.kind, contact_id=action.contact_id),
            photo_sha256=checkin.photo_sha256, status=verdict.status, verdict=verdict)


class CheckinsPublic(BaseModel):
    """One page of check-ins (newest submission first, by the server's ``submitted_at``);
    ``count`` matches in all pages."""

    data: list[CheckinPublic]
    count: int


def _registered_code(source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    return handler(ErrorCode)


ErrorCodeText = Annotated[str, GetPydanticSchema(_registered_code)]
"""An error code: given as its text (call sites write ``code="TIME_ORDER"``), validated as
and documented by :class:`visitproof.error_codes.ErrorCode` (the OpenAPI enum)."""

_CODE = Field(description="Stable: switch on it (visitproof.error_codes.ErrorCode).")
_MESSAGE = Field(description="For people, and may be translated: English, or zh-CN by "
                 "Accept-Language (serving.messages); never parse it.")


class ErrorDetail(BaseModel):
    """One problem of a refused request."""

    field: str | None = None
    code: ErrorCodeText = _CODE
    message: str = _MESSAGE

    @field_serializer("message")
    def _in_language(self, message: str, info: SerializationInfo) -> str:
        return error_message(self.code, message, self.field) if info.mode_is_json() \
            else message


class ErrorPublic(BaseModel):
    """Every 4xx and 5xx body. ``code`` is stable; ``message`` is for people and may be
    translated (``Accept-Language``: English or zh-CN; ``Content-Language`` says which).
    ``field`` names the offending input where there is one; ``details`` lists every
    problem when there are several; ``current_version`` (409 ``STALE_RULES_VERSION``
    only) is the tenant's current rules version, the one to post on (0: none yet)."""

    code: ErrorCodeText = _CODE
    message: str = _MESSAGE
    field: str | None = None
    details: list[ErrorDetail] | None = None
    current_version: int | None = None

    @field_serializer("message")
    def _in_language(self, message: str, info: SerializationInfo) -> str:
        return error_message(self.code, message, self.field) if info.mode_is_json() \
            else message


def _shelf_json(shelf: Verification) -> dict[str, Any]:
    """The shelf check's JSON as the API has always shown it: its details with
    ``rules_version`` just before ``fixture_type``, where the intake once stamped both.
    The version is the verification's own field; rows stored while it was also copied into
    the details carry it there already, and rows judged before rule sets (no
    ``fixture_type``, no version) show neither."""
    details = dict(shelf.details)
    if "rules_version" in details or ("fixture_type" not in details
                                      and shelf.rules_version is None):
        return details
    shown: dict[str, Any] = {}
    for key, value in details.items():
        if key == "fixture_type":
            shown["rules_version"] = shelf.rules_version
        shown[key] = value
    shown.setdefault("rules_version", shelf.rules_version)
    return shown


def _finite(value: Any) -> float | None:
    """JSON has no infinity or NaN: a measurement that isn't a finite number is null."""
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None
