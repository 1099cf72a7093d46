"""Metric distances through the local UTM zone agree with the WGS 84 geodesic."""

from __future__ import annotations

import pytest
from pyproj import Geod

from geo.projection import point_distance_m, utm_epsg
from visitproof.errors import InvalidValue


@pytest.mark.parametrize(("lon", "lat", "epsg"), [(120.155, 30.274, 32651),
                                                  (119.04, 29.61, 32650),
                                                  (13.71, 45.27, 32633),
                                                  (-58.38, -34.60, 32721)])
def test_utm_zone(lon: float, lat: float, epsg: int) -> None:
    assert utm_epsg(lon, lat) == epsg


@pytest.mark.parametrize("metres", [10.0, 150.0, 1820.0, 50_000.0])
def test_distance_within_a_tenth_of_a_percent_of_the_geodesic(metres: float) -> None:
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(120.155, 30.274, 37.0, metres)

    measured = point_distance_m(120.155, 30.274, lon2, lat2, utm_epsg(120.155, 30.274))

    assert measured == pytest.approx(metres, rel=1e-3)


def test_non_utm_code_is_refused() -> None:
    with pytest.raises(InvalidValue) as raised:
        point_distance_m(0, 0, 1, 1, 3857)
    assert raised.value.code == "CRS_MISMATCH"
