"""One rendered shelf photo: a run of bays seen by a hand-held camera, with its ground truth.

Rendering paints the fixture plane front-on into a canvas (``px_per_cm`` chosen so the canvas
is never coarser than the photo) and warps it into the photo with the camera homography, so
the work grows with the photo size, not with the size of the fixture. Labels are the projected
world boxes, clipped to the photo; a pack hidden more than half by clutter or a promotion card
is not labelled, and neither is one cut more than 60% by the photo border.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from vision.synth.camera import Camera, Image, Matrix, capture, local_scale, project, sample_camera
from vision.synth.catalogue import Sku, render_pack
from vision.synth.fixture import (
    BAY_WIDTHS_CM,
    KICK_PLATE_CM,
    TOP_CAP_CM,
    UPRIGHT_CM,
    Fixture,
    Placement,
    build_fixture,
)
from vision.synth.labels import (
    Box,
    FixtureLabel,
    GroundTruth,
    ProductLabel,
    ShelfLabel,
    TagLabel,
)
from vision.synth.lighting import light

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in cm on the fixture plane
MAX_PRODUCTS = 400


@dataclass(frozen=True, slots=True)
class Scene:
    """A rendered photo, (H, W, 3) uint8 BGR, with its ground truth and camera."""

    image: Image
    truth: GroundTruth
    camera: Camera


@dataclass(frozen=True, slots=True)
class _Canvas:
    """The fixture plane painted front-on: ``origin_cm`` maps to pixel (0, 0)."""

    pixels: Image
    origin_cm: tuple[float, float]
    px_per_cm: float

    def px(self, x_cm: float, y_cm: float) -> tuple[int, int]:
        return (round((x_cm - self.origin_cm[0]) * self.px_per_cm),
                round((y_cm - self.origin_cm[1]) * self.px_per_cm))

    def fill(self, rect: Rect, colour: tuple[int, int, int] | float) -> None:
        x0, y0 = self.px(rect[0], rect[1])
        x1, y1 = self.px(rect[2], rect[3])
        h, w = self.pixels.shape[:2]
        x0, x1, y0, y1 = max(x0, 0), min(x1, w), max(y0, 0), min(y1, h)
        if x1 > x0 and y1 > y0:
            self.pixels[y0:y1, x0:x1] = colour

    def shade(self, rect: Rect, factor: float) -> None:
        x0, y0 = self.px(rect[0], rect[1])
        x1, y1 = self.px(rect[2], rect[3])
        h, w = self.pixels.shape[:2]
        x0, x1, y0, y1 = max(x0, 0), min(x1, w), max(y0, 0), min(y1, h)
        if x1 > x0 and y1 > y0:
            region = self.pixels[y0:y1, x0:x1].astype(np.float32)
            ramp = np.linspace(factor, 1.0, y1 - y0, dtype=np.float32)[:, None, None]
            self.pixels[y0:y1, x0:x1] = (region * ramp).astype(np.uint8)


def _grey(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int, int]:
    v = int(rng.integers(lo, hi))
    tint = rng.integers(-12, 13, size=3)
    b, g, r = (int(np.clip(v + t, 0, 255)) for t in tint)
    return (b, g, r)


def _world_box(matrix: Matrix, rect: Rect) -> Box:
    x0, y0, x1, y1 = rect
    pts = project(matrix, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64))
    return (float(pts[:, 0].min()), float(pts[:, 1].min()),
            float(pts[:, 0].max()), float(pts[:, 1].max()))


def _clip(box: Box, width: int, height: int) -> tuple[Box, float]:
    """Box clipped to the photo, and the share of its area that stayed inside."""
    x0, y0, x1, y1 = box
    cx0, cy0 = min(max(x0, 0.0), width), min(max(y0, 0.0), height)
    cx1, cy1 = min(max(x1, 0.0), width), min(max(y1, 0.0), height)
    area = max(x1 - x0, 1e-9) * max(y1 - y0, 1e-9)
    return (cx0, cy0, cx1, cy1), (cx1 - cx0) * (cy1 - cy0) / area


def _overlap(a: Rect, b: Rect) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def _posed_rect(p: Placement) -> Rect:
    """World rect a posed pack covers (pushed-back packs look smaller and sit higher)."""
    if p.pose == "pushed_back":
        s = 0.88
        cx, base = p.x_cm + p.w_cm / 2, p.y_cm + p.h_cm - 0.8
        return (cx - p.w_cm * s / 2, base - p.h_cm * s, cx + p.w_cm * s / 2, base)
    if p.pose == "leaning":
        a = math.radians(abs(p.angle_deg))
        w = p.w_cm * math.cos(a) + p.h_cm * math.sin(a)
        h = p.w_cm * math.sin(a) + p.h_cm * math.cos(a)
        cx, base = p.x_cm + p.w_cm / 2, p.y_cm + p.h_cm
        return (cx - w / 2, base - h, cx + w / 2, base)
    return (p.x_cm, p.y_cm, p.x_cm + p.w_cm, p.y_cm + p.h_cm)


class _PackCache:
    """Pack artwork per (SKU, pixel size): facings of a SKU share one rendering."""

    def __init__(self) -> None:
        self._packs: dict[tuple[str, int, int], tuple[Image, Image]] = {}

    def get(self, sku: Sku, w: int, h: int) -> tuple[Image, Image]:
        key = (sku.sku, w, h)
        if key not in self._packs:
            self._packs[key] = render_pack(sku, w, h)
        return self._packs[key]


def _paint_pack(canvas: _Canvas, cache: _PackCache, p: Placement, rect: Rect) -> None:
    rho = canvas.px_per_cm
    if p.pose == "toppled":
        pack, mask = cache.get(p.sku, max(2, round(p.h_cm * rho)), max(2, round(p.w_cm * rho)))
        pack, mask = np.rot90(pack).copy(), np.rot90(mask).copy()
    else:
        w_cm, h_cm = (rect[2] - rect[0], rect[3] - rect[1]) if p.pose == "pushed_back" else (
            p.w_cm, p.h_cm)
        pack, mask = cache.get(p.sku, max(2, round(w_cm * rho)), max(2, round(h_cm * rho)))
    if p.pose == "pushed_back":
        pack = (pack * 0.7).astype(np.uint8)  # deeper in the shelf, in the deck's shadow
    elif p.pose == "leaning":
        h, w = mask.shape
        rw, rh = round((rect[2] - rect[0]) * rho), round((rect[3] - rect[1]) * rho)
        rot = cv2.getRotationMatrix2D((w / 2, h / 2), p.angle_deg, 1.0)
        rot[:, 2] += ((rw - w) / 2, (rh - h) / 2)
        pack = np.asarray(cv2.warpAffine(pack, rot, (max(rw, 1), max(rh, 1))), np.uint8)
        mask = np.asarray(cv2.warpAffine(mask, rot, (max(rw, 1), max(rh, 1))), np.uint8)
    x0, y0 = canvas.px(rect[0], rect[1])
    ch, cw = canvas.pixels.shape[:2]
    h, w = mask.shape
    sx0, sy0 = max(0, -x0), max(0, -y0)
    sx1, sy1 = min(w, cw - x0), min(h, ch - y0)
    if sx1 <= sx0 or sy1 <= sy0:
        return
    region = canvas.pixels[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
    m = mask[sy0:sy1, sx0:sx1] > 127
    region[m] = pack[sy0:sy1, sx0:sx1][m]


def _paint_tag(canvas: _Canvas, rng: np.random.Generator, rect: Rect,
               paper: tuple[int, int, int]) -> None:
    canvas.fill(rect, paper)
    x0, y0 = canvas.px(rect[0], rect[1])
    x1, y1 = canvas.px(rect[2], rect[3])
    if y1 - y0 >= 8:
        price = f"{rng.integers(0, 20)}.{rng.integers(0, 100):02d}"
        scale = (y1 - y0) / 40
        cv2.putText(canvas.pixels, price, (x0 + 1, y1 - (y1 - y0) // 4),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), max(1, round(scale * 2)))
    elif y1 - y0 >= 3:
        cv2.line(canvas.pixels, (x0 + 1, (y0 + y1) // 2), (x1 - 2, (y0 + y1) // 2), (30, 30, 30))


def _paint_bay(canvas: _Canvas, rng: np.random.Generator, bay: Fixture,
               drawn: list[tuple[Placement, Rect]], cache: _PackCache) -> list[Rect]:
    """Paint one bay; returns the world rects of things hanging in front of its packs."""
    x0, x1, height = bay.x_cm, bay.x_cm + bay.width_cm, bay.height_cm
    canvas.fill((x0, 0, x1, height), _grey(rng, 40, 235))  # back panel
    if rng.random() < 0.4 and canvas.px_per_cm * 2.5 >= 5:  # pegboard holes
        hole = _grey(rng, 10, 60)
        for gy in np.arange(TOP_CAP_CM + 1.25, height - KICK_PLATE_CM, 2.5):
            for gx in np.arange(x0 + 1.25, x1, 2.5):
                cv2.circle(canvas.pixels, canvas.px(gx, gy), max(1, round(canvas.px_per_cm * 0.3)),
                           hole, -1)
    canvas.fill((x0, 0, x1, TOP_CAP_CM), _grey(rng, 20, 250))
    canvas.fill((x0, height - KICK_PLATE_CM, x1, height), _grey(rng, 15, 120))
    for row in bay.rows:
        canvas.shade((x0, row.top_cm, x1, row.top_cm + 4.0), float(rng.uniform(0.45, 0.8)))
    for p, rect in drawn:
        _paint_pack(canvas, cache, p, rect)
    strip = _grey(rng, 20, 245) if rng.random() < 0.7 else tuple(
        int(c) for c in rng.integers(0, 256, 3))
    paper = (250, 250, 250) if rng.random() < 0.6 else (60, 220, 250)
    for row in bay.rows:
        canvas.fill((bay.inner_left_cm, row.deck_cm, bay.inner_right_cm, row.edge_bottom_cm),
                    strip)  # type: ignore[arg-type]
        lip = tuple(min(255, int(c) + 40) for c in strip)
        canvas.fill((bay.inner_left_cm, row.deck_cm, bay.inner_right_cm, row.deck_cm + 0.5),
                    lip)  # type: ignore[arg-type]
    for tag in bay.tags:
        _paint_tag(canvas, rng, (tag.x_cm, tag.y_cm, tag.x_cm + tag.w_cm, tag.y_cm + tag.h_cm),
                   paper)
    metal = _grey(rng, 60, 200)
    canvas.fill((x0, 0, x0 + UPRIGHT_CM, height), metal)
    canvas.fill((x1 - UPRIGHT_CM, 0, x1, height), metal)
    occluders: list[Rect] = []
    if rng.random() < 0.3:  # promotion cards hanging from the shelf edges
        for _ in range(int(rng.integers(1, 3))):
            row = bay.rows[int(rng.integers(len(bay.rows) - 1))]
            size = float(rng.uniform(8, 16))
            cx = float(rng.uniform(bay.inner_left_cm, bay.inner_right_cm - size))
            rect = (cx, row.edge_bottom_cm, cx + size, row.edge_bottom_cm + size)
            canvas.fill(rect, tuple(int(c) for c in rng.integers(0, 256, 3)))  # type: ignore[arg-type]
            occluders.append(rect)
    return occluders


def _paint_surroundings(canvas: _Canvas, rng: np.random.Generator, run: tuple[Fixture, ...],
                        view: Rect) -> list[Rect]:
    """Wall, floor and aisle clutter; returns the rects that hide packs."""
    height = run[0].height_cm
    canvas.fill(view, _grey(rng, 120, 250))  # wall and aisle ends
    floor = _grey(rng, 80, 220)
    canvas.fill((view[0], height, view[2], view[3]), floor)
    tile = float(rng.uniform(30, 60))
    for x in np.arange(view[0] - view[0] % tile, view[2], tile):
        cv2.line(canvas.pixels, canvas.px(x, height), canvas.px(x, view[3]),
                 tuple(int(c * 0.8) for c in floor), 1)
    occluders: list[Rect] = []
    left, right = run[0].x_cm, run[-1].x_cm + run[-1].width_cm
    if rng.random() < 0.35:  # a carton or a basket left on the floor in front of the bays
        w, h = float(rng.uniform(30, 60)), float(rng.uniform(20, 45))
        x = float(rng.uniform(left - 20, right - 20))
        rect = (x, height - h + 6, x + w, height + 6)
        colour = (60, 110, 160) if rng.random() < 0.6 else (40, 40, 200)
        canvas.fill(rect, colour)
        x0, y0 = canvas.px(rect[0], rect[1])
        x1, y1 = canvas.px(rect[2], rect[3])
        cv2.rectangle(canvas.pixels, (x0, y0), (x1, y1), (30, 50, 80), max(1, (x1 - x0) // 40))
        occluders.append(rect)
    return occluders


def _size_px(rng: np.random.Generator, size: tuple[int, int] | tuple[int, int, int]) -> tuple[
    int, int
]:
    if len(size) == 2:
        return int(size[0]), int(size[1])
    lo, hi, _ = size
    long_side = int(rng.integers(lo, hi + 1))
    aspect = float(rng.choice([4 / 3, 16 / 9, 1.0]))
    short = round(long_side / aspect)
    return (short, long_side) if rng.random() < 0.6 else (long_side, short)


def render_scene(
    rng: np.random.Generator,
    catalogue: tuple[Sku, ...],
    size: tuple[int, int] | tuple[int, int, int],
    max_products: int = MAX_PRODUCTS,
) -> Scene:
    """Render one photo.

    ``size`` is ``(width, height)`` in pixels, or ``(min_long, max_long, 0)`` to draw the
    long side from that range with a random orientation (60% portrait) and aspect.
    """
    width, height = _size_px(rng, size)
    height_cm = float(rng.uniform(140, 220))
    density = float(rng.uniform(0.5, 1.0)) if rng.random() < 0.25 else float(rng.uniform(0, 0.4))
    n_left, n_right = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    widths = [float(rng.choice(BAY_WIDTHS_CM)) for _ in range(n_left + 1 + n_right)]
    x = -sum(widths[:n_left])
    run: list[Fixture] = []
    for i, w in enumerate(widths):
        run.append(build_fixture(rng, catalogue, i, x, w, height_cm, density))
        x += w
    main = run[n_left]

    # Whole bay in view, or a close-up of a few rows; never so far that packs vanish.
    if rng.random() < 0.45:
        px_per_cm = height * float(rng.uniform(0.7, 1.0)) / height_cm
        target = (main.x_cm + main.width_cm * float(rng.uniform(0.3, 0.7)),
                  height_cm * float(rng.uniform(0.45, 0.55)))
    else:
        px_per_cm = height / (height_cm * float(rng.uniform(0.3, 0.75)))
        target = (main.x_cm + main.width_cm * float(rng.uniform(0.2, 0.8)),
                  height_cm * float(rng.uniform(0.2, 0.8)))
    px_per_cm = max(px_per_cm, 1.6 * min(width, height) / 480)
    camera = sample_camera(rng, width, height, target, px_per_cm)
    matrix = camera.homography()

    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    seen = project(np.asarray(np.linalg.inv(matrix), np.float64), corners)
    view: Rect = (float(seen[:, 0].min()) - 5, float(seen[:, 1].min()) - 5,
                  float(seen[:, 0].max()) + 5, float(seen[:, 1].max()) + 5)
    rho = local_scale(matrix, seen)
    area_cm2 = (view[2] - view[0]) * (view[3] - view[1])
    rho = min(rho, math.sqrt(2.5 * width * height / area_cm2))  # bound the canvas size
    canvas_h = max(1, round((view[3] - view[1]) * rho))
    canvas_w = max(1, round((view[2] - view[0]) * rho))
    canvas = _Canvas(np.zeros((canvas_h, canvas_w, 3), np.uint8), (view[0], view[1]), rho)
    occluders = _paint_surroundings(canvas, rng, tuple(run), view)

    # Decide what is drawn before painting: at most ``max_products`` packs in the photo.
    candidates: list[tuple[float, Placement, Rect, Box, float]] = []
    for bay in run:
        for p in bay.placements:
            rect = _posed_rect(p)
            box, inside = _clip(_world_box(matrix, rect), width, height)
            if inside > 0:
                centre = ((box[0] + box[2]) / 2 - width / 2) ** 2 + (
                    (box[1] + box[3]) / 2 - height / 2) ** 2
                candidates.append((centre, p, rect, box, inside))
    candidates.sort(key=lambda c: c[0])
    kept = candidates[:max_products]
    kept_ids = {id(c[1]) for c in kept}

    cache = _PackCache()
    for bay in run:
        drawn = [(p, _posed_rect(p)) for p in bay.placements if id(p) in kept_ids]
        occluders += _paint_bay(canvas, rng, bay, drawn, cache)

    to_canvas = np.array([[rho, 0, -rho * view[0]], [0, rho, -rho * view[1]], [0, 0, 1]])
    warp = matrix @ np.linalg.inv(to_canvas)
    image = np.asarray(cv2.warpPerspective(canvas.pixels, warp, (width, height),
                                           flags=cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_REPLICATE), np.uint8)
    image = capture(rng, light(rng, image))

    products = []
    for _, p, rect, box, inside in kept:
        area = (rect[2] - rect[0]) * (rect[3] - rect[1])
        hidden = min(1.0, sum(_overlap(rect, o) for o in occluders) / area)
        big_enough = box[2] - box[0] >= 3 and box[3] - box[1] >= 3
        if inside >= 0.4 and hidden <= 0.5 and big_enough:
            products.append(ProductLabel(p.sku.sku, p.fixture, p.row, p.pose, box, 1 - hidden))
    shelves, tags, fixtures = _structure_labels(run, main.index, matrix, width, height)
    truth = GroundTruth(width, height, tuple(products), shelves, tags, fixtures)
    return Scene(image, truth, camera)


def _structure_labels(run: list[Fixture], main: int, matrix: Matrix, width: int,
                      height: int) -> tuple[tuple[ShelfLabel, ...], tuple[TagLabel, ...],
                                            tuple[FixtureLabel, ...]]:
    shelves, tags, fixtures = [], [], []
    for bay in run:
        bay_box, bay_inside = _clip(_world_box(matrix, (bay.x_cm, 0, bay.x_cm + bay.width_cm,
                                                        bay.height_cm)), width, height)
        if bay_inside <= 0:
            continue
        fixtures.append(FixtureLabel(bay.index, bay.index == main, bay.width_cm, bay.height_cm,
                                     len(bay.rows), bay_box))
        for row in bay.rows:
            rect = (bay.inner_left_cm, row.top_cm, bay.inner_right_cm, row.edge_bottom_cm)
            full = _world_box(matrix, rect)
            box, _ = _clip(full, width, height)
            # A row counts when at least half its height and a useful width are in view.
            if (box[3] - box[1]) >= 0.5 * (full[3] - full[1]) and box[2] - box[0] >= 12:
                quad = project(matrix, np.array([[rect[0], rect[1]], [rect[2], rect[1]],
                                                 [rect[2], rect[3]], [rect[0], rect[3]]]))
                shelves.append(ShelfLabel(bay.index, row.index, box,
                                          tuple((float(x), float(y)) for x, y in quad),
                                          row.top_cm, row.deck_cm, row.edge_bottom_cm))
        for tag in bay.tags:
            box, inside = _clip(_world_box(matrix, (tag.x_cm, tag.y_cm, tag.x_cm + tag.w_cm,
                                                    tag.y_cm + tag.h_cm)), width, height)
            if inside >= 0.6 and box[2] - box[0] >= 2 and box[3] - box[1] >= 2:
                tags.append(TagLabel(bay.index, tag.row, box))
    return tuple(shelves), tuple(tags), tuple(fixtures)
