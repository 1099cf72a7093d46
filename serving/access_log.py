"""Credentials never reach the logs: the access log's URLs are redacted.

A manager's sign-in link is ``/manager/login?token=...``, and any client may put a token, a
key or a password in a query string; uvicorn's access log (logger ``uvicorn.access``) writes
the full path with its query. :func:`redact_access_log` puts a filter on that logger which
replaces the value of every credential-like query parameter with ``REDACTED`` and any
``Bearer <token>`` in the record's arguments the same way:

    /manager/login?token=vp_abc&next=/manager  ->  /manager/login?token=REDACTED&next=/manager

On the Ray path Serve's own access lines name the route template (``/v1/checkins/{id}``),
never the query, and the replicas' HTTP servers keep no access log; HAProxy's log (syslog,
``RAY_SERVE_HAPROXY_LOG_TARGET``, facility local0) does carry the request line, see
:mod:`serving.ray_environment`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "REDACTED"

# A parameter is a credential when its name (lower case, "-" as "_") contains one of these...
_SECRET_PARTS = ("token", "password", "passwd", "secret", "signature", "api_key", "apikey",
                 "access_key", "credential", "authorization", "session")
# ... or is one of these.
_SECRET_NAMES = frozenset({"key", "sig", "pwd", "pass", "auth", "jwt", "code"})

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def is_credential(name: str) -> bool:
    """Whether a query parameter called ``name`` (as sent, percent-encoded or not) holds a
    credential."""
    normal = unquote_plus(name).strip().lower().replace("-", "_")
    return normal in _SECRET_NAMES or any(part in normal for part in _SECRET_PARTS)


def redact_url(target: str) -> str:
    """``target`` (a path with its query, as in a request line) with every credential's value
    replaced by ``REDACTED``; names, order, other values and the fragment kept as sent."""
    path, mark, query = target.partition("?")
    if not mark:
        return _BEARER.sub(rf"\1 {REDACTED}", target)
    query, hash_mark, fragment = query.partition("#")
    parts = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and is_credential(name) else pair)
    return f"{path}?{'&'.join(parts)}{hash_mark}{fragment}"


class RedactCredentials(logging.Filter):
    """Rewrites a record's string arguments with :func:`redact_url` (uvicorn's access record
    is ``(client, method, path?query, http version, status)``; its shape is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = redact_url(record.msg)
        return True


ACCESS_LOGGERS = ("uvicorn.access",)


def redact_access_log(loggers: tuple[str, ...] = ACCESS_LOGGERS) -> None:
    """Put one :class:`RedactCredentials` on each of ``loggers`` (idempotent)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactCredentials) for existing in logger.filters):
            logger.addFilter(RedactCredentials())
