"""The fix-integrity rules, written once over columns: N check-ins at a time, N = 1 for an
upload, N = millions for re-verifying history.

    found = find_reasons(cols, policy, earlier=earlier_fixes)
    found.rows[ReasonCode.GPS_OUTSIDE_GEOFENCE], found.reason(code, i), found.values

Each rule is a mask over the rows of :class:`~geo.fix_columns.FixColumns` and a function that
words its message for one row; :func:`geo.fix_integrity.check_raw_fix` and
:func:`geo.fix_batch.verify_fixes` are two readers and two writers around this module. The
rules, with the policy fields that set them, are listed in :mod:`geo.reasons` and the README.

Each row's history is every fix of the same rep ordered before it by (fix time, check-in
id): the other rows and the ``earlier`` fixes. The movement anchor is the last earlier fix
whose own verdict trusts its position (no code that casts doubt on it), found by iterating
to the fixed point of that rule, since a row's doubt depends on its own anchor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import shapely

from geo import movement, spoofing
from geo.fix_columns import REQUIRED_TIMES, TIME_FIELDS, Bool, EarlierFixes, FixColumns, Float
from geo.fix_findings import FixFindings
from geo.fix_policy import FixIntegrityPolicy
from geo.history import HistoryOrder
from geo.projection import distance_m, project
from geo.reasons import duration, metres
from visitproof.reasons import ReasonCode

C = ReasonCode
_REQUIRED = np.array([[name in REQUIRED_TIMES] for name in TIME_FIELDS])
# the phone's own send time may run ahead: DEVICE_CLOCK_SKEW judges it instead
_CLOCKED = np.array([[name != "device_submitted_at"] for name in TIME_FIELDS])


def find_reasons(cols: FixColumns, policy: FixIntegrityPolicy,
                 earlier: EarlierFixes | None = None, *, look_ahead: bool = False) -> FixFindings:
    """Every rule over every row of ``cols``; ``earlier`` adds fixes from outside to the
    reps' histories (they are not judged). ``look_ahead`` (batch re-verification) adds the
    rules that judge a fix by the rep's later ones (:func:`geo.spoofing.look_ahead`); every
    other code stays what upload time, which sees only the past, finds."""
    found = FixFindings(cols.n)
    # invalid rows meet NaN and inf in the arithmetic; the masks keep them out of verdicts
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        valid_time = _time_inputs(cols, found, policy)
        _time_rules(cols, valid_time, found, policy)
        tolerance = _fix_inputs(cols, found, policy)
        valid_xy = _position_rules(cols, tolerance, found, policy)
        _exif_rules(cols, valid_xy, valid_time["photo_captured_at"], tolerance, found, policy)
        # last: the movement anchor depends on every other rule's doubts
        _history_rules(cols, valid_xy & valid_time["fix_time"], valid_time["fix_time"],
                       found, policy, EarlierFixes.none() if earlier is None else earlier,
                       look_ahead=look_ahead)
    return found


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _time_inputs(cols: FixColumns, found: FixFindings,
                 policy: FixIntegrityPolicy) -> dict[str, Bool]:
    """Flag times that are absent, unreadable, naive, before ``earliest_valid`` or ahead of
    the server clock; return, per field, the rows whose instant the other rules may use."""
    missing = cols.missing
    # a required time must be there; an optional one, if sent, must be a time
    invalid = np.where(_REQUIRED, missing & ~cols.naive, cols.unreadable)
    early = ~missing & (cols.times < cols.ticks_at(policy.earliest_valid))
    valid = ~missing & ~early
    ahead = valid & _CLOCKED & (cols.times > cols.now + cols.ticks(policy.future_tolerance_s))
    _by_first_field(found, C.TIME_INVALID, invalid, lambda f, i: {
        "value": repr(cols.sent(f, i, None))})
    _by_first_field(found, C.TIME_NAIVE, cols.naive, lambda f, i: {
        "value": _iso(cols.sent(f, i, None))})
    _by_first_field(found, C.TIME_IMPLAUSIBLE, early, lambda f, i: {
        "value": cols.instant(f, i).isoformat(),
        "earliest": policy.earliest_valid.date().isoformat()})
    _by_first_field(found, C.TIME_IN_FUTURE, ahead, lambda f, i: {
        "ahead": duration((cols.time(f)[i] - cols.now) / cols.tick_s)})
    return {name: valid[k] for k, name in enumerate(TIME_FIELDS)}


def _by_first_field(found: FixFindings, code: ReasonCode, mask: Bool,
                    words: Callable[[str, int], dict[str, object]]) -> None:
    """Flag ``code`` on the rows where ``mask`` (time fields x rows) marks any field; the
    message names the first one, in :data:`TIME_FIELDS` order."""
    def fields(i: int) -> dict[str, object]:
        name = TIME_FIELDS[int(np.argmax(mask[:, i]))]
        return {"field": name, **words(name, i)}
    found.add(code, np.asarray(mask.any(axis=0)), fields)


def _time_rules(cols: FixColumns, v: dict[str, Bool], found: FixFindings,
                policy: FixIntegrityPolicy) -> None:
    both = v["arrived_at"] & v["departed_at"]
    dwell = cols.seconds("departed_at", "arrived_at")
    found.add(C.TIME_ORDER, both & (dwell <= 0), lambda i: {
        "detail": f"arrived {cols.instant('arrived_at', i):%H:%M:%S} is not before departed "
                  f"{cols.instant('departed_at', i):%H:%M:%S}"})
    found.add(C.DWELL_TOO_SHORT, both & (dwell > 0) & (dwell < policy.min_dwell_s),
              lambda i: {"dwell": duration(dwell[i]),
                         "minimum": duration(policy.min_dwell_s)})
    sent = v["departed_at"] & v["submitted_at"]
    delay = cols.seconds("submitted_at", "departed_at")
    found.measure("submit_delay_s", sent, delay)
    found.add(C.TIME_ORDER, sent & (delay < 0), lambda i: {
        "detail": f"submitted {duration(delay[i])} before the reported departure"})
    window = {"window": duration(policy.submit_window_s)}
    found.add(C.SUBMITTED_BACKFILLED, sent & (delay > policy.backfill_after_s),
              lambda i: {"late": duration(delay[i]), **window})
    found.add(C.SUBMITTED_LATE, sent & (delay > policy.submit_window_s)
              & (delay <= policy.backfill_after_s),
              lambda i: {"late": duration(delay[i]), **window})
    for name in ("fix_time", "photo_captured_at"):
        early = cols.seconds("arrived_at", name)
        found.add(C.TIME_BEFORE_VISIT, v["arrived_at"] & v[name]
                  & (early > policy.visit_time_tolerance_s),
                  lambda i, e=early, f=name: {"field": f, "early": duration(e[i])})
    for name in ("fix_time", "photo_captured_at"):
        late = cols.seconds(name, "departed_at")
        found.add(C.FIX_AFTER_DEPARTURE, v["departed_at"] & v[name]
                  & (late > policy.visit_time_tolerance_s),
                  lambda i, e=late, f=name: {"field": f, "late": duration(e[i])})
    pair = v["device_submitted_at"] & v["submitted_at"]
    skew = cols.seconds("device_submitted_at", "submitted_at")
    found.measure("clock_skew_s", pair, skew)
    found.add(C.DEVICE_CLOCK_SKEW, pair & (np.abs(skew) > policy.clock_skew_tolerance_s),
              lambda i: {"skew": duration(skew[i]),
                         "direction": "ahead of" if skew[i] > 0 else "behind",
                         "tolerance": duration(policy.clock_skew_tolerance_s)})


def _fix_inputs(cols: FixColumns, found: FixFindings, policy: FixIntegrityPolicy) -> Float:
    acc = cols.accuracy
    good = np.isfinite(acc) & (acc >= 0)
    found.add(C.FIX_ACCURACY_INVALID, ~good, lambda i: {
        "value": cols.sent("accuracy_m", i, float(acc[i]))})
    found.add(C.FIX_ACCURACY_ZERO, good & (acc == 0), lambda i: {})
    found.add(C.FIX_ACCURACY_POOR, good & (acc > policy.poor_accuracy_m),
              lambda i: {"accuracy": metres(acc[i]), "limit": metres(policy.poor_accuracy_m)})
    found.add(C.MOCK_LOCATION_FLAG, cols.is_mock, lambda i: {})
    return policy.accuracy_tolerance_m(acc)


def geofence_distances(lat: Float, lon: Float, cols: FixColumns, rows: Bool) -> Float:
    """Metres from each (lat, lon) in ``rows`` to its customer's footprint (0 inside) or,
    without one, its registered point, in the UTM zone of the customer; ``inf`` elsewhere."""
    out = np.full(cols.n, np.inf)
    if not np.count_nonzero(rows):  # one row (an upload) often has nothing to measure here
        return out
    plain = rows & ~cols.has_footprint
    if np.count_nonzero(plain):
        out[plain] = distance_m(lon[plain], lat[plain], cols.customer_lon[plain],
                                cols.customer_lat[plain], cols.epsg[plain])
    shaped = rows & cols.has_footprint
    for code in np.unique(cols.epsg[shaped]) if np.count_nonzero(shaped) else ():
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


def _position_rules(cols: FixColumns, tolerance: Float, found: FixFindings,
                    policy: FixIntegrityPolicy) -> Bool:
    lat, lon = cols.lat, cols.lon
    finite = np.isfinite(lat) & np.isfinite(lon)
    lat_ok = finite & (np.abs(lat) <= 90.0)
    valid = lat_ok & (np.abs(lon) <= 180.0)
    swappable = finite & (np.abs(lon) <= 90.0) & (np.abs(lat) <= 180.0)
    swapped = geofence_distances(lon, lat, cols, swappable)
    limit = cols.allowed + tolerance
    found.add(C.FIX_COORDINATE_NOT_FINITE, ~finite, lambda i: {
        "value": f"lat={cols.sent('lat', i, float(lat[i]))}, "
                 f"lon={cols.sent('lon', i, float(lon[i]))}"})
    bad_lat = finite & ~lat_ok
    found.add(C.FIX_LAT_LON_SWAPPED, bad_lat & (swapped <= limit),
              lambda i: {"distance": metres(swapped[i])})
    found.add(C.FIX_LAT_OUT_OF_RANGE, bad_lat & ~(swapped <= limit),
              lambda i: {"value": float(lat[i])})
    found.add(C.FIX_LON_OUT_OF_RANGE, lat_ok & ~valid, lambda i: {"value": float(lon[i])})
    distance = geofence_distances(lat, lon, cols, valid)
    found.measure("distance_m", valid, distance)
    found.measure("allowed_m", valid, cols.allowed)
    found.measure("tolerance_m", valid, tolerance)
    outside = valid & ~(distance <= limit)
    found.add(C.GPS_OUTSIDE_GEOFENCE, outside, lambda i: {
        "distance": metres(distance[i]), "allowed": metres(cols.allowed[i]),
        "tolerance": metres(tolerance[i])})
    found.add(C.FIX_LAT_LON_SWAPPED, outside & (swapped <= limit),
              lambda i: {"distance": metres(swapped[i])})
    # without a footprint the geofence distance is the distance to the registered point
    on_point = np.where(cols.has_footprint, np.inf, distance)
    shaped = valid & cols.has_footprint
    if np.count_nonzero(shaped):
        on_point[shaped] = distance_m(lon[shaped], lat[shaped], cols.customer_lon[shaped],
                                      cols.customer_lat[shaped], cols.epsg[shaped])
    found.add(C.FIX_EXACTLY_ON_CUSTOMER, valid & (on_point < policy.exact_point_m),
              lambda i: {"distance": f"{on_point[i]:.2f} m"})
    spoofing.grid_snapped(cols, valid, found, policy)
    return valid


def _exif_rules(cols: FixColumns, valid_xy: Bool, captured_ok: Bool, tolerance: Float,
                found: FixFindings, policy: FixIntegrityPolicy) -> None:
    if cols.exif_time is not None:
        found.add(C.TIME_NAIVE, captured_ok & cols.exif_naive, lambda i: {
            "field": "exif.captured_at", "value": _iso(cols.sent("exif_captured_at", i, None))})
        has = captured_ok & ~cols.exif_missing
        diff = (cols.exif_time - cols.time("photo_captured_at")) / cols.tick_s
        found.add(C.EXIF_TIME_MISMATCH, has & (np.abs(diff) > policy.exif_time_tolerance_s),
                  lambda i: {"difference": duration(diff[i]),
                             "direction": "after" if diff[i] > 0 else "before"})
    if cols.exif_lat is not None and cols.exif_lon is not None:
        e_lat, e_lon = cols.exif_lat, cols.exif_lon
        has = valid_xy & np.isfinite(e_lat) & np.isfinite(e_lon) & (np.abs(e_lat) <= 90) \
            & (np.abs(e_lon) <= 180)
        gap = np.full(cols.n, np.inf)
        if np.count_nonzero(has):
            gap[has] = distance_m(cols.lon[has], cols.lat[has], e_lon[has], e_lat[has],
                                  cols.epsg[has])
        allowed = policy.exif_distance_tolerance_m + tolerance
        found.add(C.EXIF_POSITION_MISMATCH, has & ~(gap <= allowed), lambda i: {
            "distance": metres(gap[i]), "allowed": metres(allowed[i])})


def _history_rules(cols: FixColumns, judged: Bool, timed: Bool, found: FixFindings,
                   policy: FixIntegrityPolicy, earlier: EarlierFixes, *,
                   look_ahead: bool) -> None:
    order = HistoryOrder.build(cols, timed, earlier)
    same = spoofing.SameCoordinates.of(order)
    spoofing.repeated_coordinates(order, judged, found, same)
    spoofing.constant_accuracy(order, judged, found, policy)
    spoofing.regular_timing(order, judged, found, policy)
    pre_doubted = found.position_doubted()
    doubted = pre_doubted.copy()
    for _ in range(cols.n + 1):
        move = movement.from_anchor(order, doubted, judged, cols.epsg, policy)
        impossible = move.impossible  # against each leg's own ceiling (geo.travel_modes)
        updated = pre_doubted | impossible
        if np.array_equal(updated, doubted):
            break
        doubted = updated
    found.measure("speed_kmh", move.has, move.speed_ms * 3.6)
    found.add(C.IMPOSSIBLE_SPEED, impossible, lambda i: movement.speed_fields(
        float(move.distance_m[i]), float(move.elapsed_s[i]), float(move.speed_ms[i]), policy,
        float(move.ceiling_ms[i])))
    if look_ahead:  # after the movement anchor: look-ahead codes never move it
        spoofing.coordinates_sent_again(order, judged, found, same)
        spoofing.constant_accuracy_run(order, judged, found, policy)
