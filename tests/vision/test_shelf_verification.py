"""The shelf check end to end: pixels in, verdict out.

A hand-laid shelf (real pack renders from the synthetic catalogue, five rows, featured SKUs
at known rows) with the boxes passed in, so the verdict is known exactly; and the committed
ONNX model on a freshly rendered photo, for the whole served path.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.vision.builders import with_tags
from tests.vision.photos import encode, rgb, textured
from vision.photo_decode import decode_photo
from vision.photo_exif import read_exif
from vision.product_gallery import ProductGallery
from vision.shelf_verification import ShelfPolicies, judge_pixels, verify_shelf_photo
from vision.synth.catalogue import build_catalogue, reference_shot, render_pack
from visitproof.reasons import ReasonCode, status_for

CATALOGUE = build_catalogue(0)
ROW_HEIGHT, TOP, LEFT = 170, 60, 40


def laid_shelf(rows: list[list[int]]
               ) -> tuple[np.ndarray, list[tuple], list[tuple], list[tuple]]:
    """A 1400×1000 photo: rows of packs (catalogue indices) on edge strips with a price tag
    under every other pack, with product, band and tag boxes."""
    image = np.full((1000, 1400, 3), 200, np.uint8)
    products, bands, tags = [], [], []
    for number, skus in enumerate(rows):
        y_top = TOP + number * ROW_HEIGHT
        bands.append((LEFT, y_top, LEFT + 1300, y_top + ROW_HEIGHT))
        cv2.rectangle(image, (LEFT, y_top + ROW_HEIGHT - 12), (LEFT + 1300, y_top + ROW_HEIGHT),
                      (90, 90, 90), -1)
        for slot, index in enumerate(skus):
            pack, mask = render_pack(CATALOGUE[index], 80, 140)
            x0, y0 = LEFT + 20 + slot * 105, y_top + ROW_HEIGHT - 12 - 140
            region = image[y0:y0 + 140, x0:x0 + 80]
            region[mask > 0] = rgb(pack)[mask > 0]
            products.append((x0, y0, x0 + 80, y0 + 140))
            if slot % 2 == 0:
                tag = (x0 + 15, y0 + 141, x0 + 65, y0 + 151)
                cv2.rectangle(image, tag[:2], tag[2:], (250, 250, 250), -1)
                tags.append(tag)
    return image, products, bands, tags


@pytest.fixture(scope="module")
def gallery() -> ProductGallery:
    return ProductGallery({sku.sku: [rgb(reference_shot(sku))] for sku in CATALOGUE[:12]})


ROWS = [[1, 2, 3, 4, 5, 6], [0, 0, 7, 8, 9, 10], [11, 7, 8, 9, 10, 11],
        [2, 3, 4, 5, 6, 7], [5, 6, 7, 1, 1, 1]]


@pytest.mark.parametrize(("featured", "status", "codes"), [
    ([0], "verified", []),
    ([1], "rejected", ["FEATURED_NOT_IN_GOLDEN_ZONE"]),
    ([0, 1], "rejected", ["FEATURED_NOT_IN_GOLDEN_ZONE"]),
])
def test_laid_shelf_verdicts(gallery: ProductGallery, detector, featured: list[int],  # type: ignore[no-untyped-def]
                             status: str, codes: list[str]) -> None:
    image, products, bands, tags = laid_shelf(ROWS)
    data = encode(image, quality=92)
    skus = [CATALOGUE[i].sku for i in featured]
    verdict = judge_pixels(decode_photo(data), read_exif(data), detector=detector,
                           gallery=gallery, featured=skus, policies=ShelfPolicies(),
                           detections=with_tags(products, tags, bands))
    assert verdict.status.value == status
    assert [r.code for r in verdict.reasons] == codes
    assert verdict.golden_zone_rows == (2, 3)
    placements = {p.sku: p for p in verdict.featured}
    if 0 in featured:
        assert placements[CATALOGUE[0].sku].facings_in_zone == 2
        assert placements[CATALOGUE[0].sku].rows == (2,)
    if 1 in featured:
        assert placements[CATALOGUE[1].sku].facings_in_zone == 0
        assert placements[CATALOGUE[1].sku].rows == (1, 5)


@pytest.mark.parametrize(("washed_out", "codes"), [(False, []), (True, ["PHOTO_OVEREXPOSED"])])
def test_exposure_is_judged_on_the_packs_not_on_a_blank_panel_beside_them(
        gallery: ProductGallery, detector, washed_out: bool,  # type: ignore[no-untyped-def]
        codes: list[str]) -> None:
    # A white end panel found as a band of its own: counted in the fixture's extent it is
    # half the frame and read as overexposure; the packs themselves decide. (With no pack
    # standing in it, the panel makes no bay: rows come from what stands on the decks.)
    image, products, bands, tags = laid_shelf([row[:4] for row in ROWS])
    image[:, 700:] = 255
    if washed_out:
        image[:, :700] = np.clip(image[:, :700].astype(np.int32) + 200, 0, 255)
    panel = (700, TOP, 1400, TOP + 5 * ROW_HEIGHT)
    data = encode(image, quality=92)
    verdict = judge_pixels(decode_photo(data), read_exif(data), detector=detector,
                           gallery=gallery, featured=[CATALOGUE[0].sku],
                           policies=ShelfPolicies(),
                           detections=with_tags(products, tags, [*bands, panel]))
    assert verdict.rows_per_bay == (5,)
    assert [r.code for r in verdict.quality.reasons] == codes
    assert verdict.status.value == ("rejected" if washed_out else "verified")


@pytest.mark.parametrize(("spoil", "quality_code"), [
    (lambda image: cv2.GaussianBlur(image, (0, 0), 9), "PHOTO_BLURRY"),
    (lambda image: (image * 0.08).astype(np.uint8), "PHOTO_TOO_DARK"),
    (lambda image: np.clip(image.astype(np.int32) + 200, 0, 255).astype(np.uint8),
     "PHOTO_OVEREXPOSED"),
])
@pytest.mark.parametrize("featured", [[0], [1], [12]])  # in the zone, outside it, not there
def test_a_photo_to_retake_is_judged_for_nothing_else(
        gallery: ProductGallery, detector, spoil: object,  # type: ignore[no-untyped-def]
        quality_code: str, featured: list[int]) -> None:
    """A blurred, dark or washed-out photo: its quality codes alone, never "featured
    absent" or "not in the golden zone" (the rep would look for products that are there)."""
    image, products, bands, tags = laid_shelf(ROWS)
    data = encode(spoil(image), quality=92)  # type: ignore[operator]
    verdict = judge_pixels(decode_photo(data), read_exif(data), detector=detector,
                           gallery=gallery, featured=[CATALOGUE[i].sku for i in featured],
                           policies=ShelfPolicies(),
                           detections=with_tags(products, tags, bands))
    codes = [r.code for r in verdict.reasons]
    assert quality_code in codes
    assert set(codes) <= {"PHOTO_BLURRY", "PHOTO_TOO_DARK", "PHOTO_OVEREXPOSED",
                          "PHOTO_LOW_RESOLUTION", "FEATURED_UNKNOWN_SKU"}, codes
    assert verdict.status.value == "rejected"
    assert verdict.featured == ()


def test_unreadable_upload_is_a_rejected_verdict_not_an_exception(
        gallery: ProductGallery, detector) -> None:  # type: ignore[no-untyped-def]
    verdict = verify_shelf_photo(b"GIF89a not really", detector=detector, gallery=gallery,
                                 featured=["SKU-001"])
    payload = verdict.as_json()
    assert payload["status"] == "rejected"
    assert [r["code"] for r in payload["reasons"]] == ["PHOTO_UNSUPPORTED_FORMAT"]
    assert verdict.unreadable
    assert verdict.photo_problem == verdict.reasons[0]
    json.dumps(payload)


def _photos() -> dict[str, bytes]:
    """Uploads that exercise every branch of the shelf check that a fixed model can reach."""
    good = encode(textured(1280, 960), quality=90)
    dark = encode((textured(1280, 960) // 12).astype(np.uint8))
    return {
        "empty": b"", "not an image": b"GIF89a not really", "truncated": good[: len(good) // 3],
        "random bytes": np.random.default_rng(7).bytes(5000), "tiny": encode(textured(64, 48)),
        "dark": dark, "washed out": encode(np.full((960, 1280, 3), 252, np.uint8)),
        "blurred": encode(cv2.GaussianBlur(textured(1280, 960), (0, 0), 12)),
        "no shelf": good, "laid shelf": encode(laid_shelf(ROWS)[0], quality=92),
    }


@pytest.mark.parametrize("name", list(_photos()))
def test_every_code_the_shelf_check_emits_is_in_the_table(
        gallery: ProductGallery, detector, name: str) -> None:  # type: ignore[no-untyped-def]
    verdict = verify_shelf_photo(_photos()[name], detector=detector, gallery=gallery,
                                 featured=[CATALOGUE[0].sku, CATALOGUE[1].sku, "SKU-UNKNOWN"])
    assert {r.code for r in verdict.reasons} <= set(ReasonCode.__members__)
    assert verdict.status is status_for(r.code for r in verdict.reasons)
    assert verdict.unreadable is (verdict.image_size is None)


def test_the_committed_model_finds_shelves_and_products_on_a_rendered_photo(
        gallery: ProductGallery, detector) -> None:  # type: ignore[no-untyped-def]
    from vision.synth.dataset import DatasetSpec, render_one

    jpeg, _, meta = render_one(DatasetSpec(count=1, seed=31337, size=(1600, 1200)),
                               CATALOGUE, 0)
    verdict = verify_shelf_photo(jpeg, detector=detector, gallery=gallery,
                                 featured=[CATALOGUE[0].sku])
    payload = verdict.as_json()
    labels = [d["label"] for d in payload["detections"]]
    assert labels.count("shelf") >= 2
    assert labels.count("product") >= 0.5 * sum(p["visible"] >= 0.5 for p in meta["products"])
    assert payload["model_version"] == detector.model_version
    assert set(payload["timings_ms"]) >= {"decode", "detect", "identify", "total"}
    assert not verdict.unreadable
