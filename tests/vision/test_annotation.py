"""The annotated photo: its layout (labels never overlap, the banner always fits, no row 0)
and its pixels against golden files.

The golden files are PNGs in tests/vision/golden/, compared with a tolerance (mean absolute
difference under 2 per channel, under 1% of pixels off by more than 40) so that another
OpenCV build's anti-aliasing doesn't fail them. After a deliberate change to the drawing,
regenerate them and look at them before committing:

    VISITPROOF_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/vision/test_annotation.py

They were made with OpenCV 5.1, whose text renderer draws other glyphs than OpenCV 4's
Hershey strokes; on a build with another text renderer, regenerate them (the layout tests,
which need no pixels, are what guard legibility).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from tests.vision.photos import rgb
from vision.annotation import annotate
from vision.annotation_layout import BLUE, AnnotationLayout, Rect, annotation_layout, wrap
from vision.golden_zone import FeaturedPlacement
from vision.shelf_geometry import ShelfRow
from vision.shelf_verification import ProductBox, ShelfVerdict
from visitproof.reasons import ReasonCode
from visitproof.records import CheckinStatus, Reason

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("VISITPROOF_REGENERATE_GOLDEN") == "1"
SKUS = ("COLA-330-CAN", "LEMON-1L-PET", "CRISPS-150G-SALTED", "WATER-500")
ALL_CODES = tuple(ReasonCode)[:18]


def crowded_verdict(width: int, height: int, *, rows: int = 5, per_row: int = 18,
                    featured: tuple[str, ...] = SKUS[:3], golden: tuple[int, ...] = (2, 3),
                    status: CheckinStatus = CheckinStatus.REJECTED,
                    codes: tuple[ReasonCode, ...] = (ReasonCode.FEATURED_NOT_IN_GOLDEN_ZONE,),
                    ) -> ShelfVerdict:
    """One bay filling the photo: ``rows`` rows of ``per_row`` packs standing shoulder to
    shoulder, SKUs cycling through :data:`SKUS`, a few packs detected twice (overlapping
    boxes)."""
    row_h = height * 0.9 / rows
    pack_w = width * 0.94 / per_row
    shelf_rows, packs = [], []
    for row in range(1, rows + 1):
        top = height * 0.05 + (row - 1) * row_h
        shelf_rows.append(ShelfRow(bay=0, row=row, box=(width * 0.03, top, width * 0.97,
                                                        top + row_h)))
        for n in range(per_row):
            x = width * 0.03 + n * pack_w
            box = (x + 1, top + row_h * 0.2, x + pack_w - 1, top + row_h * 0.92)
            sku = SKUS[(n // 2 + row) % len(SKUS)]
            packs.append(ProductBox(label="product", box=box, score=0.9, sku=sku, row=row,
                                    bay=0))
            if n % 5 == 0:  # the detector's duplicate, shifted by a third of a pack
                shifted = (box[0] + pack_w / 3, box[1] + 4, box[2] + pack_w / 3, box[3])
                packs.append(ProductBox(label="product", box=shifted, score=0.5, sku=sku,
                                        row=row, bay=0))
    placements = []
    for sku in featured:
        rows_of = sorted({p.row or 0 for p in packs if p.sku == sku})
        in_zone = sum(1 for p in packs if p.sku == sku and p.row in golden)
        placements.append(FeaturedPlacement(
            sku=sku, facings_in_zone=in_zone,
            facings_elsewhere=sum(1 for p in packs if p.sku == sku) - in_zone,
            rows=tuple(rows_of)))
    return ShelfVerdict(status=status, reasons=tuple(_reason(c) for c in codes),
                        featured=tuple(placements), golden_zone_rows=golden,
                        detections=tuple(packs), rows_per_bay=(rows,),
                        shelf_rows=tuple(shelf_rows), image_size=(width, height))


def blurred_verdict(width: int = 640, height: int = 480) -> ShelfVerdict:
    """A retake: blurred, no shelf found, so no rows; packs on no row; nothing featured
    found."""
    packs = tuple(ProductBox(label="product", box=(40.0 + 90 * i, 200.0, 110.0 + 90 * i,
                                                   320.0), score=0.4, sku=None, row=None)
                  for i in range(5))
    return ShelfVerdict(status=CheckinStatus.REJECTED,
                        reasons=(_reason(ReasonCode.PHOTO_BLURRY),
                                 _reason(ReasonCode.NO_SHELF_FOUND)),
                        detections=packs, image_size=(width, height))


def _reason(code: ReasonCode) -> Reason:
    return Reason(code=code.value, message=code.value.lower().replace("_", " "))


# -- layout -----------------------------------------------------------------------------------

def _disjoint(a: Rect, b: Rect) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _inside(inner: Rect, outer: Rect) -> bool:
    return (outer[0] <= inner[0] < inner[2] <= outer[2]
            and outer[1] <= inner[1] < inner[3] <= outer[3])


def assert_legible(layout: AnnotationLayout) -> None:
    width, height = layout.size
    frame = (0, 0, width, height)
    assert _inside(layout.photo, frame)
    assert _inside(layout.panel, frame)
    assert _disjoint(layout.photo, layout.panel)
    for a, b in itertools.combinations(layout.labels, 2):
        assert _disjoint(a.rect, b.rect), (a, b)
    for label in layout.labels:
        assert _inside(label.rect, layout.photo), label
    (_, text_h), baseline = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, layout.font_scale,
                                            layout.thickness)
    for line in (*layout.banner, *layout.legend):
        x, y = line.origin
        assert _inside((x, y - text_h, x + line.width, y + baseline), layout.panel), line
    assert layout.banner


CROWDED_SIZES = [(640, 480), (960, 720), (720, 960), (1600, 1200), (4000, 3000)]


@pytest.mark.parametrize("size", CROWDED_SIZES)
@pytest.mark.parametrize(("rows", "per_row"), [(5, 18), (7, 30), (4, 8)])
def test_labels_never_overlap_and_stay_inside_the_photo(size: tuple[int, int], rows: int,
                                                        per_row: int) -> None:
    layout = annotation_layout(crowded_verdict(*size, rows=rows, per_row=per_row), size)
    assert_legible(layout)
    tags = [label for label in layout.labels if label.colour != BLUE]  # not row numbers
    assert len(tags) + layout.untagged == sum(
        1 for pack in crowded_verdict(*size, rows=rows, per_row=per_row).detections
        if pack.sku in SKUS[:3])
    assert {label.text for label in layout.labels} >= {str(r) for r in range(1, rows + 1)}


def test_a_roomy_shelf_tags_every_featured_pack_beside_its_box() -> None:
    layout = annotation_layout(crowded_verdict(1600, 1200, rows=4, per_row=8), (1600, 1200))
    assert layout.untagged == 0
    assert all(label.anchor is None for label in layout.labels)


def test_a_tag_that_has_to_move_gets_a_leader_line_to_its_box() -> None:
    layout = annotation_layout(crowded_verdict(960, 720, rows=7, per_row=30), (960, 720))
    moved = [label for label in layout.labels if label.anchor is not None]
    assert moved
    for label in moved:
        x, y = label.anchor or (0, 0)
        assert any(p.rect[0] <= x < p.rect[2] and p.rect[1] <= y < p.rect[3]
                   for p in layout.packs)


@pytest.mark.parametrize("width", [640, 961, 4000])
def test_the_banner_wraps_every_reason_code_to_the_width(width: int) -> None:
    size = (width, width * 3 // 4)
    verdict = crowded_verdict(*size, codes=ALL_CODES)
    layout = annotation_layout(verdict, size)
    assert_legible(layout)
    banner = " ".join(line.text for line in layout.banner)
    for code in ALL_CODES:
        assert code.value in banner
    assert banner.startswith("REJECTED:")


def test_text_grows_with_the_image() -> None:
    scales = [annotation_layout(crowded_verdict(w, w * 3 // 4), (w, w * 3 // 4)).font_scale
              for w in (640, 1600, 4000)]
    assert scales == sorted(scales)
    assert scales[-1] > 4 * scales[0]


@pytest.mark.parametrize(("text", "width"), [("", 100), ("A B C", 10),
                                             ("PHOTO_TOO_MANY_PIXELS, " * 5, 120)])
def test_wrap_breaks_even_one_long_word(text: str, width: int) -> None:
    lines = wrap(text, width, 0.5, 1)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert len(line) == 1 or cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                                                 1)[0][0] <= width


def test_the_layout_is_deterministic() -> None:
    verdict = crowded_verdict(960, 720, rows=7, per_row=30)
    assert annotation_layout(verdict, (960, 720)) == annotation_layout(verdict, (960, 720))


# -- no row 0 ---------------------------------------------------------------------------------

def _row_zero_verdicts() -> list[ShelfVerdict]:
    legacy = ShelfVerdict.from_json({
        "status": "needs_review", "reasons": [{"code": "FIXTURE_CUT_OFF", "message": "cut"}],
        "featured": [{"sku": "COLA-330-CAN", "facings_in_zone": 0, "facings_elsewhere": 1,
                      "rows": [0]}],
        "golden_zone_rows": [0, 1],
        "detections": [
            {"label": "shelf", "box": [0, 0, 640, 200], "score": 0.9, "row": 0, "bay": 0},
            {"label": "shelf", "box": [0, 200, 640, 400], "score": 0.9, "row": 1, "bay": 0},
            {"label": "product", "box": [10, 50, 90, 190], "score": 0.9,
             "sku": "COLA-330-CAN", "row": 0, "bay": 0}],
        "image_size": [640, 480]})
    numbered_zero = ShelfVerdict(
        status=CheckinStatus.REJECTED, reasons=(_reason(ReasonCode.FEATURED_ABSENT),),
        shelf_rows=(ShelfRow(bay=0, row=0, box=(0, 0, 640, 100)),
                    ShelfRow(bay=0, row=1, box=(0, 100, 640, 300))),
        image_size=(640, 480))
    return [blurred_verdict(), crowded_verdict(640, 480), legacy, numbered_zero,
            ShelfVerdict(status=CheckinStatus.VERIFIED, reasons=())]


@pytest.mark.parametrize("verdict", _row_zero_verdicts())
def test_no_row_is_ever_labelled_0(verdict: ShelfVerdict) -> None:
    layout = annotation_layout(verdict, (640, 480))
    assert_legible(layout)
    assert "0" not in {label.text for label in layout.labels}
    for line in (*layout.banner, *layout.legend):
        assert "row 0" not in line.text, line.text
        assert "rows 0" not in line.text, line.text
        assert ", 0" not in line.text, line.text


# -- pixels -----------------------------------------------------------------------------------

def shelf_photo(verdict: ShelfVerdict) -> npt.NDArray[np.uint8]:
    """A plain drawing of the verdict's shelf: beige back wall, grey decks, packs coloured
    by SKU (no randomness, so the golden files don't depend on numpy's generators)."""
    width, height = verdict.image_size or (640, 480)
    image = np.full((height, width, 3), (214, 204, 186), np.uint8)
    palette = {None: (120, 120, 130), SKUS[0]: (200, 30, 40), SKUS[1]: (235, 215, 60),
               SKUS[2]: (40, 90, 180), SKUS[3]: (90, 180, 210)}
    for row in verdict.shelf_rows:
        x0, _, x1, y1 = (round(v) for v in row.box)
        cv2.rectangle(image, (x0, y1 - max(4, height // 60)), (x1, y1), (90, 90, 95), -1)
    for pack in verdict.detections:
        x0, y0, x1, y1 = (round(v) for v in pack.box)
        cv2.rectangle(image, (x0 + 2, y0 + 2), (x1 - 2, y1 - 2), palette[pack.sku], -1)
        cv2.rectangle(image, (x0 + 2, y0 + 2), (x1 - 2, y0 + (y1 - y0) // 5), (245, 245, 245),
                      -1)
    return image


GOLDEN_CASES = {
    "crowded_960x720": lambda: crowded_verdict(960, 720, rows=6, per_row=22,
                                               codes=ALL_CODES[:8]),
    "roomy_portrait_720x960": lambda: crowded_verdict(720, 960, rows=4, per_row=6,
                                                      featured=SKUS[:1], codes=(),
                                                      status=CheckinStatus.VERIFIED),
    "blurred_640x480": blurred_verdict,
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_the_annotated_photo_matches_its_golden_file(name: str) -> None:
    verdict = GOLDEN_CASES[name]()
    drawn = annotate(shelf_photo(verdict), verdict)
    path = GOLDEN / f"{name}.png"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        assert cv2.imwrite(str(path), cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, 9])
    golden = rgb(cv2.imread(str(path)))
    assert drawn.shape == golden.shape
    difference = np.abs(drawn.astype(np.int16) - golden.astype(np.int16))
    assert difference.mean(axis=(0, 1)).max() < 2.0
    assert (difference.max(axis=2) > 40).mean() < 0.01


@pytest.mark.parametrize("size", [(640, 480), (1280, 960), (4000, 3000)])
def test_the_annotated_photo_keeps_the_frame_size(size: tuple[int, int]) -> None:
    verdict = crowded_verdict(*size)
    drawn = annotate(np.full((size[1], size[0], 3), 128, np.uint8), verdict,
                     max_long_side=4000)
    assert drawn.shape == (size[1], size[0], 3)
    assert drawn.dtype == np.uint8
