"""Reading the overlap analysis' inputs for one tenant straight from the store's columns,
over an open SQLAlchemy connection: the CLI (``visitproof overlap``) and the API
(``/v1/overlap``, ``/v1/coverage-gaps``, the overlap page) read the store the same way.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.coverage import sites_frame
from geo.overlap_outputs import OverlapInputs
from geo.routes import WGS84, visits_frame
from visitproof.records import CheckinStatus
from visitproof.store import tables


def overlap_inputs(connection: Connection, tenant: str, *, until: datetime) -> OverlapInputs:
    """Read only the columns the analysis needs, straight into frames: at 20,000 customers
    and a year of check-ins, building records first would dominate the run time."""
    c, k, link = tables.checkins.c, tables.customers.c, tables.customer_reps.c
    customers = pd.DataFrame(connection.execute(
        sa.select(k.id.label("customer_id"), k.name, k.tier, k.lon, k.lat, k.territory_id)
        .where(k.tenant_id == tenant).order_by(k.id)).all(),
        columns=["customer_id", "name", "tier", "lon", "lat", "territory_id"])
    assigned: dict[str, list[str]] = {}
    for customer_id, rep_id in connection.execute(
            sa.select(link.customer_id, link.rep_id).where(link.tenant_id == tenant)
            .order_by(link.customer_id, link.position)):
        assigned.setdefault(customer_id, []).append(rep_id)
    customers["assigned_rep_ids"] = [tuple(assigned.get(i, ())) for i in
                                     customers["customer_id"]]
    # Every verified visit up to the period's end: coverage needs each customer's last touch,
    # however long ago it was.
    visits = pd.DataFrame(connection.execute(
        sa.select(c.rep_id, c.customer_id, c.arrived_at, c.departed_at, k.lon, k.lat)
        .join(tables.customers, sa.and_(k.tenant_id == c.tenant_id, k.id == c.customer_id))
        .where(c.tenant_id == tenant, c.status == CheckinStatus.VERIFIED.value,
               c.departed_at < until)).all(),
        columns=["rep_id", "customer_id", "arrived_at", "departed_at", "lon", "lat"])
    r, t = tables.reps.c, tables.territories.c
    reps = connection.execute(sa.select(r.id, r.name, r.territory_id)
                              .where(r.tenant_id == tenant)).all()
    areas = connection.execute(sa.select(t.id, t.area_wkt).where(t.tenant_id == tenant)).all()
    territories = gpd.GeoSeries(shapely.from_wkt([a.area_wkt for a in areas]),
                                index=pd.Index([a.id for a in areas], dtype=object),
                                crs=WGS84)
    return OverlapInputs(visits=visits_frame(visits), sites=sites_frame(customers),
                         territories=territories,
                         rep_territory={rep.id: rep.territory_id for rep in reps},
                         rep_names={rep.id: rep.name for rep in reps})
