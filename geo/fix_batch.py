"""The fix checks over a whole GeoDataFrame at once, for re-verifying history.

    result = verify_fixes(frame, policy=policy, now=now)
    result["status"], result["codes"], result["risk"]

Same rules, thresholds and messages as :func:`geo.fix_integrity.check_raw_fix`, computed
column-wise with numpy; the two must agree row for row (``tests/geo/test_fix_batch.py``).
Each row's history is every row of the same rep ordered before it by (fix time, check-in
id); the movement anchor is the last earlier row whose own verdict trusts its position (no
reason with ``ReasonSpec.position``), found by iterating to the fixed point of that rule.

Input columns (one row per check-in; times tz-aware UTC ``datetime64``, NaT where missing):

    geometry                   Point(lon, lat) in EPSG:4326 (the fix); None reads as NaN
    checkin_id, rep_id         str
    accuracy_m                 float, metres (NaN = missing)
    is_mock                    bool
    fix_time, arrived_at, departed_at, submitted_at                required instants
    photo_captured_at, device_submitted_at                         optional instants
    customer_lat, customer_lon, customer_type, customer_radius_m   the customer
    customer_footprint         optional column of shapely (Multi)Polygons or None
    exif_captured_at, exif_lat, exif_lon                           optional EXIF columns

A CRS other than EPSG:4326 or a naive time column raises :class:`InvalidValue`; bad values
inside rows become reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.batch_columns import BatchColumns, read_columns
from geo.fix_policy import FixIntegrityPolicy
from geo.history import HistoryOrder
from geo.projection import distance_m, project
from geo.reasons import SPECS, FixReasonCode, Severity, duration, make_reason, metres, speed
from visitproof.records import CheckinStatus, Reason

C = FixReasonCode
Bool = npt.NDArray[np.bool_]
Float = npt.NDArray[np.float64]
_TIME_FIELDS = ("fix_time", "arrived_at", "departed_at", "submitted_at",
                "photo_captured_at", "device_submitted_at")
_REQUIRED = frozenset(_TIME_FIELDS[:4])


class _Flags:
    """Per code: which rows carry it, and how to write its message for one row."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: dict[FixReasonCode, Bool] = {}
        self.message: dict[FixReasonCode, list[tuple[Bool, Any]]] = {}

    def add(self, code: FixReasonCode, rows: Bool, values: Any) -> Bool:
        """Flag ``rows`` not yet flagged with ``code``; ``values(i)`` gives the template
        fields of row i. Returns the rows newly flagged."""
        current = self.rows.setdefault(code, np.zeros(self.n, dtype=bool))
        new = rows & ~current
        current |= new
        self.message.setdefault(code, []).append((new, values))
        return new

    def reason(self, code: FixReasonCode, i: int) -> Reason:
        for rows, values in self.message[code]:
            if rows[i]:
                return make_reason(code, **values(i))
        raise KeyError(code)

    def position_doubted(self) -> Bool:
        out = np.zeros(self.n, dtype=bool)
        for code, rows in self.rows.items():
            if SPECS[code].position:
                out |= rows
        return out

    def any_with(self, severity: Severity) -> Bool:
        out = np.zeros(self.n, dtype=bool)
        for code, rows in self.rows.items():
            if SPECS[code].severity is severity:
                out |= rows
        return out


def verify_fixes(frame: gpd.GeoDataFrame, *, policy: FixIntegrityPolicy, now: datetime,
                 with_messages: bool = True) -> pd.DataFrame:
    """Verdict columns for every row of ``frame`` (same index): ``status`` (str), ``risk``
    (float in [0, 1]), ``codes`` (tuple of str, in code order), ``reasons`` (tuple of
    Reason, when ``with_messages``), and the measurements ``distance_m``, ``allowed_m``,
    ``tolerance_m``, ``submit_delay_s``, ``clock_skew_s``, ``speed_kmh`` (NaN if none)."""
    cols = read_columns(frame, policy, now)
    flags = _Flags(cols.n)
    out: dict[str, Float] = {name: np.full(cols.n, np.nan) for name in (
        "distance_m", "allowed_m", "tolerance_m", "submit_delay_s", "clock_skew_s",
        "speed_kmh")}
    valid_time = _time_inputs(cols, flags, policy)
    _time_rules(cols, valid_time, flags, policy, out)
    tolerance = _fix_inputs(cols, flags, policy)
    valid_xy = _position_rules(cols, tolerance, flags, policy, out)
    _exif_rules(cols, valid_xy, valid_time["photo_captured_at"], tolerance, flags, policy)
    # last: the movement anchor depends on every other rule's rejections
    _history_rules(cols, valid_xy & valid_time["fix_time"], valid_time["fix_time"],
                   tolerance, flags, policy, out)
    return _result(frame.index, flags, out, with_messages)


def _t(cols: BatchColumns, name: str, i: int) -> pd.Timestamp:
    return pd.Timestamp(int(cols.times[name][i]), tz="UTC")


def _time_inputs(cols: BatchColumns, flags: _Flags,
                 policy: FixIntegrityPolicy) -> dict[str, Bool]:
    valid: dict[str, Bool] = {}
    earliest = pd.Timestamp(policy.earliest_valid).value
    limit = cols.now_ns + int(policy.future_tolerance_s * 1e9)
    for name in _TIME_FIELDS:
        ns, missing = cols.times[name], cols.missing[name]
        if name in _REQUIRED:
            flags.add(C.TIME_INVALID, missing, lambda i, f=name: {"field": f,
                                                                    "value": "None"})
        early = ~missing & (ns < earliest)
        flags.add(C.TIME_IMPLAUSIBLE, early, lambda i, f=name: {
            "field": f, "value": _t(cols, f, i).isoformat(),
            "earliest": policy.earliest_valid.date().isoformat()})
        valid[name] = ~missing & ~early
        if name != "device_submitted_at":
            flags.add(C.TIME_IN_FUTURE, valid[name] & (ns > limit), lambda i, f=name: {
                "field": f, "ahead": duration((cols.times[f][i] - cols.now_ns) / 1e9)})
    return valid


def _seconds(cols: BatchColumns, later: str, sooner: str) -> Float:
    return np.asarray((cols.times[later] - cols.times[sooner]) / 1e9, dtype=np.float64)


def _time_rules(cols: BatchColumns, v: dict[str, Bool], flags: _Flags,
                policy: FixIntegrityPolicy, out: dict[str, Float]) -> None:
    both = v["arrived_at"] & v["departed_at"]
    dwell = _seconds(cols, "departed_at", "arrived_at")
    flags.add(C.TIME_ORDER, both & (dwell <= 0), lambda i: {
        "detail": f"arrived {_t(cols, 'arrived_at', i):%H:%M:%S} is not before departed "
                  f"{_t(cols, 'departed_at', i):%H:%M:%S}"})
    flags.add(C.DWELL_TOO_SHORT, both & (dwell > 0) & (dwell < policy.min_dwell_s),
              lambda i: {"dwell": duration(dwell[i]),
                         "minimum": duration(policy.min_dwell_s)})
    sent = v["departed_at"] & v["submitted_at"]
    delay = _seconds(cols, "submitted_at", "departed_at")
    out["submit_delay_s"][sent] = delay[sent]
    flags.add(C.TIME_ORDER, sent & (delay < 0), lambda i: {
        "detail": f"submitted {duration(delay[i])} before the reported departure"})
    window = {"window": duration(policy.submit_window_s)}
    flags.add(C.SUBMITTED_BACKFILLED, sent & (delay > policy.backfill_after_s),
              lambda i: {"late": duration(delay[i]), **window})
    flags.add(C.SUBMITTED_LATE, sent & (delay > policy.submit_window_s)
              & (delay <= policy.backfill_after_s),
              lambda i: {"late": duration(delay[i]), **window})
    for name in ("fix_time", "photo_captured_at"):
        early = _seconds(cols, "arrived_at", name)
        flags.add(C.TIME_BEFORE_VISIT, v["arrived_at"] & v[name]
                  & (early > policy.visit_time_tolerance_s),
                  lambda i, e=early, f=name: {"field": f, "early": duration(e[i])})
    for name in ("fix_time", "photo_captured_at"):
        late = _seconds(cols, name, "departed_at")
        flags.add(C.FIX_AFTER_DEPARTURE, v["departed_at"] & v[name]
                  & (late > policy.visit_time_tolerance_s),
                  lambda i, e=late, f=name: {"field": f, "late": duration(e[i])})
    pair = v["device_submitted_at"] & v["submitted_at"]
    skew = _seconds(cols, "device_submitted_at", "submitted_at")
    out["clock_skew_s"][pair] = skew[pair]
    flags.add(C.DEVICE_CLOCK_SKEW, pair & (np.abs(skew) > policy.clock_skew_tolerance_s),
              lambda i: {"skew": duration(skew[i]),
                         "direction": "ahead of" if skew[i] > 0 else "behind",
                         "tolerance": duration(policy.clock_skew_tolerance_s)})


def _fix_inputs(cols: BatchColumns, flags: _Flags, policy: FixIntegrityPolicy) -> Float:
    acc = cols.accuracy
    good = np.isfinite(acc) & (acc >= 0)
    flags.add(C.FIX_ACCURACY_INVALID, ~good, lambda i: {"value": float(acc[i])})
    flags.add(C.FIX_ACCURACY_ZERO, good & (acc == 0), lambda i: {})
    flags.add(C.FIX_ACCURACY_POOR, good & (acc > policy.poor_accuracy_m),
              lambda i: {"accuracy": metres(acc[i]), "limit": metres(policy.poor_accuracy_m)})
    flags.add(C.MOCK_LOCATION_FLAG, cols.is_mock, lambda i: {})
    return np.where(good, np.minimum(np.where(good, acc, 0.0),
                                     policy.max_accuracy_tolerance_m), 0.0)


def geofence_distances(lat: Float, lon: Float, cols: BatchColumns, rows: Bool) -> Float:
    """Metres from each (lat, lon) in ``rows`` to its customer's footprint or point
    (UTM zone of the customer); ``inf`` elsewhere."""
    out = np.full(cols.n, np.inf)
    plain = rows & ~cols.has_footprint
    out[plain] = distance_m(lon[plain], lat[plain], cols.customer_lon[plain],
                            cols.customer_lat[plain], cols.epsg[plain])
    shaped = rows & cols.has_footprint
    for code in np.unique(cols.epsg[shaped]):
        sel = shaped & (cols.epsg == code)
        x, y = project(lon[sel], lat[sel], int(code))
        polygons = shapely.transform(cols.footprint[sel], _projector(int(code)))
        found = shapely.distance(shapely.points(x, y), polygons)
        out[sel] = np.where(np.isfinite(found), found, np.inf)
    return out


def _projector(epsg: int) -> Callable[[Float], Float]:
    def to_metres(xy: Float) -> Float:
        x, y = project(xy[:, 0], xy[:, 1], epsg)
        return np.column_stack([x, y])
    return to_metres


def _position_rules(cols: BatchColumns, tolerance: Float, flags: _Flags,
                    policy: FixIntegrityPolicy, out: dict[str, Float]) -> Bool:
    lat, lon = cols.lat, cols.lon
    finite = np.isfinite(lat) & np.isfinite(lon)
    lat_ok = finite & (np.abs(lat) <= 90.0)
    valid = lat_ok & (np.abs(lon) <= 180.0)
    swappable = finite & (np.abs(lon) <= 90.0) & (np.abs(lat) <= 180.0)
    swapped = geofence_distances(lon, lat, cols, swappable)
    limit = cols.allowed + tolerance
    flags.add(C.FIX_COORDINATE_NOT_FINITE, ~finite,
              lambda i: {"value": f"lat={float(lat[i])}, lon={float(lon[i])}"})
    bad_lat = finite & ~lat_ok
    flags.add(C.FIX_LAT_LON_SWAPPED, bad_lat & (swapped <= limit),
              lambda i: {"distance": metres(swapped[i])})
    flags.add(C.FIX_LAT_OUT_OF_RANGE, bad_lat & ~(swapped <= limit),
              lambda i: {"value": float(lat[i])})
    flags.add(C.FIX_LON_OUT_OF_RANGE, lat_ok & ~valid, lambda i: {"value": float(lon[i])})
    distance = geofence_distances(lat, lon, cols, valid)
    out["distance_m"][valid] = distance[valid]
    out["allowed_m"][valid] = cols.allowed[valid]
    out["tolerance_m"][valid] = tolerance[valid]
    outside = valid & ~(distance <= limit)
    flags.add(C.GPS_OUTSIDE_GEOFENCE, outside, lambda i: {
        "distance": metres(distance[i]), "allowed": metres(cols.allowed[i]),
        "tolerance": metres(tolerance[i])})
    flags.add(C.FIX_LAT_LON_SWAPPED, outside & (swapped <= limit),
              lambda i: {"distance": metres(swapped[i])})
    on_point = np.full(cols.n, np.inf)
    on_point[valid] = distance_m(lon[valid], lat[valid], cols.customer_lon[valid],
                                 cols.customer_lat[valid], cols.epsg[valid])
    flags.add(C.FIX_EXACTLY_ON_CUSTOMER, valid & (on_point < policy.exact_point_m),
              lambda i: {"distance": f"{on_point[i]:.2f} m"})
    step = policy.grid_step_deg
    snapped = valid & (np.abs(lat / step - np.round(lat / step)) < 1e-6) \
        & (np.abs(lon / step - np.round(lon / step)) < 1e-6)
    flags.add(C.FIX_GRID_SNAPPED, snapped, lambda i: {"step": f"{step:g}"})
    return valid


def _history_rules(cols: BatchColumns, judged: Bool, timed: Bool, tolerance: Float,
                   flags: _Flags, policy: FixIntegrityPolicy, out: dict[str, Float]) -> None:
    order = HistoryOrder.build(cols, timed)
    order.repeated(flags, judged)
    order.constant_accuracy(flags, judged, policy)
    order.regular_timing(flags, judged, policy)
    pre_doubted = flags.position_doubted()
    doubted = pre_doubted.copy()
    for _ in range(cols.n + 1):
        speed_ms, elapsed, dist, has = order.movement(doubted, judged, tolerance, policy)
        impossible = has & (speed_ms > policy.max_speed_ms)
        updated = pre_doubted | impossible
        if np.array_equal(updated, doubted):
            break
        doubted = updated
    out["speed_kmh"][has] = speed_ms[has] * 3.6
    flags.add(C.IMPOSSIBLE_SPEED, impossible, lambda i: {
        "distance": metres(dist[i]), "elapsed": duration(elapsed[i]),
        "speed": speed(speed_ms[i]), "ceiling": speed(policy.max_speed_ms)})


def _exif_rules(cols: BatchColumns, valid_xy: Bool, captured_ok: Bool, tolerance: Float,
                flags: _Flags, policy: FixIntegrityPolicy) -> None:
    if cols.exif_ns is not None:
        has = captured_ok & ~cols.exif_missing
        diff = np.asarray((cols.exif_ns - cols.times["photo_captured_at"]) / 1e9)
        flags.add(C.EXIF_TIME_MISMATCH, has & (np.abs(diff) > policy.exif_time_tolerance_s),
                  lambda i: {"difference": duration(diff[i]),
                             "direction": "after" if diff[i] > 0 else "before"})
    if cols.exif_lat is not None and cols.exif_lon is not None:
        e_lat, e_lon = cols.exif_lat, cols.exif_lon
        has = valid_xy & np.isfinite(e_lat) & np.isfinite(e_lon) & (np.abs(e_lat) <= 90) \
            & (np.abs(e_lon) <= 180)
        gap = np.full(cols.n, np.inf)
        gap[has] = distance_m(cols.lon[has], cols.lat[has], e_lon[has], e_lat[has],
                              cols.epsg[has])
        allowed = policy.exif_distance_tolerance_m + tolerance
        flags.add(C.EXIF_POSITION_MISMATCH, has & ~(gap <= allowed), lambda i: {
            "distance": metres(gap[i]), "allowed": metres(allowed[i])})


def _result(index: pd.Index, flags: _Flags, out: dict[str, Float],
            with_messages: bool) -> pd.DataFrame:
    n = flags.n
    status = np.full(n, CheckinStatus.VERIFIED.value, dtype=object)
    status[flags.any_with(Severity.REVIEW)] = CheckinStatus.NEEDS_REVIEW.value
    status[flags.any_with(Severity.REJECT)] = CheckinStatus.REJECTED.value
    keep = np.ones(n)
    codes: list[list[str]] = [[] for _ in range(n)]
    for code in FixReasonCode:
        rows = flags.rows.get(code)
        if rows is None or not rows.any():
            continue
        keep *= np.where(rows, 1.0 - SPECS[code].weight, 1.0)
        for i in np.flatnonzero(rows):
            codes[i].append(code.value)
    empty: tuple[str, ...] = ()
    frame = pd.DataFrame({"status": status, "risk": np.round(1.0 - keep, 6),
                          "codes": [tuple(c) if c else empty for c in codes], **out},
                         index=index)
    if with_messages:
        frame["reasons"] = pd.Series([tuple(flags.reason(C(code), i) for code in c) if c else ()
                                      for i, c in enumerate(codes)], index=index, dtype=object)
    return frame
