"""The fix checks over a whole GeoDataFrame at once, for re-verifying history.

    result = verify_fixes(frame, policy=policy, now=now)
    result["status"], result["codes"], result["risk"]

The rules of :mod:`geo.fix_rules`, the same that :func:`geo.fix_integrity.check_raw_fix`
runs on one check-in, over every row at once; ``tests/geo/test_fix_batch.py`` checks that
the two agree row for row. Each row's history is every row of the same rep ordered before
it by (fix time, check-in id); with ``look_ahead`` the rows after it count too.

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

from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.batch_columns import read_columns
from geo.fix_findings import MEASUREMENTS, FixFindings
from geo.fix_policy import FixIntegrityPolicy
from geo.fix_rules import find_reasons
from geo.reasons import FIX_CODES, WEIGHTS
from visitproof.reasons import ReasonCode, Severity
from visitproof.records import CheckinStatus


def verify_fixes(frame: gpd.GeoDataFrame, *, policy: FixIntegrityPolicy, now: datetime,
                 with_messages: bool = True, look_ahead: bool = False) -> pd.DataFrame:
    """Verdict columns for every row of ``frame`` (same index): ``status`` (str), ``risk``
    (float in [0, 1]), ``codes`` (tuple of str, in code order), ``reasons`` (tuple of
    Reason, when ``with_messages``), and the measurements ``distance_m``, ``allowed_m``,
    ``tolerance_m``, ``submit_delay_s``, ``clock_skew_s``, ``speed_kmh`` (NaN if none).

    ``look_ahead`` also judges each row by the rep's later rows in the frame
    (``FIX_COORDINATES_SENT_AGAIN``, ``FIX_ACCURACY_CONSTANT_RUN``, both review); without
    it every row gets what its upload got, which is what the single form reproduces."""
    found = find_reasons(read_columns(frame, policy, now), policy, look_ahead=look_ahead)
    return _result(frame.index, found, with_messages)


def _result(index: pd.Index, found: FixFindings, with_messages: bool) -> pd.DataFrame:
    n = found.n
    status = np.full(n, CheckinStatus.VERIFIED.value, dtype=object)
    status[found.any_with(Severity.REVIEW)] = CheckinStatus.NEEDS_REVIEW.value
    status[found.any_with(Severity.REJECT)] = CheckinStatus.REJECTED.value
    keep = np.ones(n)
    codes: list[list[str]] = [[] for _ in range(n)]
    for code in FIX_CODES:
        rows = found.rows.get(code)
        if rows is None or not rows.any():
            continue
        keep *= np.where(rows, 1.0 - WEIGHTS[code], 1.0)
        for i in np.flatnonzero(rows):
            codes[i].append(code.value)
    empty: tuple[str, ...] = ()
    frame = pd.DataFrame({"status": status, "risk": np.round(1.0 - keep, 6),
                          "codes": [tuple(c) if c else empty for c in codes],
                          **{name: found.values[name] for name in MEASUREMENTS}},
                         index=index)
    if with_messages:
        frame["reasons"] = pd.Series(
            [tuple(found.reason(ReasonCode(code), i) for code in c) if c else ()
             for i, c in enumerate(codes)], index=index, dtype=object)
    return frame
