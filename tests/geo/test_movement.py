"""Movement over tracks: real GPX recordings, and hand-made tracks for each track code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from geo.fix_policy import FixIntegrityPolicy
from geo.gpx import parse_gpx_time, read_gpx
from geo.movement import TrackPoint, check_track
from tests.builders import STORE, shifted

POLICY = FixIntegrityPolicy()
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def track(*steps: tuple[float, float | None]) -> list[TrackPoint]:
    """Points ``north_m`` metres north of the store at ``seconds`` after T0 (None: no time)."""
    points = []
    for north_m, seconds in steps:
        lat, lon = shifted(*STORE, north_m=north_m)
        points.append(TrackPoint(lat, lon, None if seconds is None
                                 else T0 + timedelta(seconds=seconds)))
    return points


@pytest.mark.parametrize(("points", "codes"), [
    (track((0, 0), (500, 60), (1000, 120)), []),
    (track((0, 0), (5000, 60)), ["IMPOSSIBLE_SPEED"]),
    (track((0, 0), (15, 0)), []),
    (track((0, 0), (500, 0)), ["IMPOSSIBLE_SPEED"]),
    (track((0, 0), (100, None), (200, 60)), []),
    (track((0, 60), (10, 0)), ["TIME_NOT_MONOTONIC"]),
    ([TrackPoint(STORE[0], STORE[1], datetime(1901, 12, 13, 20, 45, tzinfo=UTC))],
     ["TIME_IMPLAUSIBLE"]),
], ids=["walking pace", "300 km/h", "jitter within accuracy", "same second 500 m apart",
        "untimed point skipped", "time runs backwards", "1901 timestamp"])
def test_track_codes(points: list[TrackPoint], codes: list[str]) -> None:
    assert [finding.reason.code for finding in check_track(points, POLICY)] == codes


@pytest.mark.parametrize(("text", "expected"), [
    ("2020-12-18T06:15:50Z", datetime(2020, 12, 18, 6, 15, 50, tzinfo=UTC)),
    ("1901-12-13T20:45:52.2073437Z", datetime(1901, 12, 13, 20, 45, 52, 207343, tzinfo=UTC)),
    ("2010-08-05T16:23:59+02:00", datetime(2010, 8, 5, 14, 23, 59, tzinfo=UTC)),
    ("not a time", None),
    (None, None),
])
def test_gpx_times(text: str | None, expected: datetime | None) -> None:
    assert parse_gpx_time(text) == expected


def _tracks(real_data: Path) -> Path:
    folder = real_data / "gps" / "gpx_gpxpy" / "real_tracks"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return folder


def test_real_car_trip_has_no_impossible_speed(real_data: Path) -> None:
    points = read_gpx(_tracks(real_data) / "around-visnjan-with-car.gpx")

    assert len(points) == 104
    assert [f.reason.code for f in check_track(points, POLICY)] == []


def test_real_tracks_never_crash_and_rarely_flag_speed(real_data: Path) -> None:
    for path in sorted(_tracks(real_data).glob("*.gpx")):
        points = read_gpx(path)
        speeding = [f for f in check_track(points, POLICY)
                    if f.reason.code == "IMPOSSIBLE_SPEED"]
        # one 184 m GPS jump in 2 s in the Cerknica recording is a real glitch worth flagging
        assert len(speeding) <= max(1, len(points) // 100), path.name


def test_mojstrovka_1901_timestamps_are_reported_not_fatal(real_data: Path) -> None:
    points = read_gpx(_tracks(real_data) / "Mojstrovka.gpx")
    findings = check_track(points, POLICY)

    assert len(points) == 184
    assert {f.reason.code for f in findings} == {"TIME_IMPLAUSIBLE"}
    assert len(findings) == sum(1 for p in points if p.time is not None and p.time.year == 1901)
    assert "1901-12-13" in findings[0].reason.message
