"""The simulated distributor's geography: Hangzhou's districts and counties, and rep
territories as polygons.

Centres are the real district seats (WGS 84 degrees); ``spread_km`` is how far customers
scatter around them and ``weight`` how many there are (roughly population). The simulator
works in metres in UTM zone 51N (EPSG:32651), which covers the whole prefecture with well
under 0.2% scale error; the checks themselves re-project per customer (:mod:`geo.projection`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

Float = npt.NDArray[np.float64]
SIM_EPSG = 32651
_TO_METRES = Transformer.from_crs("EPSG:4326", f"EPSG:{SIM_EPSG}", always_xy=True)
_TO_DEGREES = Transformer.from_crs(f"EPSG:{SIM_EPSG}", "EPSG:4326", always_xy=True)


@dataclass(frozen=True, slots=True)
class District:
    """A district or county: seat position (degrees), customer spread (km), weight, and
    whether it is dense city (slower traffic, urban-canyon GPS)."""

    name: str
    lat: float
    lon: float
    spread_km: float
    weight: float
    urban: bool


DISTRICTS: tuple[District, ...] = (
    District("Shangcheng", 30.2425, 120.1693, 2.5, 9.0, True),
    District("Gongshu", 30.3192, 120.1418, 3.0, 9.0, True),
    District("Xihu", 30.2595, 120.1300, 4.0, 9.0, True),
    District("Binjiang", 30.2083, 120.2119, 3.0, 6.0, True),
    District("Xiaoshan", 30.1852, 120.2645, 7.0, 9.0, True),
    District("Yuhang", 30.2731, 120.0017, 7.0, 7.0, True),
    District("Linping", 30.4191, 120.2999, 6.0, 6.0, False),
    District("Qiantang", 30.3026, 120.4513, 6.0, 4.0, False),
    District("Fuyang", 30.0489, 119.9603, 8.0, 5.0, False),
    District("Lin'an", 30.2337, 119.7247, 9.0, 4.0, False),
    District("Tonglu", 29.7972, 119.6914, 8.0, 3.0, False),
    District("Jiande", 29.4745, 119.2797, 8.0, 2.0, False),
    District("Chun'an", 29.6092, 119.0422, 9.0, 2.0, False),
)


def to_metres(lon: Float, lat: Float) -> tuple[Float, Float]:
    """Degrees to simulator metres (EPSG:32651)."""
    x, y = _TO_METRES.transform(np.asarray(lon, dtype=np.float64),
                                np.asarray(lat, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def to_degrees(x: Float, y: Float) -> tuple[Float, Float]:
    """Simulator metres (EPSG:32651) to (lon, lat) degrees."""
    lon, lat = _TO_DEGREES.transform(np.asarray(x, dtype=np.float64),
                                     np.asarray(y, dtype=np.float64))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def region_outline() -> BaseGeometry:
    """The served area in simulator metres: each district's disc (2.5 x spread) merged."""
    xs, ys = to_metres(np.array([d.lon for d in DISTRICTS]), np.array([d.lat for d in DISTRICTS]))
    discs = [shapely.Point(x, y).buffer(d.spread_km * 2500.0, quad_segs=8)
             for x, y, d in zip(xs, ys, DISTRICTS, strict=True)]
    return shapely.union_all(discs)


def territories(base_x: Float, base_y: Float) -> list[BaseGeometry]:
    """One territory per rep: the Voronoi cell of the rep's base inside the region, as a
    lon/lat polygon (EPSG:4326). Customers belong to the territory of the nearest base."""
    outline = region_outline()
    cells = shapely.voronoi_polygons(shapely.MultiPoint(np.column_stack([base_x, base_y])),
                                     extend_to=outline)
    by_base: list[BaseGeometry] = []
    pieces = list(cells.geoms)
    for x, y in zip(base_x, base_y, strict=True):
        point = shapely.Point(x, y)
        cell = next(piece for piece in pieces if piece.covers(point))
        area = cell.intersection(outline)
        if area.geom_type not in ("Polygon", "MultiPolygon"):
            area = point.buffer(500.0)
        by_base.append(shapely.transform(area, _degrees_xy))
    return by_base


def _degrees_xy(xy: Float) -> Float:
    lon, lat = to_degrees(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
