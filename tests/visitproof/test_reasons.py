"""The one table of reason codes: complete, stable, its messages render, one status rule,
and no code the service emits is missing from it."""

from __future__ import annotations

import math
import re
import string
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.reverify import PHOTO_MISSING
from geo.fix_integrity import ExifEvidence, PriorFix, check_raw_fix
from geo.fix_policy import FixIntegrityPolicy
from tests.builders import STORE, at, make_customer, shifted
from vision.photo_decode import PhotoProblem
from visitproof.reasons import REASONS, ReasonCode, combined_status, reason, status_for
from visitproof.records import CheckinStatus

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("visitproof", "vision", "geo", "phi", "application", "simulation", "serving", "cli")
# Every way the source names a reason code: enum members (``C`` is the modules' alias),
# conversions and hand-built reasons, and the EXIF problems that become reasons.
CODE_PATTERNS = (
    re.compile(r"\b(?:ReasonCode|C)\.([A-Z][A-Z0-9_]+)\b"),
    re.compile(r"\bReasonCode\(\s*\"([A-Z0-9_]+)\"\s*\)"),
    re.compile(r"\bReason\(\s*code=\"([A-Z0-9_]+)\""),
    re.compile(r"\bproblems(?:\.append\(|=\()\"([A-Z0-9_]+)\""),
)


def test_every_code_has_one_spec_and_its_value_is_its_name() -> None:
    assert set(REASONS) == set(ReasonCode)
    for code in ReasonCode:
        assert code.value == code.name


@pytest.mark.parametrize("code", list(ReasonCode))
def test_templates_name_only_fields(code: ReasonCode) -> None:
    fields = [name for _, name, _, _ in string.Formatter().parse(REASONS[code].template) if name]
    assert all(name.isidentifier() for name in fields)


def test_reason_fills_the_template() -> None:
    found = reason(ReasonCode.FEATURED_ABSENT, sku="SKU-2")
    assert (found.code, found.message) == ("FEATURED_ABSENT",
                                           "Featured product SKU-2 is not on the shelf")


@pytest.mark.parametrize(("codes", "expected"), [
    ([], "verified"),
    (["EXIF_UNREADABLE"], "verified"),                       # info changes nothing
    (["SUBMITTED_LATE"], "needs_review"),
    (["PHOTO_STALE_SHELF", "EXIF_BAD_GPS"], "needs_review"),
    (["SUBMITTED_LATE", "MOCK_LOCATION_FLAG"], "rejected"),
    (["FEATURED_ABSENT", "NO_SHELF_FOUND"], "rejected"),
    (["SOMETHING_NEW"], "needs_review"),                     # unknown: a person looks
])
def test_status_for(codes: list[str], expected: str) -> None:
    assert status_for(codes) is CheckinStatus(expected)


@pytest.mark.parametrize(("statuses", "expected"), [
    ((), "verified"),
    (("verified", "verified"), "verified"),
    (("verified", "needs_review"), "needs_review"),
    (("needs_review", "rejected", "verified"), "rejected"),
])
def test_combined_status(statuses: tuple[str, ...], expected: str) -> None:
    assert combined_status(*(CheckinStatus(s) for s in statuses)) is CheckinStatus(expected)


def codes_named_in_source() -> dict[str, set[str]]:
    """Code -> the source files (relative) that name it, over the service's packages."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "visitproof" / "reasons.py":
                continue  # the table itself
            text = path.read_text(encoding="utf-8")
            for pattern in CODE_PATTERNS:
                for code in pattern.findall(text):
                    found.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_code_the_source_names_is_in_the_table() -> None:
    named = codes_named_in_source()
    assert len(named) >= 40  # the scan sees the checks (a broken pattern finds nothing)
    unknown = {code: sorted(files) for code, files in named.items()
               if code not in ReasonCode.__members__}
    assert unknown == {}


MADE_ELSEWHERE = (
    *(problem.value for problem in PhotoProblem),  # an unreadable photo's reason
    PHOTO_MISSING,                                 # re-verification's report
)


@pytest.mark.parametrize("code", MADE_ELSEWHERE)
def test_codes_made_elsewhere_are_in_the_table(code: str) -> None:
    assert code in ReasonCode.__members__


def test_every_code_in_the_table_is_made_somewhere() -> None:
    assert set(ReasonCode) - set(codes_named_in_source()) - set(MADE_ELSEWHERE) == set()


POLICY = FixIntegrityPolicy()
CUSTOMER = make_customer(lat=STORE[0], lon=STORE[1])
_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, 91.0, -181.0, STORE[1]]))


@given(north=st.floats(-5000, 5000), east=st.floats(-5000, 5000), accuracy=_NUMBER,
       swap=st.booleans(), odd_lat=st.none() | _NUMBER,
       minutes=st.lists(st.integers(-900, 900), min_size=6, max_size=6),
       naive=st.booleans(), mock=st.booleans(), device=st.booleans(),
       prior_minutes=st.lists(st.integers(-600, 0), max_size=4),
       exif_minutes=st.none() | st.integers(-600, 600))
def test_every_code_a_fix_check_emits_is_in_the_table(
        north: float, east: float, accuracy: float, swap: bool, odd_lat: float | None,
        minutes: list[int], naive: bool, mock: bool, device: bool, prior_minutes: list[int],
        exif_minutes: int | None) -> None:
    lat, lon = shifted(*STORE, north_m=north, east_m=east)
    if swap:
        lat, lon = lon, lat
    base = at("09:00")
    times = [base + timedelta(minutes=m) for m in minutes]
    if naive:
        times[0] = times[0].replace(tzinfo=None)
    history = [PriorFix(checkin_id=f"p{i}", lat=STORE[0], lon=STORE[1] + i * 0.05,
                        accuracy_m=10.0, fix_time=base + timedelta(minutes=m))
               for i, m in enumerate(prior_minutes)]
    exif = None if exif_minutes is None else ExifEvidence(
        captured_at=base + timedelta(minutes=exif_minutes), lat=STORE[0] + 0.01, lon=STORE[1])
    verdict = check_raw_fix(lat=lat if odd_lat is None else odd_lat, lon=lon,
                            accuracy_m=accuracy, fix_time=times[0], arrived_at=times[1],
                            departed_at=times[2], photo_captured_at=times[3],
                            submitted_at=times[4],
                            device_submitted_at=times[5] if device else None, is_mock=mock,
                            customer=CUSTOMER, history=history, exif=exif, policy=POLICY,
                            now=at("12:00"), checkin_id="this")
    assert {r.code for r in verdict.reasons} <= set(ReasonCode.__members__)
    assert verdict.status is status_for(r.code for r in verdict.reasons)
    assert not math.isnan(verdict.risk)
