"""Every error code visitproof answers or raises, with what it means: the registry.

A reason code (:mod:`visitproof.reasons`) explains a *verdict*; an error code explains why a
request, a file or a command was refused before anything could be judged (a 4xx or 5xx
body's ``code``, an exception's :attr:`~visitproof.errors.VisitproofError.code`, a row
error of an import). The phone and the CLI's callers switch on these codes, so a code is
never renamed or reused for another meaning; a new refusal adds a member here (a test walks
the source tree and fails on any ``code=`` this enum lacks, and on any member no code uses).

The codes are raised as plain strings all over the tree (``InvalidValue(..., code="TIME_ORDER")``),
which equal these members (a :class:`~enum.StrEnum`); the HTTP schemas type their ``code``
with it, so the OpenAPI document lists every value. The photo-file codes
(``PHOTO_EMPTY`` ...) are :class:`vision.photo_decode.PhotoProblem`'s and double as reason
codes: an unreadable upload is refused with one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class ErrorCode(StrEnum):
    """Every stable error code (the table follows; ``visitproof.error_codes``)."""

    # --- who is calling (serving.auth, serving.form_token, serving.ray_app) ---
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    CSRF_REJECTED = "CSRF_REJECTED"
    INTERNAL_PORT = "INTERNAL_PORT"
    UNKNOWN_TOKEN = "UNKNOWN_TOKEN"
    BAD_TOKEN_ID = "BAD_TOKEN_ID"
    # --- the request as HTTP (serving.errors, serving.upload_limit, serving.rate_limit) ---
    BAD_REQUEST = "BAD_REQUEST"
    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    RATE_LIMITED = "RATE_LIMITED"
    SERVER_BUSY = "SERVER_BUSY"
    DUPLICATE_FIELD = "DUPLICATE_FIELD"
    # --- one value (visitproof.values, the records, the request schemas) ---
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_VALUE = "INVALID_VALUE"
    MISSING_FIELD = "MISSING_FIELD"
    EMPTY_FIELD = "EMPTY_FIELD"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    BAD_TYPE = "BAD_TYPE"
    BAD_JSON = "BAD_JSON"
    BAD_VALUE = "BAD_VALUE"
    BAD_TEXT = "BAD_TEXT"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    BAD_NUMBER = "BAD_NUMBER"
    NUMBER_NOT_FINITE = "NUMBER_NOT_FINITE"
    COORDINATE_NOT_FINITE = "COORDINATE_NOT_FINITE"
    LAT_OUT_OF_RANGE = "LAT_OUT_OF_RANGE"
    LON_OUT_OF_RANGE = "LON_OUT_OF_RANGE"
    BAD_IDENTIFIER = "BAD_IDENTIFIER"
    BAD_SHA256 = "BAD_SHA256"
    BAD_GEOMETRY = "BAD_GEOMETRY"
    BAD_LINK = "BAD_LINK"
    UNKNOWN_ENUM_VALUE = "UNKNOWN_ENUM_VALUE"
    STRATEGY_REQUIRED = "STRATEGY_REQUIRED"
    STRATEGY_NOT_ONE_SENTENCE = "STRATEGY_NOT_ONE_SENTENCE"
    # --- times and periods ---
    NAIVE_TIMESTAMP = "NAIVE_TIMESTAMP"
    BAD_TIMESTAMP = "BAD_TIMESTAMP"
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
    TIME_ORDER = "TIME_ORDER"
    DUE_TOO_FAR = "DUE_TOO_FAR"
    BAD_DATE = "BAD_DATE"
    BAD_PERIOD = "BAD_PERIOD"
    PERIOD_TOO_LONG = "PERIOD_TOO_LONG"
    MISSING_PERIOD = "MISSING_PERIOD"
    BAD_TIMEZONE = "BAD_TIMEZONE"
    # --- references to stored records ---
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
    UNKNOWN_REP = "UNKNOWN_REP"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    UNKNOWN_CHECKIN = "UNKNOWN_CHECKIN"
    REP_INACTIVE = "REP_INACTIVE"
    REP_NOT_FOUND = "REP_NOT_FOUND"
    TEAM_NOT_FOUND = "TEAM_NOT_FOUND"
    TENANT_NOT_FOUND = "TENANT_NOT_FOUND"
    TENANT_MISMATCH = "TENANT_MISMATCH"
    DUPLICATE_ID = "DUPLICATE_ID"
    # --- conflicts with what is stored (409) ---
    CONFLICT = "CONFLICT"
    CHECKIN_ID_CONFLICT = "CHECKIN_ID_CONFLICT"
    LEAD_ID_CONFLICT = "LEAD_ID_CONFLICT"
    TOUCH_ID_CONFLICT = "TOUCH_ID_CONFLICT"
    CONTACT_ID_CONFLICT = "CONTACT_ID_CONFLICT"
    ACTION_ALREADY_COMPLETED = "ACTION_ALREADY_COMPLETED"
    STALE_RULES_VERSION = "STALE_RULES_VERSION"
    NOT_UNDER_REVIEW = "NOT_UNDER_REVIEW"
    # --- the photo file (vision.photo_decode.PhotoProblem, serving.checkin_upload) ---
    PHOTO_EMPTY = "PHOTO_EMPTY"
    PHOTO_TOO_LARGE = "PHOTO_TOO_LARGE"
    PHOTO_TOO_MANY_PIXELS = "PHOTO_TOO_MANY_PIXELS"
    PHOTO_UNSUPPORTED_FORMAT = "PHOTO_UNSUPPORTED_FORMAT"
    PHOTO_TRUNCATED = "PHOTO_TRUNCATED"
    PHOTO_CORRUPT = "PHOTO_CORRUPT"
    PHOTO_TYPE_MISMATCH = "PHOTO_TYPE_MISMATCH"
    # --- rules and policies (application.rules, vision.golden_zone, phi.score) ---
    UNKNOWN_FIXTURE_TYPE = "UNKNOWN_FIXTURE_TYPE"
    UNKNOWN_EVIDENCE = "UNKNOWN_EVIDENCE"
    BAD_POLICY = "BAD_POLICY"
    BAD_PHI_WEIGHTS = "BAD_PHI_WEIGHTS"
    BAD_PHI_TARGETS = "BAD_PHI_TARGETS"
    BAD_PHI_TABLE = "BAD_PHI_TABLE"
    BAD_TABLE = "BAD_TABLE"
    CRS_MISMATCH = "CRS_MISMATCH"
    EMPTY_INPUT = "EMPTY_INPUT"
    # --- products and models ---
    BAD_REFERENCES = "BAD_REFERENCES"
    BAD_TOP = "BAD_TOP"
    GALLERY_EMPTY = "GALLERY_EMPTY"
    MODEL_MISSING = "MODEL_MISSING"
    MODEL_UNSUPPORTED = "MODEL_UNSUPPORTED"
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE"
    RAY_MISSING = "RAY_MISSING"
    # --- files (import, export, the CLI) ---
    IMPORT_REJECTED = "IMPORT_REJECTED"
    UNKNOWN_KIND = "UNKNOWN_KIND"
    MISSING_COLUMN = "MISSING_COLUMN"
    EXTRA_FIELDS = "EXTRA_FIELDS"
    EMPTY_FILE = "EMPTY_FILE"
    BAD_ENCODING = "BAD_ENCODING"
    BAD_GEOJSON = "BAD_GEOJSON"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_UNREADABLE = "FILE_UNREADABLE"
    FILE_UNWRITABLE = "FILE_UNWRITABLE"
    MISSING_OUTPUT = "MISSING_OUTPUT"
    SIGNING_KEY_IN_DATA_DIR = "SIGNING_KEY_IN_DATA_DIR"
    # --- visit notes (application.visit_notes, application.visit_note_audio) ---
    VISIT_NOTE_EMPTY = "VISIT_NOTE_EMPTY"
    VISIT_NOTE_BOTH = "VISIT_NOTE_BOTH"
    VISIT_NOTE_NOT_FOUND = "VISIT_NOTE_NOT_FOUND"
    VISIT_NOTE_ALREADY_USED = "VISIT_NOTE_ALREADY_USED"
    AUDIO_EMPTY = "AUDIO_EMPTY"
    AUDIO_TOO_LARGE = "AUDIO_TOO_LARGE"
    AUDIO_TOO_LONG = "AUDIO_TOO_LONG"
    AUDIO_UNREADABLE = "AUDIO_UNREADABLE"
    AUDIO_UNSUPPORTED_FORMAT = "AUDIO_UNSUPPORTED_FORMAT"
    # --- infrastructure (503 and 500) ---
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    STORE_LOCKED = "STORE_LOCKED"
    STORE_CORRUPT = "STORE_CORRUPT"
    STORE_NOT_INITIALISED = "STORE_NOT_INITIALISED"
    DETECTOR_UNAVAILABLE = "DETECTOR_UNAVAILABLE"
    NOT_READY = "NOT_READY"
    INTERNAL = "INTERNAL"
    VISITPROOF_ERROR = "VISITPROOF_ERROR"


E = ErrorCode

ERROR_CODES: Mapping[ErrorCode, str] = MappingProxyType({
    E.UNAUTHENTICATED: "no valid bearer token: missing, malformed, unknown, expired or "
                       "revoked (401)",
    E.FORBIDDEN: "the token's role may not do this at all (403)",
    E.CSRF_REJECTED: "a manager page's form post without the session's form token (403)",
    E.INTERNAL_PORT: "a Ray Serve replica's internal port, called from outside (403)",
    E.UNKNOWN_TOKEN: "no such token id (the CLI's token commands)",
    E.BAD_TOKEN_ID: "a token id that is not a whole number (the CLI)",
    E.BAD_REQUEST: "an HTTP refusal with no more specific code (4xx)",
    E.MALFORMED_REQUEST: "the body or the request can't be parsed at all: broken multipart "
                         "or JSON framing, invalid HTTP/1.1 (400)",
    E.METHOD_NOT_ALLOWED: "the path does not take this HTTP method (405)",
    E.PAYLOAD_TOO_LARGE: "the request body is over the upload limit (413)",
    E.REQUEST_TIMEOUT: "the request body arrived too slowly (408)",
    E.RATE_LIMITED: "too many requests from this caller; retry after Retry-After (429)",
    E.SERVER_BUSY: "too many large uploads at once; retry after Retry-After (503)",
    E.DUPLICATE_FIELD: "a form field sent more than once (422)",
    E.INVALID_INPUT: "input that can't be accepted as given (the generic case)",
    E.INVALID_VALUE: "a value failed validation, no more specific code (422)",
    E.MISSING_FIELD: "a required field is absent or null",
    E.EMPTY_FIELD: "a required text is empty or blank",
    E.UNKNOWN_FIELD: "a field (or query parameter) this endpoint does not know",
    E.BAD_TYPE: "a value of the wrong JSON type (a string for a number, ...)",
    E.BAD_JSON: "text that is not valid JSON",
    E.BAD_VALUE: "a value that can't be read (a file cell, a true/false)",
    E.BAD_TEXT: "a text with a NUL character",
    E.TOO_LONG: "a text longer than the field allows",
    E.OUT_OF_RANGE: "a number outside its allowed range",
    E.BAD_NUMBER: "not a number, negative where it must not be, or not finite in a file",
    E.NUMBER_NOT_FINITE: "a NaN or an infinity where a number is expected (JSON has none)",
    E.COORDINATE_NOT_FINITE: "a latitude or longitude that is NaN or infinite",
    E.LAT_OUT_OF_RANGE: "a latitude outside -90..90",
    E.LON_OUT_OF_RANGE: "a longitude outside -180..180",
    E.BAD_IDENTIFIER: "an id that is not a valid identifier (a UUID where one is needed)",
    E.BAD_SHA256: "not 64 lowercase hex characters",
    E.BAD_GEOMETRY: "a geometry that can't be read or is not a valid polygon",
    E.BAD_LINK: "a link that is not a path on this site (/...)",
    E.UNKNOWN_ENUM_VALUE: "a value outside the field's list (a type, tier, role, kind)",
    E.STRATEGY_REQUIRED: "a pushed next action completed without the rep's one-sentence "
                         "strategy for the follow-up (visitproof.pushed_actions)",
    E.STRATEGY_NOT_ONE_SENTENCE: "a strategy that is not one sentence: a line break, or a "
                                 "sentence end before the last",
    E.NAIVE_TIMESTAMP: "a timestamp without a UTC offset",
    E.BAD_TIMESTAMP: "a timestamp that can't be read or is outside the years 1 to 9999",
    E.FUTURE_TIMESTAMP: "a time that lies in the future",
    E.TIME_ORDER: "a time before the time it must follow",
    E.DUE_TOO_FAR: "a next action due too far after the visit",
    E.BAD_DATE: "a date that can't be read or lies outside the calendar",
    E.BAD_PERIOD: "a period that can't be read or ends before it begins",
    E.PERIOD_TOO_LONG: "a period longer than the report allows",
    E.MISSING_PERIOD: "no period given where one is required (the CLI)",
    E.BAD_TIMEZONE: "not an IANA time zone name (e.g. Asia/Shanghai)",
    E.NOT_FOUND: "no such record in this tenant, or not one the caller may see (404)",
    E.UNKNOWN_CUSTOMER: "a customer id that is not in the store",
    E.UNKNOWN_REP: "a rep id that is not in the store",
    E.UNKNOWN_REGION: "a region no team of the tenant has (a promotion's region)",
    E.UNKNOWN_CHECKIN: "a check-in id that is not one of the caller's",
    E.REP_INACTIVE: "a rep who is no longer active",
    E.REP_NOT_FOUND: "no such rep in this tenant",
    E.TEAM_NOT_FOUND: "no reps in this team",
    E.TENANT_NOT_FOUND: "no such tenant in the store",
    E.TENANT_MISMATCH: "a record of another tenant than the store serves",
    E.DUPLICATE_ID: "an id used twice in one list or file",
    E.CONFLICT: "the input contradicts what is stored (409, the generic case)",
    E.CHECKIN_ID_CONFLICT: "a check-in id already used with another body (409)",
    E.LEAD_ID_CONFLICT: "a lead id already used with another body (409)",
    E.TOUCH_ID_CONFLICT: "a lead-touch id already used with another body (409)",
    E.CONTACT_ID_CONFLICT: "a contact id already used for another customer (409)",
    E.ACTION_ALREADY_COMPLETED: "the next action was already completed, differently (409)",
    E.STALE_RULES_VERSION: "rules posted on a version that is no longer the current one "
                           "(409, with current_version)",
    E.NOT_UNDER_REVIEW: "a review decision on a check-in that is not needs_review (409)",
    E.PHOTO_EMPTY: "the photo file is empty",
    E.PHOTO_TOO_LARGE: "the photo file is over the size limit",
    E.PHOTO_TOO_MANY_PIXELS: "the photo has more pixels than the decoder allows",
    E.PHOTO_UNSUPPORTED_FORMAT: "not a JPEG, PNG or WebP photo",
    E.PHOTO_TRUNCATED: "the photo file arrived incomplete",
    E.PHOTO_CORRUPT: "the photo file is damaged",
    E.PHOTO_TYPE_MISMATCH: "the photo's declared type is not its content's",
    E.UNKNOWN_FIXTURE_TYPE: "a fixture type the rules have no golden zone for",
    E.UNKNOWN_EVIDENCE: "an evidence kind the rules don't know",
    E.BAD_POLICY: "a golden-zone policy that can't be used",
    E.BAD_PHI_WEIGHTS: "PHI weights that can't be used",
    E.BAD_PHI_TARGETS: "PHI targets that can't be used",
    E.BAD_PHI_TABLE: "a PHI input table without the expected columns",
    E.BAD_TABLE: "a table without the expected columns",
    E.CRS_MISMATCH: "a coordinate reference system other than the expected one",
    E.EMPTY_INPUT: "nothing to compute on (no rows, no positions)",
    E.BAD_REFERENCES: "a product with too few or too many reference images",
    E.BAD_TOP: "a result count below 1",
    E.GALLERY_EMPTY: "no product has reference photos yet",
    E.MODEL_MISSING: "a model file that is not there",
    E.MODEL_UNSUPPORTED: "a model file of an unexpected shape",
    E.MODEL_UNAVAILABLE: "no shelf detector loaded (a readiness problem)",
    E.RAY_MISSING: "Ray Serve is not installed (the CLI's --ray)",
    E.IMPORT_REJECTED: "a file with at least one bad row; nothing was imported",
    E.UNKNOWN_KIND: "an import kind other than customers, reps, leads or contacts",
    E.MISSING_COLUMN: "a required column is absent from the file",
    E.EXTRA_FIELDS: "a row with more fields than the header",
    E.EMPTY_FILE: "a file with no data",
    E.BAD_ENCODING: "a file that is not UTF-8 text",
    E.BAD_GEOJSON: "a file that is not a GeoJSON FeatureCollection",
    E.FILE_TOO_LARGE: "a file over the import limit",
    E.FILE_UNREADABLE: "a file that can't be read",
    E.FILE_UNWRITABLE: "a file that can't be written",
    E.MISSING_OUTPUT: "no output named (the CLI)",
    E.SIGNING_KEY_IN_DATA_DIR: "the archive's signing key path lies inside the data folder it "
                               "signs; set VISITPROOF_SIGNING_KEY outside it",
    E.VISIT_NOTE_EMPTY: "a visit note with neither text nor a recording (422)",
    E.VISIT_NOTE_BOTH: "a visit note with both text and a recording; send one (422)",
    E.VISIT_NOTE_NOT_FOUND: "a visit_note_id that is not one of the rep's notes (422)",
    E.VISIT_NOTE_ALREADY_USED: "a visit note already used for another check-in (409)",
    E.AUDIO_EMPTY: "a recording of 0 bytes (422)",
    E.AUDIO_TOO_LARGE: "a recording over the size limit (413)",
    E.AUDIO_TOO_LONG: "a recording longer than the note limit (422)",
    E.AUDIO_UNREADABLE: "not a WAV or OGG recording, or one that can't be decoded (422)",
    E.AUDIO_UNSUPPORTED_FORMAT: "a recording in another audio format (MP3, M4A, ...); "
                                "send WAV or OGG (422)",
    E.STORE_UNAVAILABLE: "the store is busy or unavailable; retry (503, Retry-After: 1)",
    E.STORE_LOCKED: "another process holds the database lock",
    E.STORE_CORRUPT: "the file is not a database, or its schema is unknown",
    E.STORE_NOT_INITIALISED: "`visitproof init` has not been run",
    E.DETECTOR_UNAVAILABLE: "the shelf detector did not answer; nothing stored, send the "
                            "same upload again (503, Retry-After: 5)",
    E.NOT_READY: "not ready for uploads; details list why (503)",
    E.INTERNAL: "an unexpected error; it has been logged (500)",
    E.VISITPROOF_ERROR: "a visitproof error with no more specific code",
})

ErrorCode.__doc__ = ("A stable error code: switch on it, never on the message.\n\n" + "\n".join(
    f"- `{code.value}`: {text}" for code, text in ERROR_CODES.items()))
