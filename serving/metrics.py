"""Prometheus metrics, hand-written text exposition (no extra dependency).

Every series, with its labels:

- ``visitproof_http_requests_total{method, route, status}``: requests answered;
- ``visitproof_http_request_duration_seconds{method, route}``: latency histogram;
- ``visitproof_checkins_total{status}``: check-ins stored by the upload endpoint, by verdict;
- ``visitproof_checkin_reasons_total{code}``: the reason codes of those stored verdicts, one
  count per code per check-in (a code the verdict names twice counts once); ``code`` is a
  :class:`~visitproof.reasons.ReasonCode` value, ``other`` for anything else;
- ``visitproof_detector_seconds``: histogram of the shelf detector's call per stored upload
  (the shelf verdict's ``timings_ms["detect"]``, measured where the detector is called: in
  process, or on Ray Serve the ingress's round trip to the detector deployment, batching
  wait included);
- ``visitproof_upload_seconds{outcome}``: histogram of the whole upload, from the request's
  arrival to its answer (body read, judged, stored), by the answer's status class
  (``2xx``, ``4xx``, ``5xx``); uploads the rate limit refuses are not in it;
- ``visitproof_rate_limit_refusals_total{bucket}``: 429s of :mod:`serving.rate_limit`, by the
  limit whose bucket was empty (``requests`` or ``uploads``; never the caller);
- ``visitproof_reverify_checkins{run_id, state}``: gauges of each ``visitproof reverify``
  run's progress, ``state="done"`` and ``state="total"``;
- ``visitproof_reverify_finished{run_id}``: 1 once the run's last attempt finished, else 0;
- ``visitproof_reverify_updated_timestamp_seconds{run_id}``: when the run last wrote its
  progress (Unix time), so a run that died mid-way shows as stale.

The reverify series come from the runs' ``progress.json`` files
(:func:`application.reverify.recent_progress`) under the folder given as
``reverify_runs`` (the service's ``DATA_DIR/reverify``), read at every scrape, the
:data:`REVERIFY_RUNS_SHOWN` newest only. A dry run writes no progress file, so it never shows.

Label values are bounded: ``route`` is the route's template (``/v1/checkins/{checkin_id}``),
or ``unmatched``, so a scan of random paths can't blow up the number of series; reason codes
are a closed enum; ``run_id`` is at most :data:`REVERIFY_RUNS_SHOWN` runs.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.reverify import RunProgress, recent_progress
from serving.rate_limit import REFUSED_BUCKET
from visitproof.reasons import ReasonCode

BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REVERIFY_RUNS_SHOWN = 10
UPLOAD_ROUTE = ("POST", "/v1/checkins")
_REASON_CODES = frozenset(code.value for code in ReasonCode)


class Histogram:
    """Cumulative bucket counts, a sum and a count per label set, in Prometheus' shape.

    Not locked itself: :class:`Metrics` updates and reads it under its own lock.
    """

    def __init__(self, name: str, help_text: str, label_names: Sequence[str],
                 buckets: Sequence[float] = BUCKETS_S) -> None:
        self.name, self.help_text = name, help_text
        self.label_names = tuple(label_names)
        self.buckets = tuple(buckets)
        self._counts: dict[tuple[str, ...], list[int]] = {}
        self._sums: dict[tuple[str, ...], float] = defaultdict(float)
        if not self.label_names:  # one series, shown (at zero) from the first scrape
            self._counts[()] = [0] * (len(self.buckets) + 1)

    def observe(self, labels: tuple[str, ...], seconds: float) -> None:
        counts = self._counts.setdefault(labels, [0] * (len(self.buckets) + 1))
        for position, bound in enumerate(self.buckets):
            if seconds <= bound:
                counts[position] += 1
        counts[-1] += 1
        self._sums[labels] += seconds

    def lines(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        bounds = (*map(str, self.buckets), "+Inf")
        for labels, counts in sorted(self._counts.items()):
            pairs = _label_pairs(self.label_names, labels)
            for bound, in_bucket in zip(bounds, counts, strict=True):
                le = _braces([*pairs, *_label_pairs(("le",), (bound,))])
                lines.append(f"{self.name}_bucket{le} {in_bucket}")
            lines.append(f"{self.name}_sum{_braces(pairs)} {self._sums[labels]:.6f}")
            lines.append(f"{self.name}_count{_braces(pairs)} {counts[-1]}")
        return lines


class Counter:
    """A counter per label set (locked by :class:`Metrics`, like :class:`Histogram`)."""

    def __init__(self, name: str, help_text: str, label_names: Sequence[str]) -> None:
        self.name, self.help_text = name, help_text
        self.label_names = tuple(label_names)
        self._values: dict[tuple[str, ...], int] = defaultdict(int)

    def add(self, labels: tuple[str, ...], count: int = 1) -> None:
        self._values[labels] += count

    def lines(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} counter"]
        for labels, value in sorted(self._values.items()):
            lines.append(f"{self.name}{_braces(_label_pairs(self.label_names, labels))} "
                         f"{value}")
        return lines


class Metrics:
    """The service's counters and histograms, safe to update from several threads;
    ``reverify_runs`` is the folder of the reverify runs to report (None: none)."""

    def __init__(self, reverify_runs: Path | None = None) -> None:
        self.reverify_runs = reverify_runs
        self._lock = threading.Lock()
        self._requests = Counter("visitproof_http_requests_total", "HTTP requests answered.",
                                 ("method", "route", "status"))
        self._latency = Histogram("visitproof_http_request_duration_seconds",
                                  "Request latency.", ("method", "route"))
        self._checkins = Counter("visitproof_checkins_total", "Check-ins stored, by verdict.",
                                 ("status",))
        self._reasons = Counter("visitproof_checkin_reasons_total",
                                "Reason codes of the stored check-ins' verdicts, once per "
                                "check-in.", ("code",))
        self._detector = Histogram("visitproof_detector_seconds",
                                   "Shelf detector call per stored upload.", ())
        self._uploads = Histogram("visitproof_upload_seconds",
                                  "Whole upload, arrival to answer, by status class.",
                                  ("outcome",))
        self._refusals = Counter("visitproof_rate_limit_refusals_total",
                                 "Requests refused with 429, by the limit that was empty.",
                                 ("bucket",))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests.add((method, route, str(status)))
            self._latency.observe((method, route), seconds)
            if (method, route) == UPLOAD_ROUTE:
                self._uploads.observe((f"{status // 100}xx",), seconds)

    def count_checkin(self, status: str, reason_codes: Iterable[str] = (),
                      detector_seconds: float | None = None) -> None:
        """One stored check-in: its verdict, its reasons' codes and how long its photo's
        detection took (None: no detection ran)."""
        codes = {code if code in _REASON_CODES else "other" for code in reason_codes}
        with self._lock:
            self._checkins.add((status,))
            for code in codes:
                self._reasons.add((code,))
            if detector_seconds is not None:
                self._detector.observe((), detector_seconds)

    def count_refusal(self, bucket: str) -> None:
        with self._lock:
            self._refusals.add((bucket,))

    def exposition(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [line for series in (self._requests, self._latency, self._checkins,
                                         self._reasons, self._detector, self._uploads,
                                         self._refusals)
                     for line in series.lines()]
        runs = [] if self.reverify_runs is None else recent_progress(self.reverify_runs,
                                                                     REVERIFY_RUNS_SHOWN)
        lines += reverify_lines(runs)
        return "\n".join(lines) + "\n"


def reverify_lines(runs: Sequence[RunProgress]) -> list[str]:
    """The reverify gauges of ``runs`` (see the module docstring)."""
    lines = ["# HELP visitproof_reverify_checkins Reverify run progress: check-ins done "
             "and in total.", "# TYPE visitproof_reverify_checkins gauge"]
    for run in runs:
        for state, value in (("done", run.done), ("total", run.total)):
            lines.append(f'visitproof_reverify_checkins{{run_id="{_escape(run.run_id)}",'
                         f'state="{state}"}} {value}')
    lines += ["# HELP visitproof_reverify_finished 1 once the reverify run finished.",
              "# TYPE visitproof_reverify_finished gauge"]
    lines += [f'visitproof_reverify_finished{{run_id="{_escape(run.run_id)}"}} '
              f"{int(run.finished)}" for run in runs]
    lines += ["# HELP visitproof_reverify_updated_timestamp_seconds When the reverify run "
              "last wrote its progress.",
              "# TYPE visitproof_reverify_updated_timestamp_seconds gauge"]
    lines += [f'visitproof_reverify_updated_timestamp_seconds{{run_id="{_escape(run.run_id)}"}}'
              f" {run.updated_at.timestamp():.3f}" for run in runs]
    return lines


class MetricsMiddleware:
    """ASGI middleware timing every HTTP request into :class:`Metrics`, and counting the
    refusals :class:`~serving.rate_limit.RateLimit` marks in the scope."""

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
            refused = scope.get(REFUSED_BUCKET)
            if isinstance(refused, str):
                self.metrics.count_refusal(refused)


def _label_pairs(names: Sequence[str], values: Sequence[str]) -> list[str]:
    return [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]


def _braces(pairs: Sequence[str]) -> str:
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
