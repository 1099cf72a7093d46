"""The shelf verdict's JSON both ways: what ``as_json`` writes, ``from_json`` reads back."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vision.golden_zone import FeaturedPlacement
from vision.photo_decode import PhotoProblem
from vision.photo_exif import PhotoExif
from vision.photo_quality import QualityReport
from vision.shelf_geometry import ShelfRow
from vision.shelf_verification import ProductBox, ShelfVerdict
from visitproof.reasons import ReasonCode, reason, status_for
from visitproof.records import Reason

QUALITY = (ReasonCode.PHOTO_LOW_RESOLUTION, ReasonCode.PHOTO_BLURRY, ReasonCode.PHOTO_TOO_DARK,
           ReasonCode.PHOTO_OVEREXPOSED)
KEYS = ["status", "reasons", "featured", "golden_zone_rows", "share_in_zone", "rows_per_bay",
        "shelf_rows", "detections", "image_size", "exif", "quality", "model_version",
        "policy_version", "timings_ms"]


def rounded(digits: int, top: float = 5000.0) -> st.SearchStrategy[float]:
    """Finite floats as ``as_json`` rounds them (rounding again changes nothing)."""
    return st.floats(0.0, top).map(lambda value: round(value, digits))


texts = st.text(max_size=12)
codes = st.sampled_from([code for code in ReasonCode if code.value not in
                         {problem.value for problem in PhotoProblem}])
reasons = st.builds(lambda code, message: Reason(code=code.value, message=message), codes,
                    texts)
rows = st.lists(st.integers(1, 8), max_size=4).map(tuple)
placements = st.builds(FeaturedPlacement, sku=texts, facings_in_zone=st.integers(0, 30),
                       facings_elsewhere=st.integers(0, 30), rows=rows)
boxes = st.builds(ProductBox, label=st.sampled_from(["product", "shelf", "price_tag"]),
                  box=st.tuples(rounded(1), rounded(1), rounded(1), rounded(1)),
                  score=rounded(3, 1.0), sku=st.none() | texts, row=st.none() | st.integers(1, 8),
                  bay=st.integers(-1, 4))
shelf_rows = st.builds(ShelfRow, bay=st.integers(0, 4), row=st.integers(1, 8),
                       box=st.tuples(rounded(1), rounded(1), rounded(1), rounded(1)))
utc_times = st.none() | st.datetimes(timezones=st.just(UTC))
exifs = st.builds(PhotoExif, captured_local=st.none() | st.datetimes(), captured_at=utc_times,
                  gps_time=utc_times, lat=st.none() | st.floats(-90, 90),
                  lon=st.none() | st.floats(-180, 180),
                  problems=st.lists(st.sampled_from(["EXIF_UNREADABLE", "EXIF_BAD_GPS"]),
                                    max_size=2).map(tuple))
timings = st.dictionaries(st.sampled_from(["decode", "detect", "identify", "total"]),
                          rounded(1))


@st.composite
def readable_verdicts(draw: st.DrawFn) -> ShelfVerdict:
    """A decoded photo's verdict: its quality reasons are those of its quality report."""
    found = draw(st.lists(reasons, max_size=5))
    quality = draw(st.none() | st.builds(
        QualityReport, sharpness=rounded(1), mean_brightness=rounded(1, 255.0),
        washed_out_share=rounded(4, 1.0),
        reasons=st.just(tuple(r for r in found if r.code in QUALITY))))
    if quality is None:
        found = [r for r in found if r.code not in QUALITY]
    return ShelfVerdict(
        status=status_for(r.code for r in found), reasons=tuple(found),
        featured=tuple(draw(st.lists(placements, max_size=3))), golden_zone_rows=draw(rows),
        share_in_zone=draw(st.none() | st.floats(0.0, 1.0)),
        detections=tuple(draw(st.lists(boxes, max_size=6))), rows_per_bay=draw(rows),
        shelf_rows=tuple(draw(st.lists(shelf_rows, max_size=6))),
        image_size=draw(st.tuples(st.integers(1, 9000), st.integers(1, 9000))),
        exif=draw(st.none() | exifs), quality=quality,
        model_version=draw(st.none() | texts), policy_version=draw(st.none() | texts),
        timings_ms=draw(timings))


@st.composite
def unreadable_verdicts(draw: st.DrawFn) -> ShelfVerdict:
    """A file that couldn't be decoded: one file-problem reason, nothing measured."""
    problem = reason(ReasonCode(draw(st.sampled_from(list(PhotoProblem))).value),
                     detail=draw(texts))
    return ShelfVerdict(status=status_for([problem.code]), reasons=(problem,),
                        model_version=draw(texts), policy_version=draw(texts),
                        timings_ms=draw(timings), photo_problem=problem)


def through_json(verdict: ShelfVerdict) -> dict[str, Any]:
    """``as_json`` after a trip through JSON text, as the store and the API give it back."""
    payload: dict[str, Any] = json.loads(json.dumps(verdict.as_json()))
    return payload


@given(readable_verdicts() | unreadable_verdicts())
def test_from_json_reads_back_what_as_json_wrote(verdict: ShelfVerdict) -> None:
    payload = through_json(verdict)
    assert list(payload) == KEYS
    assert ShelfVerdict.from_json(payload) == verdict
    assert ShelfVerdict.from_json(payload).as_json() == payload


@given(readable_verdicts())
def test_a_decoded_photo_reads_back_as_readable(verdict: ShelfVerdict) -> None:
    assert not ShelfVerdict.from_json(through_json(verdict)).unreadable


@given(unreadable_verdicts())
def test_an_unreadable_photo_reads_back_with_its_problem(verdict: ShelfVerdict) -> None:
    rebuilt = ShelfVerdict.from_json(through_json(verdict))
    assert rebuilt.unreadable
    assert rebuilt.photo_problem == verdict.photo_problem


def test_the_perceptual_hash_is_not_in_the_json() -> None:
    verdict = ShelfVerdict(status=status_for([]), reasons=(), image_size=(4, 3),
                           perceptual_hash=0xFEED)
    assert ShelfVerdict.from_json(through_json(verdict)).perceptual_hash is None


@pytest.mark.parametrize(("stored", "expected"), [
    # the fields older stored verdicts may lack take their defaults
    ({"status": "verified", "reasons": []},
     ShelfVerdict(status=status_for([]), reasons=())),
    ({"status": "verified", "reasons": [], "image_size": [800, 600],
      "detections": [{"label": "product", "box": [1, 2, 3, 4], "score": 0.5}]},
     ShelfVerdict(status=status_for([]), reasons=(), image_size=(800, 600),
                  detections=(ProductBox(label="product", box=(1, 2, 3, 4), score=0.5),))),
    # older verdicts numbered "on no row" 0: it reads as None; they had no shelf_rows
    ({"status": "verified", "reasons": [], "rows_per_bay": [5],
      "detections": [{"label": "product", "box": [1, 2, 3, 4], "score": 0.5, "row": 0}]},
     ShelfVerdict(status=status_for([]), reasons=(), rows_per_bay=(5,),
                  detections=(ProductBox(label="product", box=(1, 2, 3, 4), score=0.5,
                                         row=None),))),
    # a stored verification's own keys are not the verdict's
    ({"status": "needs_review", "reasons": [{"code": "NO_SHELF_FOUND", "message": "m"}],
      "image_size": [8, 6], "rules_version": 3, "fixture_type": "cooler"},
     ShelfVerdict(status=status_for(["NO_SHELF_FOUND"]),
                  reasons=(Reason(code="NO_SHELF_FOUND", message="m"),), image_size=(8, 6))),
])
def test_from_json_of_stored_verdicts(stored: dict[str, Any], expected: ShelfVerdict) -> None:
    assert ShelfVerdict.from_json(stored) == expected
