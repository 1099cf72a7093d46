"""Drawing a stored shelf verdict (its JSON round trip is tested in
tests/vision/test_shelf_verification_json.py)."""

from __future__ import annotations

from serving.annotated_photo import annotated_jpeg
from tests.vision.photos import encode, textured
from vision.golden_zone import FeaturedPlacement
from vision.shelf_geometry import ShelfRow
from vision.shelf_verification import ProductBox, ShelfVerdict
from visitproof.reasons import ReasonCode, reason
from visitproof.records import CheckinStatus

DRAWN = ("status", "reasons", "featured", "golden_zone_rows", "shelf_rows", "detections",
         "image_size")


def _verdict() -> ShelfVerdict:
    return ShelfVerdict(
        status=CheckinStatus.REJECTED,
        reasons=(reason(ReasonCode.FEATURED_ABSENT, sku="SKU-2"),),
        featured=(FeaturedPlacement(sku="SKU-1", facings_in_zone=1, facings_elsewhere=0,
                                    rows=(2,)),),
        golden_zone_rows=(2, 3),
        detections=(ProductBox(label="product", box=(10.0, 20.0, 110.0, 220.0), score=0.91,
                               sku="SKU-1", row=2, bay=0),
                    ProductBox(label="shelf", box=(0.0, 0.0, 800.0, 300.0), score=0.8, row=2,
                               bay=0)),
        shelf_rows=(ShelfRow(bay=0, row=1, box=(0.0, 0.0, 800.0, 140.0)),
                    ShelfRow(bay=0, row=2, box=(0.0, 150.0, 800.0, 300.0))),
        image_size=(800, 600))


def test_the_drawable_fields_survive_the_round_trip() -> None:
    stored = _verdict().as_json()
    rebuilt = ShelfVerdict.from_json(stored).as_json()
    assert {k: rebuilt[k] for k in DRAWN} == {k: stored[k] for k in DRAWN}


def test_the_annotated_photo_differs_from_the_original() -> None:
    photo = encode(textured(800, 600))
    drawn = annotated_jpeg(photo, _verdict().as_json())
    assert drawn[:3] == b"\xff\xd8\xff"
    assert drawn != photo
