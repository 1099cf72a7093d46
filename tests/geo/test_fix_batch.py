"""The batch form agrees with the single-check-in form, row for row, and guards its input."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.batch_columns import checkins_frame
from geo.fix_batch import verify_fixes
from geo.fix_integrity import ExifEvidence, FixVerdict, PriorFix, check_raw_fix
from geo.fix_policy import FixIntegrityPolicy
from simulation.scenario import SimulationConfig, checkin_frame, simulate
from tests.builders import STORE, make_checkin, make_customer, make_fix, shifted
from visitproof.errors import InvalidValue
from visitproof.records import Customer, GeoPoint

POLICY = FixIntegrityPolicy()


def _time(value: Any) -> datetime | None:
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _customer(row: Any) -> Customer:
    footprint = row.customer_footprint
    return Customer(tenant_id="t", id="c", name="c", type=row.customer_type, tier="A",
                    location=GeoPoint(lat=row.customer_lat, lon=row.customer_lon),
                    footprint=footprint if isinstance(footprint, shapely.Geometry) else None,
                    geofence_radius_m=row.customer_radius_m)


def single_verdicts(frame: gpd.GeoDataFrame, now: datetime) -> dict[str, FixVerdict]:
    """Every row judged alone, in history order, each with the rows before it as history."""
    ordered = frame.assign(_t=frame["fix_time"]).sort_values(["rep_id", "_t", "checkin_id"],
                                                             na_position="last")
    verdicts: dict[str, FixVerdict] = {}
    history: dict[str, list[PriorFix]] = {}
    for row in ordered.itertuples(index=False):
        point = row.geometry
        lat = point.y if point is not None and not point.is_empty else math.nan
        lon = point.x if point is not None and not point.is_empty else math.nan
        exif = ExifEvidence(captured_at=_time(row.exif_captured_at),
                            lat=None if pd.isna(row.exif_lat) else row.exif_lat,
                            lon=None if pd.isna(row.exif_lon) else row.exif_lon)
        verdict = check_raw_fix(
            lat, lon, row.accuracy_m, _time(row.fix_time), is_mock=bool(row.is_mock),
            customer=_customer(row), arrived_at=_time(row.arrived_at),
            departed_at=_time(row.departed_at), submitted_at=_time(row.submitted_at),
            photo_captured_at=_time(row.photo_captured_at),
            device_submitted_at=_time(row.device_submitted_at), checkin_id=row.checkin_id,
            history=history.get(row.rep_id, []), exif=exif, policy=POLICY, now=now)
        verdicts[row.checkin_id] = verdict
        fix_time = _time(row.fix_time)
        if fix_time is not None and fix_time >= POLICY.earliest_valid:
            history.setdefault(row.rep_id, []).append(PriorFix(
                checkin_id=row.checkin_id, lat=lat, lon=lon, accuracy_m=row.accuracy_m,
                fix_time=fix_time, position_trusted=verdict.position_trusted))
    return verdicts


def assert_agree(frame: gpd.GeoDataFrame, now: datetime) -> pd.DataFrame:
    batch = verify_fixes(frame, policy=POLICY, now=now)
    single = single_verdicts(frame, now)
    for checkin_id, row in zip(frame["checkin_id"], batch.itertuples(index=False),
                               strict=True):
        one = single[checkin_id]
        assert (row.status, row.codes) == (one.status.value, one.codes), checkin_id
        assert row.reasons == one.reasons, checkin_id
        assert row.risk == one.risk, checkin_id
        for name in ("distance_m", "submit_delay_s", "clock_skew_s", "speed_kmh"):
            expected = getattr(one.measurements, name)
            got = getattr(row, name)
            if expected is None:
                assert math.isnan(got), (checkin_id, name)
            else:
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), (checkin_id, name)
    return batch


@pytest.fixture(scope="module")
def small_simulation() -> Any:
    return simulate(SimulationConfig(reps=6, customers=60, days=6, seed=11, fraud_rate=0.3))


def test_batch_agrees_with_single_on_simulated_fraud(small_simulation: Any) -> None:
    frame = checkin_frame(small_simulation.company, list(small_simulation.rep_days))
    batch = assert_agree(frame, small_simulation.config.now)

    assert set(batch["status"]) == {"verified", "needs_review", "rejected"}
    assert batch["codes"].map(len).sum() > 50


def test_batch_agrees_with_single_on_bad_rows(small_simulation: Any) -> None:
    frame = checkin_frame(small_simulation.company, list(small_simulation.rep_days))
    frame = frame[frame["fraud_type"] == ""].head(40).copy()
    lat, lon = frame.geometry.y.to_numpy().copy(), frame.geometry.x.to_numpy().copy()
    lat[0], lat[1], lon[2] = math.nan, 91.0, 181.0
    lat[3], lon[3] = lon[3], lat[3]
    frame = frame.set_geometry(gpd.points_from_xy(lon, lat, crs="EPSG:4326"))
    frame.loc[frame.index[4], "accuracy_m"] = -5.0
    frame.loc[frame.index[5], "fix_time"] = pd.NaT
    frame.loc[frame.index[6], "arrived_at"] = pd.Timestamp("1901-12-13T20:45:52Z")
    frame.loc[frame.index[7], "submitted_at"] = pd.Timestamp("2030-01-01T00:00:00Z")
    frame.loc[frame.index[8], "device_submitted_at"] = pd.NaT
    frame.loc[frame.index[9], "exif_captured_at"] = pd.NaT

    batch = assert_agree(frame, small_simulation.config.now)

    codes = batch["codes"].tolist()
    assert "FIX_COORDINATE_NOT_FINITE" in codes[0]
    assert "FIX_LAT_OUT_OF_RANGE" in codes[1]
    assert "FIX_LON_OUT_OF_RANGE" in codes[2]
    assert "FIX_LAT_LON_SWAPPED" in codes[3]
    assert "FIX_ACCURACY_INVALID" in codes[4]
    assert "TIME_INVALID" in codes[5]
    assert "TIME_IMPLAUSIBLE" in codes[6]
    assert "TIME_IN_FUTURE" in codes[7]


def test_batch_agrees_on_footprints_and_crafted_histories() -> None:
    customer = make_customer(lat=STORE[0], lon=STORE[1], type="hospital_department")
    campus = shapely.box(STORE[1] - 0.002, STORE[0] - 0.002, STORE[1] + 0.002, STORE[0] + 0.005)
    shaped = Customer(**{**{f: getattr(customer, f) for f in customer.__slots__},
                         "footprint": campus})
    checkins = []
    for i, (north, t) in enumerate([(30, "08:00"), (50_000, "08:10"), (400, "08:20"),
                                    (30, "08:30"), (30, "08:30")]):
        lat, lon = shifted(*STORE, north_m=north, east_m=7.0 * i)
        checkins.append(make_checkin(arrived="07:50", departed="08:40", captured="08:00",
                                     submitted="08:45", fix=make_fix(lat, lon, t)))
    frame = checkins_frame(checkins, {"c1": shaped})

    batch = assert_agree(frame, checkins[0].submitted_at)

    assert "IMPOSSIBLE_SPEED" in batch["codes"].iloc[1]
    assert batch["distance_m"].iloc[2] == 0.0


def test_crs_mismatch_raises() -> None:
    frame = checkins_frame([make_checkin()], {"c1": make_customer()}).to_crs(3857)

    with pytest.raises(InvalidValue) as raised:
        verify_fixes(frame, policy=POLICY, now=datetime.now().astimezone())
    assert raised.value.code == "CRS_MISMATCH"


def test_naive_time_column_raises() -> None:
    frame = checkins_frame([make_checkin()], {"c1": make_customer()})
    frame["submitted_at"] = frame["submitted_at"].dt.tz_localize(None)

    with pytest.raises(InvalidValue) as raised:
        verify_fixes(frame, policy=POLICY, now=datetime.now().astimezone())
    assert raised.value.code == "NAIVE_TIMESTAMP"


def test_empty_frame_gives_empty_result() -> None:
    frame = checkins_frame([make_checkin()], {"c1": make_customer()}).iloc[0:0]

    result = verify_fixes(frame, policy=POLICY, now=datetime.now().astimezone())

    assert len(result) == 0
    assert np.isfinite(result["risk"]).all()


_ROW = st.tuples(st.sampled_from(["r1", "r2"]), st.floats(-3000, 3000), st.floats(-3000, 3000),
                 st.integers(0, 600), st.sampled_from([0.0, 5.0, 12.5, 130.0, math.nan, -1.0]),
                 st.booleans(), st.integers(-10, 200))


@settings(max_examples=30, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=10))
def test_batch_agrees_with_single_on_random_histories(
        rows: list[tuple[str, float, float, int, float, bool, int]]) -> None:
    start = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    frame = pd.DataFrame({
        "checkin_id": [f"k{i:02d}" for i in range(len(rows))],
        "rep_id": [r[0] for r in rows], "accuracy_m": [r[4] for r in rows],
        "is_mock": [r[5] for r in rows],
        "fix_time": [start + timedelta(minutes=r[3]) for r in rows],
        "arrived_at": [start + timedelta(minutes=r[3] - 20) for r in rows],
        "departed_at": [start + timedelta(minutes=r[3] + 5) for r in rows],
        "submitted_at": [start + timedelta(minutes=r[3] + 5 + r[6]) for r in rows],
        "customer_lat": STORE[0], "customer_lon": STORE[1],
        "customer_type": "supermarket", "customer_radius_m": 150.0})
    points = [shifted(*STORE, north_m=r[1], east_m=r[2]) for r in rows]
    geo = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(
        [p[1] for p in points], [p[0] for p in points]), crs="EPSG:4326")
    for name in ("photo_captured_at", "device_submitted_at", "exif_captured_at"):
        geo[name] = pd.NaT
        geo[name] = geo[name].dt.tz_localize("UTC")
    geo["exif_lat"] = np.nan
    geo["exif_lon"] = np.nan
    geo["customer_footprint"] = None

    assert_agree(geo, start + timedelta(days=1))
