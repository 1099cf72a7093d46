"""Fix integrity, one check-in at a time: every reason code, bad input, and invariants."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.fix_integrity import ExifEvidence, PriorFix, check_checkin, check_raw_fix
from geo.fix_policy import FixIntegrityPolicy
from geo.reasons import FIX_CODES
from tests.builders import (
    STORE,
    at,
    make_checkin,
    make_customer,
    make_fix,
    make_fix_inputs,
    shifted,
    stored_fix,
)
from visitproof.errors import InvalidValue
from visitproof.reasons import REASONS, ReasonCode, Severity
from visitproof.records import CheckinStatus

POLICY = FixIntegrityPolicy()
NOW = at("12:00")
CUSTOMER = make_customer(lat=STORE[0], lon=STORE[1])


def prior(name: str, t: str | datetime, *, north_m: float = 30.0, east_m: float = 5.0,
          accuracy_m: float = 9.7, trusted: bool = True,
          lat_lon: tuple[float, float] | None = None) -> PriorFix:
    lat, lon = lat_lon or shifted(*STORE, north_m=north_m, east_m=east_m)
    return PriorFix(checkin_id=name, lat=lat, lon=lon, accuracy_m=accuracy_m, fix_time=at(t),
                    position_trusted=trusted)


def judge(history: tuple[PriorFix, ...] = (), exif: ExifEvidence | None = None,
          customer: Any = CUSTOMER, **overrides: Any) -> Any:
    return check_raw_fix(**make_fix_inputs(**overrides), customer=customer, history=history,
                         exif=exif, policy=POLICY, now=NOW, checkin_id="this")


HONEST_LAT, HONEST_LON = shifted(*STORE, north_m=23.4, east_m=-11.7)
SAME_DAY_BEFORE = ("2026-11-03T06:00:00+00:00", "2026-11-03T06:45:00+00:00",
                   "2026-11-03T07:30:00+00:00", "2026-11-03T08:15:00+00:00")

CASES: list[tuple[str, dict[str, Any], ReasonCode]] = [
    ("nan latitude", {"lat": math.nan}, ReasonCode.FIX_COORDINATE_NOT_FINITE),
    ("infinite longitude", {"lon": math.inf}, ReasonCode.FIX_COORDINATE_NOT_FINITE),
    ("latitude not a number", {"lat": "30.2"}, ReasonCode.FIX_COORDINATE_NOT_FINITE),
    ("lat 91", {"lat": 91.0}, ReasonCode.FIX_LAT_OUT_OF_RANGE),
    ("lon 181", {"lon": 181.0}, ReasonCode.FIX_LON_OUT_OF_RANGE),
    ("lat and lon swapped", {"lat": HONEST_LON, "lon": HONEST_LAT},
     ReasonCode.FIX_LAT_LON_SWAPPED),
    ("negative accuracy", {"accuracy_m": -5.0}, ReasonCode.FIX_ACCURACY_INVALID),
    ("nan accuracy", {"accuracy_m": math.nan}, ReasonCode.FIX_ACCURACY_INVALID),
    ("naive fix time", {"t": datetime(2026, 11, 3, 9, 35)}, ReasonCode.TIME_NAIVE),
    ("naive submission", {"submitted": datetime(2026, 11, 3, 9, 48)}, ReasonCode.TIME_NAIVE),
    ("missing departure", {"departed": None}, ReasonCode.TIME_INVALID),
    ("text instead of a time", {"t": 1_700_000_000}, ReasonCode.TIME_INVALID),
    ("1901 fix time", {"t": datetime(1901, 12, 13, 20, 45, tzinfo=UTC)},
     ReasonCode.TIME_IMPLAUSIBLE),
    ("submitted in the future", {"submitted": "13:00"}, ReasonCode.TIME_IN_FUTURE),
    ("1.8 km away", {"north_m": 1820.0}, ReasonCode.GPS_OUTSIDE_GEOFENCE),
    ("poor accuracy", {"accuracy_m": 130.0}, ReasonCode.FIX_ACCURACY_POOR),
    ("departed before arrival", {"arrived": "09:40", "departed": "09:00", "t": "09:20"},
     ReasonCode.TIME_ORDER),
    ("submitted before departure", {"submitted": "09:30", "t": "09:20"},
     ReasonCode.TIME_ORDER),
    ("fix before the visit", {"t": "08:30"}, ReasonCode.TIME_BEFORE_VISIT),
    ("photo before the visit", {"captured": "08:40"}, ReasonCode.TIME_BEFORE_VISIT),
    ("fix after leaving", {"t": "09:47"}, ReasonCode.FIX_AFTER_DEPARTURE),
    ("submitted 20 min late", {"submitted": "10:00"}, ReasonCode.SUBMITTED_LATE),
    ("back-filled 2 h later", {"submitted": "11:45"}, ReasonCode.SUBMITTED_BACKFILLED),
    ("one-minute visit", {"arrived": "09:39", "t": "09:39", "captured": "09:39"},
     ReasonCode.DWELL_TOO_SHORT),
    ("phone clock set back", {"device": "09:38"}, ReasonCode.DEVICE_CLOCK_SKEW),
    ("phone clock ahead", {"device": "11:48"}, ReasonCode.DEVICE_CLOCK_SKEW),
    ("mock flag", {"mock": True}, ReasonCode.MOCK_LOCATION_FLAG),
    ("accuracy exactly zero", {"accuracy_m": 0.0}, ReasonCode.FIX_ACCURACY_ZERO),
    ("grid-snapped coordinates", {"lat": 30.2742, "lon": 120.1552},
     ReasonCode.FIX_GRID_SNAPPED),
    ("exactly on the store point", {"north_m": 0.0, "east_m": 0.0},
     ReasonCode.FIX_EXACTLY_ON_CUSTOMER),
]


@pytest.mark.parametrize(("overrides", "code"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_reason_code_is_raised_with_its_severity(overrides: dict[str, Any],
                                                      code: ReasonCode) -> None:
    verdict = judge(**overrides)

    assert code.value in verdict.codes
    expected = (CheckinStatus.REJECTED if REASONS[code].severity is Severity.REJECT
                else verdict.status)
    assert verdict.status == expected
    assert verdict.status != CheckinStatus.VERIFIED


HISTORY_CASES: list[tuple[str, tuple[PriorFix, ...], dict[str, Any], ExifEvidence | None,
                          ReasonCode]] = [
    ("50 km in 10 minutes", (prior("p1", "09:25", north_m=50_000.0),), {},
     None, ReasonCode.IMPOSSIBLE_SPEED),
    ("same coordinates as yesterday",
     (prior("p1", "2026-11-02T09:30:00+00:00", lat_lon=(HONEST_LAT, HONEST_LON)),), {},
     None, ReasonCode.FIX_REPEATED_COORDINATES),
    ("constant accuracy", tuple(prior(f"p{i}", t, accuracy_m=12.3, north_m=i * 900.0)
                                for i, t in enumerate(SAME_DAY_BEFORE)), {}, None,
     ReasonCode.FIX_ACCURACY_CONSTANT),
    ("clockwork timing", tuple(prior(f"p{i}", t, north_m=i * 900.0, accuracy_m=8.0 + i)
                               for i, t in enumerate(SAME_DAY_BEFORE)), {"t": "09:00"},
     None, ReasonCode.TIMING_TOO_REGULAR),
    ("EXIF two days older", (), {}, ExifEvidence(captured_at=at("09:20") - timedelta(days=2)),
     ReasonCode.EXIF_TIME_MISMATCH),
    ("EXIF 5 km away", (), {}, ExifEvidence(lat=STORE[0] + 0.045, lon=STORE[1]),
     ReasonCode.EXIF_POSITION_MISMATCH),
    ("naive EXIF time", (), {}, ExifEvidence(captured_at=datetime(2026, 11, 3, 9, 20)),
     ReasonCode.TIME_NAIVE),
]


@pytest.mark.parametrize(("history", "overrides", "exif", "code"),
                         [c[1:] for c in HISTORY_CASES], ids=[c[0] for c in HISTORY_CASES])
def test_history_and_exif_reason_codes(history: tuple[PriorFix, ...], overrides: dict[str, Any],
                                       exif: ExifEvidence | None, code: ReasonCode) -> None:
    if code is ReasonCode.TIMING_TOO_REGULAR:
        overrides = {**overrides, "t": "2026-11-03T09:00:00+00:00", "arrived": "08:55",
                     "captured": "08:58", "departed": "09:10", "submitted": "09:15"}
    verdict = judge(history=history, exif=exif, **overrides)

    assert code.value in verdict.codes


def test_every_code_is_covered_by_a_table_row() -> None:
    covered = {c[2] for c in CASES} | {c[4] for c in HISTORY_CASES}
    track_only = {ReasonCode.TIME_NOT_MONOTONIC}  # tests/geo/test_movement.py
    # Batch re-verification only (they look ahead): tests/geo/test_spoofing.py.
    look_ahead = {ReasonCode.FIX_ACCURACY_CONSTANT_RUN, ReasonCode.FIX_COORDINATES_SENT_AGAIN}
    assert set(FIX_CODES) - covered - track_only - look_ahead == set()


def test_honest_visit_is_verified_with_its_numbers() -> None:
    verdict = judge(device=at("09:48") - timedelta(seconds=2))

    assert verdict.status == CheckinStatus.VERIFIED
    assert verdict.reasons == ()
    assert verdict.risk == 0.0
    assert verdict.measurements.distance_m == pytest.approx(26.2, abs=0.5)
    assert verdict.measurements.submit_delay_s == 480.0
    assert verdict.measurements.clock_skew_s == -2.0


def test_geofence_message_states_distance_and_allowance() -> None:
    verdict = judge(north_m=1820.0)

    # UTM zone 51 scales by ~1.0005 here, 270 km west of its central meridian
    assert verdict.reasons[0].message == ("1,821 m from the store, 150 m allowed "
                                          "(+12 m accuracy)")
    assert verdict.risk_parts[0].code == "GPS_OUTSIDE_GEOFENCE"


def test_radius_comes_from_the_customer_type() -> None:
    hospital = make_customer(lat=STORE[0], lon=STORE[1], type="hospital_department")

    assert judge(north_m=250.0).status == CheckinStatus.REJECTED
    assert judge(north_m=250.0, customer=hospital).status == CheckinStatus.VERIFIED


def test_footprint_counts_as_inside() -> None:
    from shapely.geometry import box

    lat, _ = shifted(*STORE, north_m=400.0)
    campus = box(STORE[1] - 0.001, STORE[0] - 0.001, STORE[1] + 0.001, lat + 0.0005)
    hospital = make_customer(lat=STORE[0], lon=STORE[1], type="hospital_department")
    shaped = type(hospital)(**{**{f: getattr(hospital, f) for f in hospital.__slots__},
                               "footprint": campus})

    assert judge(north_m=400.0, customer=hospital).status == CheckinStatus.REJECTED
    assert judge(north_m=400.0, customer=shaped).measurements.distance_m == 0.0


def test_swapped_coordinates_far_from_every_customer() -> None:
    customer = make_customer(lat=10.5, lon=20.5)
    verdict = check_raw_fix(**make_fix_inputs(lat=20.5001, lon=10.4999), customer=customer,
                            policy=POLICY, now=NOW)

    assert {"GPS_OUTSIDE_GEOFENCE", "FIX_LAT_LON_SWAPPED"} <= set(verdict.codes)
    assert verdict.status == CheckinStatus.REJECTED


def test_doubted_prior_fix_does_not_anchor_the_speed_check() -> None:
    teleport = prior("p1", "09:25", north_m=50_000.0, trusted=False)
    honest = prior("p0", "08:30", north_m=3000.0)

    assert "IMPOSSIBLE_SPEED" not in judge(history=(honest, teleport)).codes


def test_later_history_is_ignored() -> None:
    later = prior("p9", "11:00", north_m=50_000.0)

    assert judge(history=(later,)).status == CheckinStatus.VERIFIED


def test_a_stored_copy_of_the_same_checkin_is_not_its_history() -> None:
    # re-judging a stored check-in: the store's history holds the check-in itself
    itself = prior("this", "09:35", north_m=50_000.0)
    earlier_twin = prior("that", "09:35", north_m=50_000.0)  # same time, id sorts first

    assert judge(history=(itself,)).codes == ()
    assert "IMPOSSIBLE_SPEED" in judge(history=(earlier_twin,)).codes


@pytest.mark.parametrize(("overrides", "code", "words"), [
    ({"submitted": datetime(9999, 12, 31, tzinfo=UTC)}, ReasonCode.TIME_IN_FUTURE,
     "2,912,135.5 days ahead"),
    ({"t": datetime(1, 1, 1, tzinfo=UTC)}, ReasonCode.TIME_IMPLAUSIBLE,
     "fix_time 0001-01-01T00:00:00+00:00 is before 2000-01-01"),
])
def test_times_at_the_ends_of_the_calendar_are_reasons(overrides: dict[str, Any],
                                                       code: ReasonCode, words: str) -> None:
    verdict = judge(**overrides)

    assert words in next(r.message for r in verdict.reasons if r.code == code.value)
    assert verdict.status == CheckinStatus.REJECTED


def test_check_checkin_matches_raw_form() -> None:
    lat, lon = shifted(*STORE, north_m=900.0)
    checkin = make_checkin(fix=make_fix(lat=lat, lon=lon, t="09:35", accuracy_m=12.3),
                           customer="c1")
    verdict = check_checkin(checkin, CUSTOMER, history=(), policy=POLICY, now=NOW)
    raw = judge(north_m=900.0, east_m=0.0)

    assert verdict.codes == raw.codes == ("GPS_OUTSIDE_GEOFENCE",)
    verification = verdict.to_verification(checkin.id, NOW)
    assert verification.checker == "fix"
    assert verification.details["risk"] == verdict.risk


def test_naive_now_is_a_caller_bug() -> None:
    with pytest.raises(InvalidValue) as raised:
        check_raw_fix(**make_fix_inputs(), customer=CUSTOMER, policy=POLICY,
                      now=datetime(2026, 11, 3, 12))
    assert raised.value.code == "NAIVE_TIMESTAMP"


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 2 * math.pi), st.floats(1.0, 130.0), st.floats(0, 2 * math.pi),
       st.floats(1.0, 130.0))
def test_moving_within_the_tolerance_never_changes_the_verdict(a1: float, r1: float,
                                                               a2: float, r2: float) -> None:
    first = judge(north_m=r1 * math.cos(a1), east_m=r1 * math.sin(a1))
    second = judge(north_m=r2 * math.cos(a2), east_m=r2 * math.sin(a2))

    assert first.status == second.status == CheckinStatus.VERIFIED
    assert first.codes == second.codes == ()


_ANY_FLOAT = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([91.0, -91.0, 181.0, 0.0, -0.0]))


@settings(max_examples=150, deadline=None)
@given(lat=_ANY_FLOAT, lon=_ANY_FLOAT, accuracy=_ANY_FLOAT,
       minutes=st.lists(st.integers(-600, 600), min_size=5, max_size=5),
       naive=st.booleans(), mock=st.booleans())
def test_any_input_gives_a_verdict_with_risk_in_unit_interval(
        lat: float, lon: float, accuracy: float, minutes: list[int], naive: bool,
        mock: bool) -> None:
    base = at("09:00")
    times = [base + timedelta(minutes=m) for m in minutes]
    if naive:
        times[0] = times[0].replace(tzinfo=None)
    verdict = check_raw_fix(lat=lat, lon=lon, accuracy_m=accuracy, fix_time=times[0],
                            arrived_at=times[1], departed_at=times[2], submitted_at=times[3],
                            device_submitted_at=times[4], is_mock=mock, customer=CUSTOMER,
                            history=(prior("p0", "08:00"),), policy=POLICY, now=NOW)

    assert 0.0 <= verdict.risk <= 1.0
    assert (verdict.status == CheckinStatus.VERIFIED) == (verdict.reasons == ())
    assert len(set(verdict.codes)) == len(verdict.codes)
    rejects = any(REASONS[ReasonCode(c)].severity is Severity.REJECT for c in verdict.codes)
    assert (verdict.status == CheckinStatus.REJECTED) == rejects


@pytest.mark.parametrize(("codes", "trusted"), [
    ((), True),
    (("SUBMITTED_BACKFILLED", "DEVICE_CLOCK_SKEW"), True),
    (("FIX_ACCURACY_POOR",), True),
    (("GPS_OUTSIDE_GEOFENCE",), False),
    (("MOCK_LOCATION_FLAG",), False),
    (("PHOTO_REUSED",), True),
])
def test_prior_fix_of_a_stored_checkin(codes: tuple[str, ...], trusted: bool) -> None:
    from tests.builders import with_verdict

    status = CheckinStatus.REJECTED if codes else CheckinStatus.VERIFIED
    stored = with_verdict(make_checkin(), status, *codes)

    assert PriorFix.of(stored_fix(stored)).position_trusted is trusted
