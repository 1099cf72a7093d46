"""Every exception visitproof raises on purpose, in one tree.

    VisitproofError
    ├── InvalidInput            bad input from a user, a file or a request (-> 4xx, exit 2)
    │   ├── InvalidValue        one field failed validation (code, field, message)
    │   └── ImportRejected      a whole file refused, with every bad row listed
    ├── Conflict                the input contradicts what is stored (-> 409)
    │   ├── CheckinIdConflict   a check-in id already used with another body
    │   ├── StaleRulesVersion   rules posted on a version that is no longer the current one
    │   └── NotUnderReview      a review decision on a check-in that is not (or no longer)
    │                           ``needs_review``
    └── StoreError              the store can't be used (-> 503, exit 3)
        ├── StoreLocked         another process holds the database lock
        ├── StoreCorrupt        the file is not a database, or its schema is unknown
        └── StoreNotInitialised `visitproof init` has not been run

A failed *check* (a photo outside the golden zone, a fix 2 km from the store) is not an
exception: it is a verdict with reason codes. Exceptions are for input that can't be judged
at all and for broken infrastructure.
"""

from __future__ import annotations

from dataclasses import dataclass


class VisitproofError(Exception):
    """Root of every deliberate visitproof exception."""

    code: str = "VISITPROOF_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(VisitproofError):
    """Input that can't be accepted as given; the message says what to change."""

    code = "INVALID_INPUT"


class InvalidValue(InvalidInput):
    """One field of a record failed validation.

    ``code`` is a stable identifier (for example ``LAT_OUT_OF_RANGE``) that clients and
    managers can filter on; ``field`` names the offending field.
    """

    def __init__(self, field: str, message: str, *, code: str) -> None:
        super().__init__(f"{field}: {message}", code=code)
        self.field = field
        self.reason = message


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row of an imported file. ``line`` counts from 1 at the header."""

    line: int
    field: str
    code: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason} [{self.code}]"


class ImportRejected(InvalidInput):
    """A file with at least one bad row; nothing from it was imported."""

    code = "IMPORT_REJECTED"

    def __init__(self, source: str, errors: list[RowError]) -> None:
        plural = "s" if len(errors) != 1 else ""
        super().__init__(
            f"{source}: {len(errors)} problem{plural} found, nothing imported"
        )
        self.source = source
        self.errors = errors


class Conflict(VisitproofError):
    """The input contradicts what is already stored; ``code`` names which record."""

    code = "CONFLICT"


class CheckinIdConflict(Conflict):
    """A check-in id already submitted with a different body (a retry must repeat the body)."""

    code = "CHECKIN_ID_CONFLICT"


class StaleRulesVersion(Conflict):
    """Rules edited from ``base_version`` while the tenant's current version is
    ``current_version`` (0: the tenant has none): another director saved in between, so
    storing them would silently undo that edit. Nothing was stored; re-read the current
    version, apply the change to it and post again on ``current_version``."""

    code = "STALE_RULES_VERSION"

    def __init__(self, base_version: int, current_version: int) -> None:
        current = "the tenant has no rules yet (0)" if current_version == 0 else \
            f"the current version is {current_version}"
        super().__init__(f"these rules were edited from version {base_version}, but "
                         f"{current}; nothing was stored: apply your change to version "
                         f"{current_version} and post it with base_version "
                         f"{current_version}")
        self.base_version = base_version
        self.current_version = current_version


class NotUnderReview(Conflict):
    """A review decision on a check-in whose status is not ``needs_review``: it was never
    waiting for a person, or another reviewer decided first (the first decision stands)."""

    code = "NOT_UNDER_REVIEW"


class StoreError(VisitproofError):
    """The store can't be read or written."""

    code = "STORE_UNAVAILABLE"


class StoreLocked(StoreError):
    code = "STORE_LOCKED"


class StoreCorrupt(StoreError):
    code = "STORE_CORRUPT"


class StoreNotInitialised(StoreError):
    code = "STORE_NOT_INITIALISED"


class NotFound(InvalidInput):
    """A referenced record does not exist (in this tenant)."""

    code = "NOT_FOUND"
