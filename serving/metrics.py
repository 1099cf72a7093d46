"""Prometheus metrics, hand-written text exposition (no extra dependency).

- ``visitproof_http_requests_total{method, route, status}``: requests answered;
- ``visitproof_http_request_duration_seconds{method, route}``: latency histogram;
- ``visitproof_checkins_total{status}``: check-ins stored by the upload endpoint, by verdict.

``route`` is the route's template (``/v1/checkins/{checkin_id}``), or ``unmatched``, so a
scan of random paths can't blow up the number of series.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Counters and a latency histogram, safe to update from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._checkins: dict[str, int] = defaultdict(int)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            self._requests[(method, route, status)] += 1
            counts = self._buckets.setdefault(key, [0] * (len(BUCKETS_S) + 1))
            for position, bound in enumerate(BUCKETS_S):
                if seconds <= bound:
                    counts[position] += 1
            counts[-1] += 1
            self._sums[key] += seconds

    def count_checkin(self, status: str) -> None:
        with self._lock:
            self._checkins[status] += 1

    def exposition(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        lines = ["# HELP visitproof_http_requests_total HTTP requests answered.",
                 "# TYPE visitproof_http_requests_total counter"]
        with self._lock:
            for (method, route, status), count in sorted(self._requests.items()):
                lines.append(f'visitproof_http_requests_total{{method="{method}",'
                             f'route="{_escape(route)}",status="{status}"}} {count}')
            lines += ["# HELP visitproof_http_request_duration_seconds Request latency.",
                      "# TYPE visitproof_http_request_duration_seconds histogram"]
            for (method, route), counts in sorted(self._buckets.items()):
                labels = f'method="{method}",route="{_escape(route)}"'
                for bound, in_bucket in zip((*map(str, BUCKETS_S), "+Inf"), counts,
                                            strict=True):
                    lines.append(f'visitproof_http_request_duration_seconds_bucket{{{labels},'
                                 f'le="{bound}"}} {in_bucket}')
                lines.append(f"visitproof_http_request_duration_seconds_sum{{{labels}}} "
                             f"{self._sums[(method, route)]:.6f}")
                lines.append(f"visitproof_http_request_duration_seconds_count{{{labels}}} "
                             f"{counts[-1]}")
            lines += ["# HELP visitproof_checkins_total Check-ins stored, by verdict.",
                      "# TYPE visitproof_checkins_total counter"]
            for verdict, count in sorted(self._checkins.items()):
                lines.append(f'visitproof_checkins_total{{status="{verdict}"}} {count}')
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """ASGI middleware timing every HTTP request into :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(scope["method"], template, status,
                                         time.perf_counter() - started)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
