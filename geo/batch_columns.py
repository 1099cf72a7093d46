"""The input columns of a batch fix check, read once from a GeoDataFrame and validated.

Whole-column problems raise :class:`~visitproof.errors.InvalidValue` (a CRS other than
EPSG:4326, a naive time column, a missing required column); problems inside rows are left
for the rules (:mod:`geo.fix_rules`) to report as reasons. Times become int64 nanoseconds
since the epoch (UTC) with a missing mask, so every rule is plain integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.fix_columns import NANOSECONDS, TIME_FIELDS, Bool, FixColumns, Float, Int
from geo.fix_integrity import ExifEvidence
from geo.fix_policy import FixIntegrityPolicy
from geo.projection import utm_epsg_array
from visitproof.errors import InvalidValue
from visitproof.records import Checkin, Customer
from visitproof.values import require_utc

REQUIRED = ("checkin_id", "rep_id", "accuracy_m", "is_mock", "fix_time", "arrived_at",
            "departed_at", "submitted_at", "customer_lat", "customer_lon", "customer_type",
            "customer_radius_m")


def utc_ns(series: pd.Series, name: str) -> tuple[Int, Bool]:
    """A tz-aware time column as int64 ns UTC and its NaT mask; naive columns raise."""
    values = series
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        if values.isna().all():
            return np.zeros(len(values), dtype=np.int64), np.ones(len(values), dtype=bool)
        values = pd.to_datetime(values)
        if not isinstance(values.dtype, pd.DatetimeTZDtype):
            raise InvalidValue(name, "time column has no UTC offset; localise it to UTC",
                               code="NAIVE_TIMESTAMP")
    utc = values.dt.tz_convert("UTC").dt.as_unit("ns")
    missing = utc.isna().to_numpy()
    ns = utc.array.asi8.copy()
    ns[missing] = 0
    return ns, missing


def read_columns(frame: gpd.GeoDataFrame, policy: FixIntegrityPolicy,
                 now: datetime) -> FixColumns:
    """Validate ``frame`` (see :mod:`geo.fix_batch` for the columns) and return arrays."""
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise InvalidValue("crs", f"fix points must be EPSG:4326 lon/lat, got {frame.crs}",
                           code="CRS_MISMATCH")
    absent = [name for name in REQUIRED if name not in frame.columns]
    if absent:
        raise InvalidValue("columns", f"missing column(s): {', '.join(absent)}",
                           code="MISSING_COLUMN")
    n = len(frame)
    points = frame.geometry.to_numpy()
    per_field = (len(TIME_FIELDS), n)
    times, missing = np.zeros(per_field, dtype=np.int64), np.ones(per_field, dtype=bool)
    for k, name in enumerate(TIME_FIELDS):
        if name in frame.columns:
            times[k], missing[k] = utc_ns(frame[name], name)
    customer_lat = frame["customer_lat"].to_numpy(dtype=np.float64)
    customer_lon = frame["customer_lon"].to_numpy(dtype=np.float64)
    radius = {str(kind): value for kind, value in policy.radius_by_type_m}
    by_type = frame["customer_type"].astype(str).map(radius).to_numpy(dtype=np.float64)
    allowed = np.where(np.isnan(by_type), frame["customer_radius_m"].to_numpy(np.float64),
                       by_type)
    if "customer_footprint" in frame.columns:
        footprint = np.asarray(frame["customer_footprint"].to_numpy(), dtype=object)
        has_footprint = np.array([shape is not None and not shapely.is_empty(shape)
                                  for shape in footprint], dtype=bool)
    else:
        footprint = np.full(n, None, dtype=object)
        has_footprint = np.zeros(n, dtype=bool)
    exif_ns: Int | None = None
    exif_missing = np.ones(n, dtype=bool)
    if "exif_captured_at" in frame.columns:
        exif_ns, exif_missing = utc_ns(frame["exif_captured_at"], "exif_captured_at")
    none = np.zeros(per_field, dtype=bool)
    return FixColumns(
        n=n, lat=shapely.get_y(points).astype(np.float64),
        lon=shapely.get_x(points).astype(np.float64),
        accuracy=pd.to_numeric(frame["accuracy_m"], errors="coerce").to_numpy(np.float64),
        is_mock=frame["is_mock"].fillna(False).to_numpy(dtype=bool),
        tick_s=NANOSECONDS, times=times, missing=missing, unreadable=none, naive=none,
        now=pd.Timestamp(require_utc(now, "now")).as_unit("ns").value,
        rep=pd.factorize(frame["rep_id"].astype(str))[0].astype(np.int64),
        checkin_rank=pd.factorize(frame["checkin_id"].astype(str), sort=True)[0]
        .astype(np.int64),
        customer_lat=customer_lat, customer_lon=customer_lon,
        epsg=utm_epsg_array(customer_lon, customer_lat), allowed=allowed,
        has_footprint=has_footprint, footprint=footprint, exif_time=exif_ns,
        exif_missing=exif_missing, exif_naive=np.zeros(n, dtype=bool),
        exif_lat=_optional_float(frame, "exif_lat"), exif_lon=_optional_float(frame, "exif_lon"))


def checkins_frame(checkins: Sequence[Checkin], customers: Mapping[str, Customer],
                   exif: Mapping[str, ExifEvidence] | None = None) -> gpd.GeoDataFrame:
    """The batch input for stored check-ins: one row each, customers looked up by id,
    EXIF evidence (optional) by check-in id as str."""
    exif = exif or {}
    rows = []
    for checkin in checkins:
        customer = customers[checkin.customer_id]
        evidence = exif.get(str(checkin.id))
        rows.append({
            "checkin_id": str(checkin.id), "rep_id": checkin.rep_id,
            "accuracy_m": checkin.fix.accuracy_m, "is_mock": checkin.fix.is_mock,
            "fix_time": checkin.fix.fix_time, "arrived_at": checkin.arrived_at,
            "departed_at": checkin.departed_at, "submitted_at": checkin.submitted_at,
            "photo_captured_at": checkin.photo_captured_at,
            "device_submitted_at": checkin.device_submitted_at,
            "customer_lat": customer.location.lat, "customer_lon": customer.location.lon,
            "customer_type": customer.type.value,
            "customer_radius_m": customer.geofence_radius_m,
            "customer_footprint": customer.footprint,
            "exif_captured_at": evidence.captured_at if evidence else None,
            "exif_lat": evidence.lat if evidence and evidence.lat is not None else np.nan,
            "exif_lon": evidence.lon if evidence and evidence.lon is not None else np.nan,
        })
    frame = pd.DataFrame(rows, columns=[*REQUIRED, "photo_captured_at",
                                        "device_submitted_at", "customer_footprint",
                                        "exif_captured_at", "exif_lat", "exif_lon"])
    for name in (*TIME_FIELDS, "exif_captured_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    points = shapely.points([c.fix.lon for c in checkins], [c.fix.lat for c in checkins])
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def _optional_float(frame: gpd.GeoDataFrame, name: str) -> Float | None:
    if name not in frame.columns:
        return None
    return np.asarray(pd.to_numeric(frame[name], errors="coerce"), dtype=np.float64)
