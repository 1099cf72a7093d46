"""Per-token rate limits: token buckets, checked before a byte of the body is read.

Every request takes one unit from its caller's bucket; an upload (``POST /v1/checkins``)
also takes one from the caller's upload bucket, which is smaller and refills more slowly (a
12 MP photo costs a decode, a detection and a write). A bucket holds at most ``burst`` units
and refills at ``per_minute / 60`` units a second. When a bucket is empty the request is
refused with 429 ``RATE_LIMITED``, a ``Retry-After`` (whole seconds until the next unit) and
an :class:`~serving.schemas.ErrorPublic` body; nothing of it reaches a route, so a limited
request stores nothing. Where both buckets are involved, neither is charged unless both
have a unit, so a refused upload costs the caller nothing.

Settings (``VISITPROOF_`` environment variables, see :mod:`application.settings`):

    rate_limit_per_minute          600  sustained requests a minute per caller; 0 turns
                                        every limit off
    rate_limit_burst               120  requests a caller may send at once
    upload_rate_limit_per_minute    30  sustained uploads a minute per caller; 0 turns only
                                        the upload limit off
    upload_rate_limit_burst         20  uploads a caller may send at once (retries of a
                                        flaky mobile upload included)

Who the caller is: the bearer token (kept as its SHA-256, never in clear); until that token
has been answered with anything but 401, and for requests without one, also the client's
address. So forged or random tokens share their address's bucket instead of each bringing a
fresh one, while reps behind one carrier NAT keep separate buckets once their tokens are
known. The client address is the TCP peer: ``X-Forwarded-For`` is not trusted.

Each refusal names the limit whose bucket was empty (``requests`` or ``uploads``; where
both were, the one that decided ``Retry-After``) in the request's scope under
:data:`REFUSED_BUCKET`, for :class:`serving.metrics.MetricsMiddleware` to count
(``visitproof_rate_limit_refusals_total{bucket}``): the middleware that wraps this one sees
the same scope, and no caller id ever leaves this module.

Exempt: ``/healthz``, ``/readyz`` and ``/metrics`` (probes and scrapers must never be
refused). Buckets live in the process: with several ingress replicas each keeps its own, so
a caller may get up to replicas × the limit. Thread-safe; the clock is injectable (seconds,
monotonic) so tests don't sleep.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import error_response
from serving.schemas import ErrorPublic

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
UPLOAD_ROUTES = frozenset({("POST", "/v1/checkins")})
# Past this many buckets the older half is dropped (see TokenBuckets._forget_oldest).
MAX_BUCKETS = 10_000
MAX_KNOWN_TOKENS = 100_000
REFUSED_BUCKET = "visitproof.rate_limit.refused"
"""The scope key a refused request carries: the name of the limit that refused it."""


@dataclass(frozen=True, slots=True)
class Rate:
    """``per_minute`` units refilled a minute into a bucket of ``burst`` units; a
    ``per_minute`` of 0 means unlimited."""

    per_minute: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_minute <= 0

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


class _Bucket:
    __slots__ = ("level", "updated")

    def __init__(self, level: float, updated: float) -> None:
        self.level = level
        self.updated = updated


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Why :meth:`TokenBuckets.charge` charged nothing: the seconds until every bucket has a
    unit, and the name (first part of the key) of the bucket that needs them longest."""

    wait_s: float
    bucket: str


class TokenBuckets:
    """Token buckets by key ``(limit name, caller)``, safe to use from several threads.

    ``take`` charges one unit to each ``(key, rate)`` it is given, all or nothing.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *,
                 max_buckets: int = MAX_BUCKETS) -> None:
        self._clock = clock
        self._max_buckets = max_buckets
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def take(self, charges: list[tuple[tuple[str, str], Rate]]) -> float:
        """Charge one unit to every bucket in ``charges`` and return 0, or, when any of
        them is short, charge none and return the seconds until all could be charged."""
        shortfall = self.charge(charges)
        return 0.0 if shortfall is None else shortfall.wait_s

    def charge(self, charges: list[tuple[tuple[str, str], Rate]]) -> Shortfall | None:
        """:meth:`take`, naming the short bucket: None when every bucket was charged."""
        charges = [(key, rate) for key, rate in charges if not rate.unlimited]
        if not charges:
            return None
        with self._lock:
            now = self._clock()
            buckets = [(key, self._refilled(key, rate, now), rate) for key, rate in charges]
            wait, name = max(((1.0 - bucket.level) / rate.per_second, key[0])
                             for key, bucket, rate in buckets)
            if wait > 0:
                return Shortfall(wait_s=wait, bucket=name)
            for _, bucket, _ in buckets:
                bucket.level -= 1.0
            if len(self._buckets) > self._max_buckets:
                self._forget_oldest(keep={key for key, _ in charges})
            return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def _refilled(self, key: tuple[str, str], rate: Rate, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(rate.burst), now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.level = min(float(rate.burst), bucket.level + elapsed * rate.per_second)
            bucket.updated = now
        return bucket

    def _forget_oldest(self, keep: set[tuple[str, str]]) -> None:
        # The buckets longest untouched are the likeliest to be full again, i.e. no different
        # from a new one; one that wasn't full only gains units by it, never loses any.
        by_age = sorted(self._buckets.items(), key=lambda item: item[1].updated)
        for key, _ in by_age[:len(self._buckets) - self._max_buckets // 2]:
            if key not in keep:
                del self._buckets[key]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The limits of :class:`RateLimit`: every request, and uploads on top."""

    requests: Rate
    uploads: Rate

    @property
    def off(self) -> bool:
        return self.requests.unlimited


class RateLimit:
    """ASGI middleware answering 429 ``RATE_LIMITED`` when the caller's bucket is empty."""

    def __init__(self, app: ASGIApp, limits: RateLimits,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.limits = limits
        self.buckets = TokenBuckets(clock)
        self._known_lock = threading.Lock()
        self._known_tokens: dict[str, None] = {}  # digests answered with other than 401

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limits.off or _route_path(scope) in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        digest = _bearer_digest(scope)
        with self._known_lock:
            known = digest is not None and digest in self._known_tokens
        # A token's own bucket always; its address's too until the token has been answered
        # with anything but 401, so forged tokens can't each bring a fresh bucket.
        callers = [] if digest is None else [f"token:{digest}"]
        if not known:
            callers.append(f"address:{_client_address(scope)}")
        charges = [(("requests", caller), self.limits.requests) for caller in callers]
        if (scope["method"], _route_path(scope).rstrip("/")) in UPLOAD_ROUTES:
            # Only the caller's first key: a restart's unknown tokens behind one carrier
            # address must not share a handful of uploads.
            charges.append((("uploads", callers[0]), self.limits.uploads))
        shortfall = self.buckets.charge(charges)
        if shortfall is not None:
            scope[REFUSED_BUCKET] = shortfall.bucket
            await self._refuse(scope, receive, send, shortfall.wait_s)
            return
        if digest is None or known:
            await self.app(scope, receive, send)
            return

        presented: str = digest

        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] != 401:
                self._remember(presented)
            await send(message)

        await self.app(scope, receive, watched_send)

    def _remember(self, digest: str) -> None:
        with self._known_lock:
            if len(self._known_tokens) >= MAX_KNOWN_TOKENS:
                # Oldest first (dicts keep insertion order); a forgotten valid token only
                # goes back to its address's bucket until its next answer.
                del self._known_tokens[next(iter(self._known_tokens))]
            self._known_tokens[digest] = None

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, wait: float) -> None:
        retry_after = max(1, math.ceil(wait - 1e-6))  # 10.000000001 s is still "10"
        headers = {"Retry-After": str(retry_after)}
        if _has_body(scope):
            # The body is never read: close rather than leave it in the connection.
            headers["Connection"] = "close"
        response = error_response(429, ErrorPublic(
            code="RATE_LIMITED",
            message=f"too many requests from this caller; retry in {retry_after} s"), headers)
        await response(scope, receive, send)


def rate_limits(requests_per_minute: float, requests_burst: int, uploads_per_minute: float,
                uploads_burst: int) -> RateLimits:
    """:class:`RateLimits` from the four settings (see the module docstring)."""
    return RateLimits(requests=Rate(requests_per_minute, requests_burst),
                      uploads=Rate(uploads_per_minute, uploads_burst))


def _route_path(scope: Scope) -> str:
    """The path the app routes on: without the mount prefix (``root_path``) a proxy such
    as Ray Serve's may have put in front of it."""
    path = str(scope["path"])
    root = str(scope.get("root_path") or "")
    return path[len(root):] or "/" if root and path.startswith(root) else path


def _bearer_digest(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return hashlib.sha256(token.strip()).hexdigest()
            return None
    return None


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
    return False
