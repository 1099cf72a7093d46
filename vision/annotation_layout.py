"""Where everything on the annotated photo goes, computed without drawing a pixel.

The frame keeps the photo's (reduced) size. A panel along its bottom holds the status banner
(status and reason codes, wrapped to the width) and a numbered legend: featured SKU ``k`` is
"k = SKU: facings in zone, elsewhere, rows". The photo is scaled down to sit above the panel,
so nothing covers the evidence. On the photo each featured pack carries a small tag with its
SKU's number, and each shelf row its row number (1 = top; a row numbered 0 or less is never
labelled). Row numbers are placed first, then tags top to bottom and left to right, each at
the first spot free of the labels already placed: inside its box (top-left, then
bottom-left corner), else outside with a leader line to the box, at the nearest free spot
touching an edge or on a half-tag-height grid within six tag heights (a spot covering another
pack counts as two tag heights further). A tag with no free spot is left off and counted in
the legend. The labels' rectangles are therefore pairwise disjoint and inside the photo, and
the same verdict and size always give the same layout.

Text size follows the frame: about 1/40 of its short side (12 px at 640 x 480, 75 px at
4000 x 3000), smaller where the panel would take more than a third of the height.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vision.shelf_verification import ProductBox, ShelfVerdict
from visitproof.records import CheckinStatus

Rect = tuple[int, int, int, int]
"""xyxy pixels of the frame, half-open: pixels x0..x1-1 and y0..y1-1."""
Colour = tuple[int, int, int]
"""RGB."""
Box = tuple[float, float, float, float]

FONT = cv2.FONT_HERSHEY_SIMPLEX
GREEN: Colour = (40, 170, 60)
RED: Colour = (220, 40, 40)
GREY: Colour = (160, 160, 160)
GOLD: Colour = (230, 180, 30)
BLUE: Colour = (60, 110, 220)
PANEL: Colour = (28, 28, 32)
_LIGHT: Colour = (225, 225, 225)
_STATUS_TEXT: dict[CheckinStatus, Colour] = {
    CheckinStatus.VERIFIED: (110, 215, 110), CheckinStatus.REJECTED: (250, 110, 100),
    CheckinStatus.NEEDS_REVIEW: (250, 200, 80), CheckinStatus.RECEIVED: _LIGHT}
_SCALE_1_PX = 27  # cap height of FONT_HERSHEY_SIMPLEX at font scale 1.0 (digits, capitals)
_MIN_TEXT_PX = 10
_PANEL_SHARE = 1 / 3  # the panel's text shrinks to stay within this share of the height
_PANEL_CAP = 1 / 2  # legend lines beyond this share are summarised in one line
_REACH_TAGS = 6  # how far (tag heights) a tag may move from its box
_COVER_COST_TAGS = 2  # a spot covering another pack counts as this much (tag heights) further


@dataclass(frozen=True, slots=True)
class Label:
    """A filled rectangle with text (font scale ``scale``, baseline start ``origin``): a
    pack's tag or a row's number. ``anchor`` is the point on its box that a leader line
    joins it to (None: it touches its box)."""

    text: str
    rect: Rect
    origin: tuple[int, int]
    scale: float
    colour: Colour
    anchor: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class PanelLine:
    """One line of the panel's text; ``width`` is its measured width in pixels."""

    text: str
    origin: tuple[int, int]
    colour: Colour
    width: int


@dataclass(frozen=True, slots=True)
class Outline:
    """A box to outline (a pack or a shelf row), in frame pixels."""

    rect: Rect
    colour: Colour
    thickness: int
    golden: bool = False


@dataclass(frozen=True, slots=True)
class AnnotationLayout:
    """Everything :func:`vision.annotation.annotate` draws, in frame pixels.

    ``photo`` is where the photo is drawn, ``panel`` the strip below it (together they fill
    ``size``, (width, height)). ``labels`` are pairwise disjoint and inside ``photo``;
    ``banner`` and ``legend`` lines lie inside ``panel``. ``untagged`` counts featured packs
    whose tag found no free spot.
    """

    size: tuple[int, int]
    photo: Rect
    panel: Rect
    font_scale: float
    thickness: int
    rows: tuple[Outline, ...]
    packs: tuple[Outline, ...]
    labels: tuple[Label, ...]
    banner: tuple[PanelLine, ...]
    legend: tuple[PanelLine, ...]
    untagged: int


def annotation_layout(verdict: ShelfVerdict, size: tuple[int, int],
                      source_size: tuple[int, int] | None = None) -> AnnotationLayout:
    """The layout of ``verdict`` drawn in a frame of ``size`` (width, height) pixels.

    Boxes are in the original photo's pixels (``verdict.image_size``); ``source_size`` is
    the size they are in when the verdict has none (default: ``size``)."""
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"the frame must be at least 1 x 1 pixels, got {width} x {height}")
    text_px = min(max(round(min(width, height) / 40), 12), 120)
    featured = [p.sku for p in verdict.featured]
    count = sum(1 for d in _packs(verdict) if d.sku in featured)
    layout = _layout(verdict, size, source_size or size, text_px, untagged_line=0)
    if layout.untagged:
        # Room for the line that counts them (sized for the most it could say), then again.
        layout = _layout(verdict, size, source_size or size, text_px, untagged_line=count)
    return layout


def wrap(text: str, max_width: int, scale: float, thickness: int) -> list[str]:
    """``text`` broken into lines no wider than ``max_width`` pixels at this font scale: at
    spaces, and inside a word only where the word alone is wider."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _width(candidate, scale, thickness) > max_width:
            lines.append(current)
            candidate = word
        while len(candidate) > 1 and _width(candidate, scale, thickness) > max_width:
            cut = 1  # a word wider than the line: as many characters as fit, at least one
            while cut < len(candidate) and _width(candidate[:cut + 1], scale,
                                                  thickness) <= max_width:
                cut += 1
            lines.append(candidate[:cut])
            candidate = candidate[cut:]
        current = candidate
    if current:
        lines.append(current)
    return lines or [""]


# -- the frame --------------------------------------------------------------------------------

def _layout(verdict: ShelfVerdict, size: tuple[int, int], source: tuple[int, int],
            text_px: int, untagged_line: int) -> AnnotationLayout:
    width, height = size
    while True:
        scale, thickness = text_px / _SCALE_1_PX, max(1, round(text_px / 14))
        banner, legend = _panel_text(verdict, width, scale, thickness, untagged_line)
        line_h = _line_height(scale, thickness)
        panel_h = (len(banner) + len(legend)) * line_h + line_h // 2
        if panel_h <= height * _PANEL_SHARE or text_px <= _MIN_TEXT_PX:
            break
        text_px -= 1
    room = max(0, math.floor(height * _PANEL_CAP - len(banner) * line_h - line_h // 2))
    if len(legend) * line_h > room:  # keep the banner whole; summarise what doesn't fit
        kept = max(0, room // line_h - 1)
        legend = [*legend[:kept], (f"+ {len(legend) - kept} more legend lines", _LIGHT)]
        panel_h = (len(banner) + len(legend)) * line_h + line_h // 2
    panel_h = min(panel_h, height - 1)
    photo_h = height - panel_h
    photo_w = max(1, min(width, round(width * photo_h / height)))
    left = (width - photo_w) // 2
    photo: Rect = (left, 0, left + photo_w, photo_h)
    fx, fy = photo_w / source[0], photo_h / source[1]
    if verdict.image_size:
        fx, fy = photo_w / verdict.image_size[0], photo_h / verdict.image_size[1]

    def to_frame(box: Box) -> Rect:
        return _clip((round(left + box[0] * fx), round(box[1] * fy),
                      round(left + box[2] * fx), round(box[3] * fy)), photo)

    rows, packs, labels, untagged = _photo_marks(verdict, photo, to_frame, scale, thickness)
    lines, y = [], photo_h + line_h // 4
    for text, colour in [*banner, *legend]:
        y += line_h
        lines.append(PanelLine(text=text, origin=(line_h // 3, y - line_h // 3),
                               colour=colour, width=_width(text, scale, thickness)))
    return AnnotationLayout(
        size=size, photo=photo, panel=(0, photo_h, width, height), font_scale=scale,
        thickness=thickness, rows=rows, packs=packs, labels=labels,
        banner=tuple(lines[:len(banner)]), legend=tuple(lines[len(banner):]),
        untagged=untagged)


def _panel_text(verdict: ShelfVerdict, width: int, scale: float, thickness: int,
                untagged_line: int) -> tuple[list[tuple[str, Colour]], list[tuple[str, Colour]]]:
    inner = width - 2 * (_line_height(scale, thickness) // 3)
    status = verdict.status.value.replace("_", " ").upper()
    codes = ", ".join(r.code for r in verdict.reasons)
    colour = _STATUS_TEXT.get(verdict.status, _LIGHT)
    banner = [(line, colour) for line in wrap(f"{status}: {codes}" if codes else status,
                                              inner, scale, thickness)]
    entries: list[tuple[str, Colour]] = []
    for key, placement in enumerate(verdict.featured, start=1):
        rows = _rows_text(placement.rows)
        text = (f"{key} = {placement.sku}: absent" if placement.absent else
                f"{key} = {placement.sku}: {placement.facings_in_zone} in zone, "
                f"{placement.facings_elsewhere} elsewhere" + (f", {rows}" if rows else ""))
        entries.append((text, GREEN if placement.facings_in_zone else RED))
    entries.append(("; ".join(_colour_key(verdict)), _LIGHT))
    if untagged_line:
        entries.append((f"{untagged_line} featured packs untagged (no room)", _LIGHT))
    legend = [(line, colour) for text, colour in entries
              for line in wrap(text, inner, scale, thickness)]
    return banner, legend


def _colour_key(verdict: ShelfVerdict) -> list[str]:
    """What the colours mean, for the marks this verdict has."""
    zone = _rows_text(verdict.golden_zone_rows)
    packs = _packs(verdict)
    featured = {p.sku for p in verdict.featured}
    key = [f"golden zone: {zone} (tinted gold)"] if zone else []
    if any(d.sku in featured for d in packs):
        key += ["green: featured, in the zone", "red: featured, elsewhere"]
    if any(d.sku not in featured for d in packs):
        key.append("grey: other packs")
    if verdict.shelf_rows or any(d.label == "shelf" for d in verdict.detections):
        key.append("blue: shelf rows, 1 = top")
    return key or ["no packs or shelf rows found"]


def _rows_text(rows: Sequence[int]) -> str:
    shown = sorted({r for r in rows if r >= 1})
    if not shown:
        return ""
    return ("row " if len(shown) == 1 else "rows ") + ", ".join(str(r) for r in shown)


# -- the photo's marks ------------------------------------------------------------------------

def _packs(verdict: ShelfVerdict) -> list[ProductBox]:
    return [d for d in verdict.detections if d.label == "product"]


def _photo_marks(verdict: ShelfVerdict, photo: Rect, to_frame: Callable[[Box], Rect], scale: float,
                 thickness: int) -> tuple[tuple[Outline, ...], tuple[Outline, ...],
                                          tuple[Label, ...], int]:
    golden = {r for r in verdict.golden_zone_rows if r >= 1}
    keys = {p.sku: str(k) for k, p in enumerate(verdict.featured, start=1)}
    # The rows the verdict used; older verdicts had none but their numbered shelf bands.
    bands = [(r.row, r.box) for r in verdict.shelf_rows] or [
        (d.row, d.box) for d in verdict.detections if d.label == "shelf" and d.row is not None]
    rows = tuple(Outline(rect=to_frame(box), colour=BLUE, thickness=thickness,
                         golden=row in golden) for row, box in bands if row >= 1)
    packs = [(d, to_frame(d.box)) for d in _packs(verdict)]
    outlines = tuple(
        Outline(rect=rect, colour=GREY, thickness=1) if d.sku not in keys else
        Outline(rect=rect, colour=GREEN if d.row in golden else RED, thickness=thickness + 1)
        for d, rect in packs)
    placer = _Placer(photo, [rect for _, rect in packs], gap=thickness + 1)
    labels: list[Label] = []
    tag_scale = scale * 0.85
    for row_outline, (row, _) in zip(rows, [b for b in bands if b[0] >= 1], strict=True):
        label = placer.place(str(row), row_outline.rect, BLUE, scale, thickness, own=None)
        if label is not None:
            labels.append(label)
    untagged = 0
    order = sorted(range(len(packs)), key=lambda i: (packs[i][1][1], packs[i][1][0], i))
    for i in order:
        detection, rect = packs[i]
        if detection.sku not in keys:
            continue
        colour = outlines[i].colour
        label = placer.place(keys[str(detection.sku)], rect, colour, tag_scale,
                             thickness, own=i)
        if label is None:
            untagged += 1
        else:
            labels.append(label)
    return rows, outlines, tuple(labels), untagged


class _Placer:
    """Puts labels at the first free spot near their boxes; remembers what it placed."""

    def __init__(self, bounds: Rect, obstacles: Sequence[Rect], gap: int) -> None:
        self._bounds = bounds
        self._obstacles = np.array(obstacles, np.int64).reshape(-1, 4)
        self._placed = np.zeros((0, 4), np.int64)
        self._gap = gap

    def place(self, text: str, box: Rect, colour: Colour, scale: float, thickness: int,
              own: int | None) -> Label | None:
        (text_w, text_h), _ = cv2.getTextSize(text, FONT, scale, thickness)
        pad = max(1, round(text_h * 0.25))
        w, h = text_w + 2 * pad, text_h + 2 * pad
        rect, touching = self._spot(w, h, box, own)
        if rect is None:
            return None
        self._placed = np.vstack([self._placed, np.array(rect, np.int64)[None]])
        anchor = None if touching else nearest_point(box, ((rect[0] + rect[2]) // 2,
                                                          (rect[1] + rect[3]) // 2))
        return Label(text=text, rect=rect, origin=(rect[0] + pad, rect[3] - pad),
                     scale=scale, colour=colour, anchor=anchor)

    def _spot(self, w: int, h: int, box: Rect, own: int | None) -> tuple[Rect | None, bool]:
        """The label's rectangle and whether it sits inside its box (None: no room)."""
        x0, y0, x1, y1 = box
        g = self._gap
        if x1 - x0 >= w + 2 * g and y1 - y0 >= h + 2 * g:  # inside: top-left, bottom-left
            inside = np.array([(x0 + g, y0 + g, x0 + g + w, y0 + g + h),
                               (x0 + g, y1 - g - h, x0 + g + w, y1 - g)], np.int64)
            free = self._free(inside)
            if free.any():
                return _rect(inside[int(np.argmax(free))]), True
        # Outside: touching an edge, then on a grid of half a tag height, up to the reach;
        # the nearest, where covering another pack counts as two tag heights further.
        edges = np.array([(x0, y0 - h), (x0, y1), (x1 - w, y0 - h), (x1 - w, y1),
                          (x0 - w, y0), (x1, y0)], np.int64)
        step, reach = max(2, h // 2), _REACH_TAGS * h
        nx = math.ceil(((x1 - x0 + w) / 2 + reach) / step)
        ny = math.ceil(((y1 - y0 + h) / 2 + reach) / step)
        grid_j, grid_i = np.meshgrid(np.arange(-ny, ny + 1), np.arange(-nx, nx + 1),
                                     indexing="ij")
        ii, jj = grid_i.ravel(), grid_j.ravel()
        grid = np.stack([(x0 + x1 - w) // 2 + ii * step, (y0 + y1 - h) // 2 + jj * step],
                        axis=1)
        grid = grid[np.lexsort((ii, jj, np.abs(ii), np.abs(jj)))]
        corners = np.vstack([edges, grid])
        candidates = np.hstack([corners, corners + np.array([w, h], np.int64)])
        gap_x = np.maximum(0, np.maximum(candidates[:, 0] - x1, x0 - candidates[:, 2]))
        gap_y = np.maximum(0, np.maximum(candidates[:, 1] - y1, y0 - candidates[:, 3]))
        distance = np.hypot(gap_x, gap_y)
        usable = (distance <= reach) & self._free(candidates)
        if not usable.any():
            return None, False
        candidates, distance = candidates[usable], distance[usable]
        covers = _intersects(candidates, self._obstacles, skip=own).any(axis=1)
        cost = distance + covers * (_COVER_COST_TAGS * h)
        rank = np.arange(len(candidates))  # edges first, then the grid nearest the centre
        return _rect(candidates[np.lexsort((rank, cost))[0]]), False

    def _free(self, candidates: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        bx0, by0, bx1, by1 = self._bounds
        inside = ((candidates[:, 0] >= bx0) & (candidates[:, 1] >= by0)
                  & (candidates[:, 2] <= bx1) & (candidates[:, 3] <= by1))
        placed = self._placed
        if len(placed) and len(candidates):
            low, high = candidates.min(axis=0), candidates.max(axis=0)
            near = ((placed[:, 0] < high[2]) & (placed[:, 2] > low[0])
                    & (placed[:, 1] < high[3]) & (placed[:, 3] > low[1]))
            inside &= ~_intersects(candidates, placed[near]).any(axis=1)
        return inside


def _intersects(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64],
                skip: int | None = None) -> npt.NDArray[np.bool_]:
    """(len(a), len(b)): whether half-open rectangles overlap (column ``skip`` False)."""
    hits = ((a[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < a[:, None, 2])
            & (a[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < a[:, None, 3]))
    if skip is not None and skip < hits.shape[1]:
        hits[:, skip] = False
    return hits


def nearest_point(rect: Rect, point: tuple[int, int]) -> tuple[int, int]:
    """The pixel of ``rect`` nearest ``point``."""
    return (min(max(point[0], rect[0]), rect[2] - 1),
            min(max(point[1], rect[1]), rect[3] - 1))


def _clip(rect: Rect, bounds: Rect) -> Rect:
    x0, y0 = min(max(rect[0], bounds[0]), bounds[2] - 1), min(max(rect[1], bounds[1]),
                                                             bounds[3] - 1)
    return x0, y0, min(max(rect[2], x0 + 1), bounds[2]), min(max(rect[3], y0 + 1), bounds[3])


def _rect(row: npt.NDArray[np.int64]) -> Rect:
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _width(text: str, scale: float, thickness: int) -> int:
    return int(cv2.getTextSize(text, FONT, scale, thickness)[0][0])


def _line_height(scale: float, thickness: int) -> int:
    (_, text_h), baseline = cv2.getTextSize("Ag", FONT, scale, thickness)
    return round((text_h + baseline) * 1.3)
