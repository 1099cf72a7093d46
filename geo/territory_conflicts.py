"""Territory conflicts: reps working where they were not sent.

Two kinds, both from verified visits in a period, each aggregated per (rep, customer):

* **outside territory**: the visited customer's location lies outside the visiting rep's
  assigned territory polygon; ``distance_m`` is how far outside (metres, in the region's
  metric CRS). Reps with no territory, or one missing from the territory table, can't be
  judged and are listed in ``reps_without_territory``.
* **foreign account**: the customer is assigned to one or more reps and was visited by a rep
  who is not among them. Customers with no assigned rep are never foreign.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.coverage import CustomerSites
from geo.routes import WGS84, Period, Visits, require_metric, require_same_crs


@dataclass(frozen=True, slots=True)
class OutsideTerritory:
    """A rep's verified visits to one customer outside their territory (distance metres,
    last visit UTC)."""

    rep_id: str
    customer_id: str
    territory_id: str
    visits: int
    last_visit: datetime
    distance_m: float


@dataclass(frozen=True, slots=True)
class ForeignAccount:
    """A rep's verified visits to a customer assigned to other reps (last visit UTC)."""

    rep_id: str
    customer_id: str
    owner_rep_ids: tuple[str, ...]
    visits: int
    last_visit: datetime


@dataclass(frozen=True, slots=True)
class TerritoryConflicts:
    """Both kinds of conflict, worst first (furthest / most visits)."""

    outside: tuple[OutsideTerritory, ...]
    foreign: tuple[ForeignAccount, ...]
    reps_without_territory: tuple[str, ...]


def territory_conflicts(visits: Visits, period: Period, sites: CustomerSites,
                        territories: gpd.GeoSeries, rep_territory: Mapping[str, str | None],
                        crs: CRS) -> TerritoryConflicts:
    """Conflicts among ``visits`` departed in ``period``.

    ``territories``: polygons indexed by territory id, in EPSG:4326 (another CRS raises
    CRS_MISMATCH); ``rep_territory``: rep id -> territory id; ``crs``: the metric CRS the
    distances are measured in.
    """
    require_metric(crs, "crs")
    require_same_crs(WGS84, territories.crs, "territories")
    frame = visits.in_period(period).frame
    per_pair = (frame.groupby(["rep_id", "customer_id"], sort=True)
                .agg(visits=("departed_at", "size"), last_visit=("departed_at", "max"),
                     lon=("lon", "first"), lat=("lat", "first"))
                .reset_index())
    outside, unjudged = _outside(per_pair, territories, rep_territory, crs)
    return TerritoryConflicts(outside=outside, foreign=_foreign(per_pair, sites),
                              reps_without_territory=unjudged)


def _outside(per_pair: pd.DataFrame, territories: gpd.GeoSeries,
             rep_territory: Mapping[str, str | None], crs: CRS,
             ) -> tuple[tuple[OutsideTerritory, ...], tuple[str, ...]]:
    territory_ids = per_pair["rep_id"].map(lambda rep: rep_territory.get(rep))
    known = territory_ids.isin(territories.index)
    unjudged = tuple(sorted(set(per_pair.loc[~known, "rep_id"])))
    judged = per_pair.loc[known].assign(territory_id=territory_ids[known])
    if judged.empty:
        return (), unjudged
    polygons = territories.to_crs(crs).reindex(judged["territory_id"]).to_numpy()
    points = gpd.GeoSeries(gpd.points_from_xy(judged["lon"], judged["lat"]), crs=WGS84)
    # distance() is 0 inside and on the boundary, so one vectorised call both tests
    # containment and says how far out a visit was.
    distance = shapely.distance(polygons, points.to_crs(crs).to_numpy())
    judged = judged.assign(distance_m=distance).loc[distance > 0]
    judged = judged.sort_values(["distance_m", "rep_id", "customer_id"],
                                ascending=[False, True, True])
    return tuple(OutsideTerritory(str(r.rep_id), str(r.customer_id), str(r.territory_id),
                                  int(r.visits), pd.Timestamp(r.last_visit).to_pydatetime(),
                                  float(r.distance_m))
                 for r in judged.itertuples(index=False)), unjudged


def _foreign(per_pair: pd.DataFrame, sites: CustomerSites) -> tuple[ForeignAccount, ...]:
    owners = sites.frame.set_index("customer_id")["assigned_rep_ids"]
    assigned = per_pair["customer_id"].map(owners)
    has_owner = assigned.map(lambda ids: isinstance(ids, tuple) and len(ids) > 0)
    is_owner = np.fromiter((rep in ids if isinstance(ids, tuple) else False
                            for rep, ids in zip(per_pair["rep_id"], assigned, strict=True)),
                           dtype=bool, count=len(per_pair))
    foreign = per_pair.assign(owners=assigned).loc[has_owner.to_numpy() & ~is_owner]
    foreign = foreign.sort_values(["visits", "rep_id", "customer_id"],
                                  ascending=[False, True, True])
    return tuple(ForeignAccount(str(r.rep_id), str(r.customer_id), tuple(r.owners),
                                int(r.visits), pd.Timestamp(r.last_visit).to_pydatetime())
                 for r in foreign.itertuples(index=False))
