"""Routes and footprints: hand-computed areas, trips, validation, and the fast buffer against
GEOS' own buffer of the route."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyproj import CRS

from geo.routes import Period, Visits, metric_crs, rep_footprints, visits_frame, visits_from_records
from tests.builders import (
    DAY,
    HANGZHOU,
    at,
    make_checkin,
    make_customer,
    make_visits,
    shifted,
)
from visitproof.errors import InvalidValue
from visitproof.records import CheckinStatus

UTM51 = CRS.from_epsg(32651)
WEEK = Period(DAY - timedelta(days=1), DAY + timedelta(days=6))
# A 32-gon (quad_segs=8) has 99.36% of its circle's area; shapes here are within 1%.
DISC = math.pi * 500.0**2


def east(metres: float) -> tuple[float, float]:
    return shifted(*HANGZHOU, east_m=metres)


def test_hangzhou_gets_utm_zone_51() -> None:
    assert metric_crs([HANGZHOU[1]], [HANGZHOU[0]]).to_epsg() == 32651


def test_one_visit_is_a_disc() -> None:
    fp = rep_footprints(make_visits(("r1", "c1", "09:00", east(0))), WEEK, UTM51).frame
    assert fp.loc["r1", "area_m2"] == pytest.approx(DISC, rel=0.01)
    assert fp.loc["r1", "route_m"] == 0.0


def test_two_visits_1km_apart_make_a_capsule() -> None:
    visits = make_visits(("r1", "c1", "09:00", east(0)), ("r1", "c2", "10:00", east(1000)))
    fp = rep_footprints(visits, WEEK, UTM51).frame
    # 1 km x 1 km strip plus a full disc of radius 500 m split over the two ends.
    assert fp.loc["r1", "route_m"] == pytest.approx(1000.0, rel=0.002)
    assert fp.loc["r1", "area_m2"] == pytest.approx(1000 * 1000 + DISC, rel=0.01)
    assert (fp.loc["r1", "visits"], fp.loc["r1", "customers"]) == (2, 2)


def test_route_follows_departure_order_not_input_order() -> None:
    visits = make_visits(("r1", "c3", "11:00", east(2000)), ("r1", "c1", "09:00", east(0)),
                         ("r1", "c2", "10:00", east(-1000)))
    fp = rep_footprints(visits, WEEK, UTM51).frame
    # 0 -> -1000 -> +2000 is 1 km + 3 km.
    assert fp.loc["r1", "route_m"] == pytest.approx(4000.0, rel=0.002)


def test_overnight_gap_splits_the_route_into_trips() -> None:
    visits = make_visits(("r1", "c1", "09:00", east(0)),
                         ("r1", "c2", "2026-11-04T09:00:00+00:00", east(5000)))
    fp = rep_footprints(visits, WEEK, UTM51, trip_gap_h=8).frame
    assert fp.loc["r1", "route_m"] == 0.0
    assert fp.loc["r1", "area_m2"] == pytest.approx(2 * DISC, rel=0.01)
    joined = rep_footprints(visits, WEEK, UTM51, trip_gap_h=48).frame
    assert joined.loc["r1", "route_m"] == pytest.approx(5000.0, rel=0.002)


def test_only_visits_in_the_period_count() -> None:
    visits = make_visits(("r1", "c1", "09:00", east(0)), ("r2", "c1", "2026-12-01T09:00Z",
                                                           east(0)))
    assert list(rep_footprints(visits, WEEK, UTM51).frame.index) == ["r1"]


def test_only_verified_checkins_become_visits() -> None:
    customer = make_customer("c1")
    checkins = [make_checkin(customer="c1"),
                make_checkin(customer="c1", status=CheckinStatus.REJECTED),
                make_checkin(customer="c1", status=CheckinStatus.RECEIVED)]
    assert len(visits_from_records(checkins, [customer]).frame) == 1


@pytest.mark.parametrize(("build", "code"), [
    (lambda: visits_frame(pd.DataFrame({
        "rep_id": ["r1"], "customer_id": ["c1"], "arrived_at": [datetime(2026, 11, 3, 9)],
        "departed_at": [datetime(2026, 11, 3, 10)], "lon": [120.1], "lat": [30.2]})),
     "NAIVE_TIMESTAMP"),
    (lambda: Period(datetime(2026, 11, 1), datetime(2026, 11, 2)), "NAIVE_TIMESTAMP"),
    (lambda: Period(at("10:00"), at("09:00")), "TIME_ORDER"),
    (lambda: rep_footprints(make_visits(), WEEK, CRS.from_epsg(4326)), "CRS_MISMATCH"),
    (lambda: rep_footprints(make_visits(), WEEK, UTM51, buffer_m=0), "BAD_NUMBER"),
    (lambda: visits_frame(pd.DataFrame({"rep_id": ["r1"]})), "BAD_TABLE"),
])
def test_bad_input_raises(build: object, code: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        build()  # type: ignore[operator]
    assert raised.value.code == code


def test_tz_aware_non_utc_is_converted() -> None:
    visits = make_visits(("r1", "c1", "2026-11-03T17:00:00+08:00", east(0)))
    assert visits.frame["departed_at"].iloc[0] == pd.Timestamp("2026-11-03T09:00Z")


route_points = st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)),
                        min_size=1, max_size=20)


def _visits(points: list[tuple[float, float]]) -> Visits:
    return make_visits(*[("r1", f"c{i}", DAY + timedelta(hours=8, minutes=20 * i),
                          shifted(*HANGZHOU, east_m=x, north_m=y))
                         for i, (x, y) in enumerate(points)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=route_points, widths=st.tuples(st.floats(50, 1500), st.floats(1.05, 3)))
def test_footprint_area_grows_with_buffer_width(points: list[tuple[float, float]],
                                                widths: tuple[float, float]) -> None:
    visits = _visits(points)
    narrow = rep_footprints(visits, WEEK, UTM51, buffer_m=widths[0]).frame
    wide = rep_footprints(visits, WEEK, UTM51,
                          buffer_m=widths[0] * widths[1]).frame
    assert wide.loc["r1", "area_m2"] > narrow.loc["r1", "area_m2"]
    assert wide.geometry.iloc[0].buffer(1.0).covers(narrow.geometry.iloc[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=route_points)
@example(points=[(-1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.0, 0.0), (0.0, 1.0), (-1.0, 0.0)])
def test_footprint_equals_geos_buffer_of_the_route(points: list[tuple[float, float]]) -> None:
    fp = rep_footprints(_visits(points), WEEK, UTM51).frame
    # The union of each leg's buffer, not the whole line's: GEOS 3.14 buffers a line that
    # doubles back over itself within a metre or so to a sliver (2,708 m² instead of a
    # 500 m disc's ~782,000 m²; hypothesis found it), and legs one by one are exact.
    route = shapely.get_coordinates(fp["route"].iloc[0])
    legs = shapely.linestrings(np.stack([route[:-1], route[1:]], axis=1)) if len(route) > 1 \
        else [shapely.points(route)]
    reference = shapely.union_all(shapely.buffer(legs, 500.0, quad_segs=8))
    assert fp.loc["r1", "area_m2"] == pytest.approx(reference.area, rel=0.005)
    assert shapely.area(shapely.symmetric_difference(fp.geometry.iloc[0], reference)) < (
        0.005 * reference.area)
