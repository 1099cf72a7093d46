"""Territory conflicts: visits outside the assigned polygon (with distance) and visits to
customers assigned to another rep."""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from geo.coverage import customer_sites
from geo.routes import WGS84, Period
from geo.territory_conflicts import TerritoryConflicts, territory_conflicts
from tests.builders import DAY, HANGZHOU, make_customer, make_visits, shifted
from visitproof.errors import InvalidValue

UTM51 = CRS.from_epsg(32651)
WEEK = Period(DAY - timedelta(days=1), DAY + timedelta(days=6))
# A square about 2 km across centred on HANGZHOU.
SW, NE = shifted(*HANGZHOU, north_m=-1000, east_m=-1000), shifted(*HANGZHOU, north_m=1000,
                                                                   east_m=1000)
TERRITORIES = gpd.GeoSeries([shapely.box(SW[1], SW[0], NE[1], NE[0])], index=["t1"], crs=WGS84)
INSIDE = shifted(*HANGZHOU, east_m=200)
OUTSIDE = shifted(*HANGZHOU, east_m=2500)  # 1.5 km east of the square's edge
SITES = customer_sites([make_customer("c-in", *INSIDE, reps=("r1",)),
                        make_customer("c-out", *OUTSIDE, reps=("r2",)),
                        make_customer("c-free", *INSIDE, reps=())])
VISITS = make_visits(("r1", "c-in", "09:00", INSIDE), ("r1", "c-out", "10:00", OUTSIDE),
                     ("r1", "c-out", "2026-11-04T10:00Z", OUTSIDE),
                     ("r1", "c-free", "11:00", INSIDE), ("r2", "c-out", "12:00", OUTSIDE),
                     ("r3", "c-in", "13:00", INSIDE))


def conflicts(territories: gpd.GeoSeries = TERRITORIES) -> TerritoryConflicts:
    return territory_conflicts(VISITS, WEEK, SITES, territories,
                               {"r1": "t1", "r2": None, "r3": "t-missing"}, UTM51)


def test_visits_outside_the_territory_with_distance() -> None:
    (outside,) = conflicts().outside
    assert (outside.rep_id, outside.customer_id, outside.territory_id) == ("r1", "c-out", "t1")
    assert outside.visits == 2
    assert outside.distance_m == pytest.approx(1500.0, rel=0.01)


def test_customers_of_other_reps() -> None:
    found = {(f.rep_id, f.customer_id): f for f in conflicts().foreign}
    assert set(found) == {("r1", "c-out"), ("r3", "c-in")}  # c-free has no owner
    assert found[("r1", "c-out")].owner_rep_ids == ("r2",)
    assert found[("r1", "c-out")].visits == 2


def test_reps_without_a_usable_territory_are_listed() -> None:
    assert conflicts().reps_without_territory == ("r2", "r3")


def test_territories_in_another_crs_raise() -> None:
    with pytest.raises(InvalidValue) as raised:
        conflicts(TERRITORIES.to_crs(UTM51))
    assert raised.value.code == "CRS_MISMATCH"
