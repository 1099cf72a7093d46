"""/metrics (serving/metrics.py): the series an operator scrapes, read back through a small
parser of the Prometheus text format, after real uploads through the API."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from application.reverify import PROGRESS_FILE, RunProgress
from serving.metrics import REVERIFY_RUNS_SHOWN, Metrics
from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta

Labels = frozenset[tuple[str, str]]

_SAMPLE = re.compile(r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
                     r'(?:\{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})?'
                     r' (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|Inf|NaN))')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


@dataclass(frozen=True)
class Exposition:
    """A parsed text exposition: each family's type, and every sample's value."""

    types: dict[str, str]
    samples: dict[tuple[str, Labels], float]

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, frozenset(labels.items()))]

    def named(self, name: str) -> dict[Labels, float]:
        return {labels: value for (sample, labels), value in self.samples.items()
                if sample == name}


def parse_exposition(text: str) -> Exposition:
    """Parse Prometheus text format 0.0.4, failing on anything malformed: a sample line
    that doesn't parse, a sample before its family's ``# TYPE``, a repeated sample, a
    histogram whose buckets aren't cumulative or whose ``+Inf`` bucket isn't its count."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[tuple[str, Labels], float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ")
            assert kind in _TYPES, line
            assert family not in types, f"a second # TYPE for {family}"
            types[family] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        match = _SAMPLE.fullmatch(line)
        assert match, f"not a sample line: {line!r}"
        name = match["name"]
        family = re.sub(r"_(bucket|sum|count)$", "", name) \
            if re.sub(r"_(bucket|sum|count)$", "", name) in types else name
        assert family in types, f"{name} has no # TYPE before it"
        labels = frozenset(_LABEL.findall(match["labels"] or ""))
        assert (name, labels) not in samples, f"repeated sample {line!r}"
        samples[(name, labels)] = float(match["value"].replace("Inf", "inf"))
    exposition = Exposition(types, samples)
    for family, kind in types.items():
        if kind == "histogram":
            check_histogram(exposition, family)
    return exposition


def check_histogram(exposition: Exposition, family: str) -> None:
    """Every label set of ``family`` has cumulative buckets ending in ``+Inf`` = count."""
    buckets: dict[Labels, list[tuple[float, float]]] = {}
    for labels, value in exposition.named(f"{family}_bucket").items():
        le = dict(labels)["le"]
        rest = frozenset((k, v) for k, v in labels if k != "le")
        buckets.setdefault(rest, []).append((math.inf if le == "+Inf" else float(le), value))
    assert buckets.keys() == exposition.named(f"{family}_count").keys() \
        == exposition.named(f"{family}_sum").keys()
    for labels, counts in buckets.items():
        ordered = [count for _, count in sorted(counts)]
        assert ordered == sorted(ordered), f"{family}{dict(labels)} is not cumulative"
        assert sorted(counts)[-1][0] == math.inf
        assert ordered[-1] == exposition.samples[(f"{family}_count", labels)]
        assert exposition.samples[(f"{family}_sum", labels)] >= 0


def scrape(api: Api) -> Exposition:
    response = api.client.get("/metrics")
    assert response.status_code == 200
    return parse_exposition(response.text)


def test_an_upload_counts_its_reasons_detector_time_and_upload_time(api: Api) -> None:
    meta = make_upload_meta()
    stored = api.upload(meta, shelf_photo())
    assert stored.status_code == 201, stored.text
    assert api.upload(meta, shelf_photo()).status_code == 200  # a retry: answered, not judged
    assert api.upload({**make_upload_meta(), "customer_id": "nobody"},
                      shelf_photo(1)).status_code == 422
    metrics = scrape(api)

    codes = {reason["code"] for reason in stored.json()["reasons"]}
    assert codes  # the textured photo shows no shelf: NO_SHELF_FOUND at least
    assert metrics.named("visitproof_checkin_reasons_total") == {
        frozenset({("code", code)}): 1.0 for code in codes}
    assert metrics.value("visitproof_checkins_total", status=stored.json()["status"]) == 1
    # The detector ran once (the retry and the unknown customer never reached it).
    assert metrics.value("visitproof_detector_seconds_count") == 1
    assert 0 < metrics.value("visitproof_detector_seconds_sum") < 60
    assert metrics.value("visitproof_upload_seconds_count", outcome="2xx") == 2
    assert metrics.value("visitproof_upload_seconds_count", outcome="4xx") == 1
    # The whole upload includes the detection.
    assert metrics.value("visitproof_upload_seconds_sum", outcome="2xx") > \
        metrics.value("visitproof_detector_seconds_sum")
    assert metrics.types["visitproof_upload_seconds"] == "histogram"
    assert metrics.types["visitproof_checkin_reasons_total"] == "counter"


def test_requests_other_than_uploads_are_not_upload_time(api: Api) -> None:
    assert api.client.get("/v1/checkins", headers=api.auth("rep")).status_code == 200
    metrics = scrape(api)
    assert metrics.named("visitproof_upload_seconds_count") == {}
    assert metrics.value("visitproof_detector_seconds_count") == 0  # shown before any upload
    assert metrics.value("visitproof_detector_seconds_bucket", le="+Inf") == 0
    assert metrics.value("visitproof_http_request_duration_seconds_count",
                         method="GET", route="/v1/checkins") == 1


def test_refusals_are_counted_by_the_limit_that_refused(make_api: Callable[..., Api]) -> None:
    # A clock that never moves: nothing refills. 3 requests at once, 1 upload.
    api = make_api(clock=lambda: 1000.0, rate_limit_per_minute=6, rate_limit_burst=3,
                   upload_rate_limit_per_minute=1, upload_rate_limit_burst=1)
    assert api.upload(make_upload_meta(), shelf_photo()).status_code == 201
    assert api.upload(make_upload_meta(), shelf_photo(1)).status_code == 429  # uploads
    listings = [api.client.get("/v1/checkins", headers=api.auth("rep")).status_code
                for _ in range(4)]
    assert listings == [200, 200, 429, 429]  # the refused upload took no request unit
    metrics = scrape(api)
    assert metrics.named("visitproof_rate_limit_refusals_total") == {
        frozenset({("bucket", "uploads")}): 1.0, frozenset({("bucket", "requests")}): 2.0}
    # A refused upload is no upload: it never reached the route.
    assert metrics.value("visitproof_upload_seconds_count", outcome="2xx") == 1
    assert metrics.named("visitproof_upload_seconds_count").keys() == {
        frozenset({("outcome", "2xx")})}


def test_no_caller_reaches_a_label(make_api: Callable[..., Api]) -> None:
    api = make_api(clock=lambda: 1000.0, rate_limit_per_minute=6, rate_limit_burst=1)
    for _ in range(3):
        api.client.get("/v1/checkins", headers=api.auth("rep"))
    text = api.client.get("/metrics").text
    assert api.tokens["rep"] not in text
    assert "testclient" not in text  # the client's address
    assert scrape(api).value("visitproof_rate_limit_refusals_total", bucket="requests") == 2


def progress(run_id: str, done: int, total: int, *, finished: bool,
             minutes_ago: int = 0) -> RunProgress:
    updated = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return RunProgress(run_id=run_id, done=done, total=total,
                       started_at=updated - timedelta(minutes=5), updated_at=updated,
                       finished=finished)


def test_reverify_progress_files_become_gauges(tmp_path: Path) -> None:
    runs = tmp_path / "reverify"
    progress("nov-rules-4", 40, 40, finished=True).write(runs / "nov-rules-4")
    progress('odd "id"', 3, 10, finished=False).write(runs / "odd-id")
    metrics = parse_exposition(Metrics(reverify_runs=runs).exposition())
    assert metrics.value("visitproof_reverify_checkins", run_id="nov-rules-4",
                         state="done") == 40
    assert metrics.value("visitproof_reverify_checkins", run_id="nov-rules-4",
                         state="total") == 40
    assert metrics.value("visitproof_reverify_finished", run_id="nov-rules-4") == 1
    assert metrics.value("visitproof_reverify_checkins", run_id='odd \\"id\\"',
                         state="done") == 3
    assert metrics.value("visitproof_reverify_finished", run_id='odd \\"id\\"') == 0
    assert metrics.value("visitproof_reverify_updated_timestamp_seconds",
                         run_id="nov-rules-4") == datetime(2026, 12, 1, 9, tzinfo=UTC).timestamp()
    assert metrics.types["visitproof_reverify_checkins"] == "gauge"
    assert not list(runs.glob("*/.progress-*"))  # no temporary file left behind


def test_only_the_newest_runs_are_shown_and_broken_files_are_skipped(tmp_path: Path) -> None:
    runs = tmp_path / "reverify"
    for n in range(REVERIFY_RUNS_SHOWN + 5):
        path = progress(f"run-{n:02d}", n, 20, finished=False).write(runs / f"run-{n:02d}")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))  # run-14 is the newest
    (runs / "run-13" / PROGRESS_FILE).write_text('{"run_id": "run-13", "done"', "utf-8")
    (runs / "no-progress").mkdir()  # a dry run's or an old run's folder: nothing to show
    shown = parse_exposition(Metrics(reverify_runs=runs).exposition()).named(
        "visitproof_reverify_finished")
    expected = {f"run-{n:02d}" for n in range(5, REVERIFY_RUNS_SHOWN + 5)} - {"run-13"}
    assert {dict(labels)["run_id"] for labels in shown} == expected


def test_a_service_without_a_runs_folder_shows_no_runs(tmp_path: Path) -> None:
    for metrics in (Metrics(), Metrics(reverify_runs=tmp_path / "never-made")):
        exposition = parse_exposition(metrics.exposition())
        assert exposition.named("visitproof_reverify_checkins") == {}
        assert exposition.types["visitproof_reverify_finished"] == "gauge"


@pytest.mark.parametrize(("line", "problem"), [
    ("visitproof_x 1", "no # TYPE"),
    ('# TYPE visitproof_x counter\nvisitproof_x{a="1} 1', "not a sample line"),
    ("# TYPE visitproof_x histogram\n"
     'visitproof_x_bucket{le="1.0"} 2\nvisitproof_x_bucket{le="+Inf"} 1\n'
     "visitproof_x_sum 1\nvisitproof_x_count 1", "not cumulative"),
])
def test_the_parser_refuses_what_prometheus_would(line: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        parse_exposition(line + "\n")


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.observe_request("GET", 'a\\b"c\nd', 200, 0.01)
    parsed = parse_exposition(metrics.exposition())
    assert parsed.value("visitproof_http_requests_total", method="GET",
                        route='a\\\\b\\"c\\nd', status="200") == 1


def test_the_service_shows_the_runs_under_its_data_dir(api: Api) -> None:
    progress("r1", 5, 5, finished=True).write(api.photos_dir.parent / "reverify" / "r1")
    shown = scrape(api)
    assert shown.value("visitproof_reverify_finished", run_id="r1") == 1
    assert shown.value("visitproof_reverify_checkins", run_id="r1", state="done") == 5
