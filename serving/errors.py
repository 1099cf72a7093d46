"""The one place where exceptions become HTTP responses.

The serving layer's own failures, which have no meaning outside HTTP:

    ApiError
    ├── Unauthenticated     401 UNAUTHENTICATED      no, malformed, unknown, expired or
    │                                                revoked bearer token
    ├── Forbidden           403 FORBIDDEN            the role may not do this at all
    ├── CsrfRejected        403 CSRF_REJECTED        a manager page's form post without the
    │                                                session's form token (serving.form_token)
    ├── LeadIdConflict      409 LEAD_ID_CONFLICT     lead id already used with another body
    ├── TouchIdConflict     409 TOUCH_ID_CONFLICT    lead-touch id already used ...
    ├── ContactIdConflict   409 CONTACT_ID_CONFLICT  contact id already used for another customer
    └── ActionAlreadyCompleted
                            409 ACTION_ALREADY_COMPLETED  the next action was already completed
                                                     (by someone else, or differently)
    PayloadTooLarge         413 PAYLOAD_TOO_LARGE    a Starlette HTTPException, so FastAPI's
                                                     body parser lets it through
    (rate limit)            429 RATE_LIMITED         the caller's token bucket is empty;
                                                     answered by serving.rate_limit before
                                                     the body is read, with Retry-After

and the mapping of everything else (see :func:`install_error_handlers`):

    visitproof Conflict                  409 the error's own code (CHECKIN_ID_CONFLICT,
                                             NOT_UNDER_REVIEW;
                                             STALE_RULES_VERSION with ``current_version``
                                             and ``field`` base_version)
    visitproof NotFound                  404 NOT_FOUND (also: another tenant's or another
                                             rep's check-in, so existence doesn't leak)
    visitproof InvalidValue/InvalidInput 422 the error's own code, with ``field``
    RequestValidationError               422 a stable code per failure (MISSING_FIELD, ...;
                                             NUMBER_NOT_FINITE for a NaN or an infinity in
                                             any field of any body or the meta,
                                             COORDINATE_NOT_FINITE for a latitude or
                                             longitude)
    visitproof StoreError                503 STORE_UNAVAILABLE (Retry-After: 1)
    DetectorUnavailable (Ray)            503 DETECTOR_UNAVAILABLE (Retry-After: 5)
    Starlette HTTPException              its status; 404 NOT_FOUND, 405 METHOD_NOT_ALLOWED,
                                         400 MALFORMED_REQUEST, 408 REQUEST_TIMEOUT,
                                         413 PAYLOAD_TOO_LARGE, 503 SERVER_BUSY; another
                                         4xx BAD_REQUEST, another 5xx INTERNAL
    anything else                        500 INTERNAL, logged with its traceback, none in
                                         the body

Every body is an :class:`~serving.schemas.ErrorPublic` whose ``code`` is one of
:class:`visitproof.error_codes.ErrorCode` (the registry; a test keeps it complete). An
exception carrying a code the registry lacks is answered with its class's generic code
(``INVALID_VALUE``, ``CONFLICT``, ...) and logged, never a 500. Messages follow the
request's ``Accept-Language`` (:mod:`serving.messages`, installed here with the handlers).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.schemas import ErrorDetail, ErrorPublic
from visitproof.error_codes import ErrorCode
from visitproof.errors import (
    Conflict,
    InvalidInput,
    InvalidValue,
    NotFound,
    StaleRulesVersion,
    StoreError,
)

log = logging.getLogger("visitproof.serving")


class ApiError(Exception):
    """A failure of the HTTP layer itself; ``status_code``, ``code`` and the response's extra
    ``headers`` are fixed per class."""

    status_code = 400
    code = "BAD_REQUEST"
    headers: ClassVar[Mapping[str, str] | None] = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(ApiError):
    status_code = 401
    code = "UNAUTHENTICATED"
    headers: ClassVar[Mapping[str, str]] = {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    status_code = 403
    code = "FORBIDDEN"


class CsrfRejected(ApiError):
    status_code = 403
    code = "CSRF_REJECTED"


class LeadIdConflict(ApiError):
    status_code = 409
    code = "LEAD_ID_CONFLICT"


class TouchIdConflict(ApiError):
    status_code = 409
    code = "TOUCH_ID_CONFLICT"


class ContactIdConflict(ApiError):
    status_code = 409
    code = "CONTACT_ID_CONFLICT"


class ActionAlreadyCompleted(ApiError):
    status_code = 409
    code = "ACTION_ALREADY_COMPLETED"


class DetectorUnavailable(ApiError):
    """The shelf detector deployment didn't answer (no live replica, or not in time).
    Nothing was stored: the same upload can be sent again."""

    status_code = 503
    code = "DETECTOR_UNAVAILABLE"
    headers: ClassVar[Mapping[str, str]] = {"Retry-After": "5"}


class PayloadTooLarge(StarletteHTTPException):
    """The request body is over the upload limit (counted while it streams in)."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(status_code=413, detail=f"the request body is larger than "
                         f"{limit_bytes / 1024 / 1024:.0f} MiB; send a smaller photo")


# pydantic error types -> stable codes. Types not listed: "*_type"/"*_parsing" -> BAD_TYPE,
# anything else -> INVALID_VALUE.
_VALIDATION_CODES = {
    "missing": "MISSING_FIELD",
    "extra_forbidden": "UNKNOWN_FIELD",
    "json_invalid": "BAD_JSON",
    "json_type": "BAD_JSON",
    "timezone_aware": "NAIVE_TIMESTAMP",
    "datetime_parsing": "BAD_TIMESTAMP",
    "datetime_from_date_parsing": "BAD_TIMESTAMP",
    "datetime_type": "BAD_TIMESTAMP",
    "datetime_object_invalid": "BAD_TIMESTAMP",
    "uuid_parsing": "BAD_IDENTIFIER",
    "uuid_type": "BAD_IDENTIFIER",
    "uuid_version": "BAD_IDENTIFIER",
    "enum": "UNKNOWN_ENUM_VALUE",
    "literal_error": "UNKNOWN_ENUM_VALUE",
    "string_too_long": "TOO_LONG",
    "string_too_short": "EMPTY_FIELD",
    "greater_than": "OUT_OF_RANGE",
    "greater_than_equal": "OUT_OF_RANGE",
    "less_than": "OUT_OF_RANGE",
    "less_than_equal": "OUT_OF_RANGE",
}
_HTTP_CODES = {400: "MALFORMED_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
               408: "REQUEST_TIMEOUT", 413: "PAYLOAD_TOO_LARGE", 503: "SERVER_BUSY"}


def registered(code: str, fallback: ErrorCode) -> str:
    """``code`` if the registry has it, else ``fallback`` (logged: the registry's test
    should have caught the code)."""
    if code in ErrorCode.__members__:
        return code
    log.error("error code %r is not in visitproof.error_codes; answered as %s", code,
              fallback.value)
    return fallback.value


COMMON_ERRORS = {
    401: "No valid bearer token (UNAUTHENTICATED).",
    403: "The token's role may not do this (FORBIDDEN).",
    503: "The store is busy or unavailable (STORE_UNAVAILABLE).",
}


def error_responses(described: Mapping[int, str], *codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error ``codes`` of a route: each an :class:`ErrorPublic`
    described by the route module's own words (``described``), else by
    :data:`COMMON_ERRORS`. Route modules bind theirs once:
    ``_errors = partial(error_responses, _DESCRIBED)``."""
    texts = {**COMMON_ERRORS, **described}
    return {code: {"model": ErrorPublic, "description": texts[code]} for code in codes}


def error_response(status_code: int, body: ErrorPublic,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json", exclude_none=True),
                        status_code=status_code, headers=headers)


# pydantic error types for "an object or a list was expected": a number there is BAD_TYPE,
# however infinite.
_CONTAINER_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type", "list_type"})


def validation_details(errors: Sequence[Any]) -> list[ErrorDetail]:
    """pydantic/FastAPI error dicts as ``ErrorDetail`` with stable codes. ``field`` is the
    dotted location without the ``body``/``query``/``path`` prefix (``meta.fix.lat``)."""
    details = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:]
        kind = str(error.get("type", ""))
        code = _VALIDATION_CODES.get(kind)
        if code is None:
            code = "BAD_TYPE" if kind.endswith(("_type", "_parsing")) else "INVALID_VALUE"
        sent = error.get("input")
        if kind == "finite_number" or (isinstance(sent, float) and not math.isfinite(sent)
                                       and kind not in _CONTAINER_TYPES):
            # A NaN or infinity refused by any field type (a string, an integer, a
            # timestamp) is one code; serving.schemas.FiniteBody names where it was. Where
            # an object was expected (a meta that is just 1e999) the shape is the problem.
            inner = (error.get("ctx") or {}).get("path")
            if inner:
                location += str(inner).split(".")
            code = ("COORDINATE_NOT_FINITE" if location and location[-1] in ("lat", "lon")
                    else "NUMBER_NOT_FINITE")
        details.append(ErrorDetail(field=".".join(location) or None, code=code,
                                   message=str(error.get("msg", "invalid value"))))
    return details


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on ``app``. The language of the messages is set by
    :class:`serving.messages.MessageLanguage`, which ``create_app`` adds outermost, so the
    middlewares' own refusals (429, 413, 408, 503) and a 500 are translated too."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status_code, ErrorPublic(
            code=registered(error.code, ErrorCode.BAD_REQUEST), message=error.message),
            error.headers)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, error: Conflict) -> JSONResponse:
        code = registered(error.code, ErrorCode.CONFLICT)
        if isinstance(error, StaleRulesVersion):
            return error_response(409, ErrorPublic(
                code=code, message=error.message, field="base_version",
                current_version=error.current_version))
        return error_response(409, ErrorPublic(code=code, message=error.message))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> JSONResponse:
        return error_response(404, ErrorPublic(code="NOT_FOUND", message=error.message))

    @app.exception_handler(InvalidValue)
    async def _invalid_value(request: Request, error: InvalidValue) -> JSONResponse:
        return error_response(422, ErrorPublic(
            code=registered(error.code, ErrorCode.INVALID_VALUE), message=error.reason,
            field=error.field))

    @app.exception_handler(InvalidInput)
    async def _invalid_input(request: Request, error: InvalidInput) -> JSONResponse:
        return error_response(422, ErrorPublic(
            code=registered(error.code, ErrorCode.INVALID_INPUT), message=error.message))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        details = validation_details(error.errors())
        first = details[0] if details else ErrorDetail(code="INVALID_VALUE",
                                                       message="invalid request")
        return error_response(422, ErrorPublic(code=first.code, message=first.message,
                                               field=first.field, details=details))

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, error: StoreError) -> JSONResponse:
        # The message names the database file: log it, don't send it.
        log.warning("store unavailable [%s]: %s", error.code, error.message)
        return error_response(503, ErrorPublic(
            code="STORE_UNAVAILABLE", message="the store is busy or unavailable; try again "
            "in a moment"), {"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code,
                               "BAD_REQUEST" if error.status_code < 500 else "INTERNAL")
        return error_response(error.status_code, ErrorPublic(code=code, message=str(error.detail)),
                              dict(error.headers) if error.headers else None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Connection: close. Starlette answers and then raises the error again for the
        # server to log, and uvicorn closes the connection when an app raises: a keep-alive
        # client told so opens a new connection instead of sending into a closing socket.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, ErrorPublic(code="INTERNAL",
                                               message="internal error; it has been logged"),
                              {"Connection": "close"})
