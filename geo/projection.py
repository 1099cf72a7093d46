"""Metric distances: every distance in ``geo/`` is measured after projecting lon/lat
(EPSG:4326) to the UTM zone of a reference point (WGS 84 / UTM, EPSG:326xx north, 327xx
south), then taking the planar distance in metres.

Which reference point: for a check-in, its customer's registered location, used for the
geofence, the EXIF position and the movement from the previous fix alike; for a track, the
earlier point of each pair. Within a few hundred kilometres of the zone's central meridian
the scale error of UTM stays under 0.1%, far below GPS noise. Points very far from the
reference (a fix on another continent) may project to infinity, which every check reads as
"too far". The Norway/Svalbard zone exceptions are not applied.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

from visitproof.errors import InvalidValue

FloatArray = npt.NDArray[np.float64]
WGS84 = "EPSG:4326"


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the UTM zone containing (lon, lat) in degrees."""
    return int(utm_epsg_array(np.array([lon]), np.array([lat]))[0])


def utm_epsg_array(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.int64]:
    """EPSG codes of the UTM zones of arrays of lon/lat degrees (same shape)."""
    zone = np.clip(np.floor((np.asarray(lon) + 180.0) / 6.0).astype(np.int64) + 1, 1, 60)
    return np.where(np.asarray(lat) >= 0, 32600, 32700) + zone


@lru_cache(maxsize=128)
def _transformer(epsg: int) -> Transformer:
    if not (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        raise InvalidValue("epsg", f"expected a WGS 84 / UTM zone (326xx or 327xx), got {epsg}",
                           code="CRS_MISMATCH")
    return Transformer.from_crs(WGS84, f"EPSG:{epsg}", always_xy=True)


def project(lon: FloatArray, lat: FloatArray, epsg: int) -> tuple[FloatArray, FloatArray]:
    """Project lon/lat degrees to easting/northing metres in the UTM zone ``epsg``."""
    x, y = _transformer(epsg).transform(np.asarray(lon, dtype=np.float64),
                                        np.asarray(lat, dtype=np.float64), errcheck=False)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def project_point(lon: float, lat: float, epsg: int) -> tuple[float, float]:
    """Project one lon/lat point (degrees) to metres in the UTM zone ``epsg``."""
    x, y = project(np.array([lon]), np.array([lat]), epsg)
    return float(x[0]), float(y[0])


def distance_m(lon_a: FloatArray, lat_a: FloatArray, lon_b: FloatArray, lat_b: FloatArray,
               epsg: npt.NDArray[np.int64]) -> FloatArray:
    """Metres between points a and b (lon/lat degrees), each pair measured in the UTM zone
    ``epsg`` of that pair. Non-finite projections give ``inf``."""
    lon_a, lat_a, lon_b, lat_b = (np.asarray(v, dtype=np.float64)
                                  for v in (lon_a, lat_a, lon_b, lat_b))
    out = np.full(lon_a.shape, np.inf)
    for code in np.unique(epsg):
        rows = epsg == code
        xa, ya = project(lon_a[rows], lat_a[rows], int(code))
        xb, yb = project(lon_b[rows], lat_b[rows], int(code))
        out[rows] = np.hypot(xa - xb, ya - yb)
    out[~np.isfinite(out)] = np.inf
    return out


def point_distance_m(lon_a: float, lat_a: float, lon_b: float, lat_b: float,
                     epsg: int) -> float:
    """Metres between two lon/lat points, measured in the UTM zone ``epsg``."""
    return float(distance_m(np.array([lon_a]), np.array([lat_a]), np.array([lon_b]),
                            np.array([lat_b]), np.array([epsg]))[0])
