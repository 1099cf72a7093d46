"""Spoofing patterns: the backward rules upload time runs, the look-ahead rules batch
re-verification adds, and how often each fires on real GPS recordings."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geo.batch_columns import checkins_frame
from geo.fix_batch import verify_fixes
from geo.fix_policy import FixIntegrityPolicy
from geo.gpx import read_gpx
from tests.builders import DAY, STORE, make_checkin, make_customer, make_fix, shifted
from visitproof.reasons import REASONS, ReasonCode, Severity
from visitproof.records import Checkin, Customer

C = ReasonCode
POLICY = FixIntegrityPolicy()
CUSTOMER = make_customer("c1", *STORE)
LOOK_AHEAD = {C.FIX_ACCURACY_CONSTANT_RUN, C.FIX_COORDINATES_SENT_AGAIN}
SPOOFING = (C.FIX_ACCURACY_CONSTANT, C.FIX_ACCURACY_CONSTANT_RUN, C.FIX_GRID_SNAPPED,
            C.FIX_REPEATED_COORDINATES, C.FIX_COORDINATES_SENT_AGAIN,
            C.FIX_EXACTLY_ON_CUSTOMER, C.TIMING_TOO_REGULAR)


def _visit(day: int, hour: int, *, north_m: float, accuracy_m: float,
           minute: int = 0, point: tuple[float, float] | None = None) -> Checkin:
    """An honest-looking visit to :data:`CUSTOMER` on ``day`` (days after DAY)."""
    start = DAY + timedelta(days=day, hours=hour, minutes=minute)
    lat, lon = point or shifted(*STORE, north_m=north_m, east_m=3.1)
    return make_checkin(arrived=start, departed=start + timedelta(minutes=30),
                        captured=start + timedelta(minutes=10),
                        submitted=start + timedelta(minutes=34),
                        fix=make_fix(lat, lon, t=start + timedelta(minutes=25),
                                     accuracy_m=accuracy_m))


def _codes(checkins: list[Checkin], *, look_ahead: bool,
           customers: dict[str, Customer] | None = None) -> list[tuple[str, tuple[str, ...]]]:
    frame = checkins_frame(checkins, customers or {"c1": CUSTOMER})
    found = verify_fixes(frame, policy=POLICY, now=DAY + timedelta(days=30),
                         look_ahead=look_ahead)
    return list(zip(found["status"], found["codes"], strict=True))


def test_look_ahead_codes_are_review_and_named_in_the_table() -> None:
    for code in LOOK_AHEAD:
        assert REASONS[code].severity is Severity.REVIEW


@pytest.mark.parametrize(("run", "flagged"), [
    (5, [C.FIX_ACCURACY_CONSTANT_RUN] * 4 + [C.FIX_ACCURACY_CONSTANT]),
    (6, [C.FIX_ACCURACY_CONSTANT_RUN] * 4 + [C.FIX_ACCURACY_CONSTANT] * 2),
    (4, [None] * 4),  # shorter than constant_accuracy_run: nothing, either way
])
def test_a_constant_accuracy_run_is_flagged_from_its_first_fix_in_batch(
        run: int, flagged: list[ReasonCode | None]) -> None:
    varied = [_visit(0, 1, north_m=4.0, accuracy_m=13.7)]
    constant = [_visit(0, 2 + k, minute=k * k * 7 % 50, north_m=5.0 + 3 * k, accuracy_m=5.0)
                for k in range(run)]
    after = [_visit(0, 9, north_m=2.0, accuracy_m=21.3)]

    upload = _codes(varied + constant + after, look_ahead=False)
    batch = _codes(varied + constant + after, look_ahead=True)

    assert [s for s, _ in batch[:1] + batch[-1:]] == ["verified", "verified"]
    for k, expected in enumerate(flagged, start=1):
        status, codes = batch[k]
        if expected is None:
            assert (status, codes) == ("verified", ())
            continue
        assert codes == (expected.value,)
        assert status == "needs_review"  # constant accuracy alone never rejects
        upload_codes = upload[k][1]
        assert upload_codes == (() if expected is C.FIX_ACCURACY_CONSTANT_RUN
                                else (C.FIX_ACCURACY_CONSTANT.value,))


def test_a_replayed_fix_rejects_its_copies_and_sends_its_original_to_review() -> None:
    recorded = _visit(0, 2, north_m=11.0, accuracy_m=9.4)
    point = (recorded.fix.lat, recorded.fix.lon)
    replays = [_visit(day, 3, north_m=0.0, accuracy_m=9.4, point=point) for day in (2, 5)]
    other = _visit(1, 4, north_m=7.0, accuracy_m=15.2)
    checkins = [recorded, other, *replays]

    upload = _codes(checkins, look_ahead=False)
    batch = _codes(checkins, look_ahead=True)

    assert upload[0] == ("verified", ())  # upload time can't know what comes later
    assert batch[0] == ("needs_review", (C.FIX_COORDINATES_SENT_AGAIN.value,))
    assert upload[1] == batch[1] == ("verified", ())
    for row in (2, 3):
        assert upload[row] == batch[row] == ("rejected", (C.FIX_REPEATED_COORDINATES.value,))


def test_look_ahead_adds_codes_and_changes_no_other() -> None:
    far = make_customer("c2", *shifted(*STORE, north_m=40_000.0))
    checkins = [_visit(0, h, minute=h * h * 7 % 50, north_m=3.0 * h, accuracy_m=5.0)
                for h in range(1, 7)]
    checkins.append(make_checkin(customer="c2", arrived=DAY + timedelta(hours=7),
                                 departed=DAY + timedelta(hours=7, minutes=20),
                                 captured=DAY + timedelta(hours=7, minutes=5),
                                 submitted=DAY + timedelta(hours=7, minutes=22),
                                 fix=make_fix(*STORE, t=DAY + timedelta(hours=7, minutes=10),
                                              accuracy_m=5.0)))
    customers = {"c1": CUSTOMER, "c2": far}

    upload = _codes(checkins, look_ahead=False, customers=customers)
    batch = _codes(checkins, look_ahead=True, customers=customers)

    for (_, before), (_, after) in zip(upload, batch, strict=True):
        assert tuple(c for c in after if c not in LOOK_AHEAD) == before
    assert any(set(after) & LOOK_AHEAD for _, after in batch)


# --- real recordings: how often each spoofing signal fires on honest GPS ---------------

REAL_TRACKS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real" / "gps"


def _real_fixes(real: Path) -> list[tuple[str, float, float, datetime]]:
    """Every timed point of every real GPX track (not the hand-made fixtures), by track."""
    found = []
    for path in sorted(real.rglob("*.gpx")):
        if "handmade" in path.parts[-2] or "without-times" in path.name:
            continue
        for point in read_gpx(path):
            if point.time is not None and point.time.year > 2000:
                found.append((path.stem, point.lat, point.lon, point.time))
    return found


def real_track_rates(real: Path) -> tuple[int, dict[str, tuple[float, float]], float, float]:
    """Each real track point as one check-in of one rep (a rep per track), its customer
    18 m away, its accuracy varying (GPX carries none, so the accuracy rules can't be
    measured here): the fixes, per spoofing code (shares of fixes flagged, rejected by that
    code alone), and the share of fixes any spoofing code but ``TIMING_TOO_REGULAR`` (a
    logger's clockwork, not a phone's) sends to review or rejects, in batch mode with
    look-ahead."""
    fixes = _real_fixes(real)
    checkins, customers = [], {}
    for k, (track, lat, lon, t) in enumerate(fixes):
        customer = make_customer(f"c{k}", *shifted(lat, lon, north_m=18.0))
        customers[customer.id] = customer
        checkins.append(make_checkin(
            rep=track, customer=customer.id, arrived=t - timedelta(minutes=10),
            departed=t + timedelta(minutes=10), captured=t,
            submitted=t + timedelta(minutes=12),
            fix=make_fix(lat, lon, t=t, accuracy_m=6.0 + (k * 7919 % 1000) / 37.0)))
    frame: gpd.GeoDataFrame = checkins_frame(checkins, customers)
    now = max(t for *_, t in fixes) + timedelta(days=1)
    codes = verify_fixes(frame, policy=POLICY, now=now, look_ahead=True)["codes"]
    counted = Counter(code for row in codes for code in row)
    n = len(fixes)
    rates = {code.value: (counted[code.value] / n,
                          counted[code.value] / n if REASONS[code].severity is Severity.REJECT
                          else 0.0) for code in SPOOFING}
    position = {code.value for code in SPOOFING if code is not C.TIMING_TOO_REGULAR}
    spoofed = [set(row) & position for row in codes]
    rejected = np.mean([any(REASONS[C(c)].severity is Severity.REJECT for c in s)
                        for s in spoofed])
    review = np.mean([bool(s) for s in spoofed]) - rejected
    return n, rates, float(review), float(rejected)


def test_spoofing_signals_on_real_tracks_rarely_fire_and_never_reject_alone() -> None:
    """Position signals on every timed point of the real recordings: a logger at 1 Hz is
    far denser than check-ins, so these rates bound the real ones from above, except
    ``TIMING_TOO_REGULAR``, which a 1 Hz logger is by construction (review only)."""
    if not REAL_TRACKS.is_dir():
        pytest.skip(f"real GPS folder {REAL_TRACKS} not present")
    n, rates, review, rejected = real_track_rates(REAL_TRACKS)
    assert n > 1000
    for code in (C.FIX_GRID_SNAPPED, C.FIX_REPEATED_COORDINATES,
                 C.FIX_COORDINATES_SENT_AGAIN, C.FIX_EXACTLY_ON_CUSTOMER,
                 C.FIX_ACCURACY_CONSTANT, C.FIX_ACCURACY_CONSTANT_RUN):
        assert rates[code.value][0] <= 0.01, (code, rates)
    assert review <= 0.01, rates
    assert rejected <= 0.01, rates
