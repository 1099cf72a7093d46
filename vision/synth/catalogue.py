"""Procedural product catalogue: SKUs and their front-facing pack artwork.

A catalogue is a pure function of its seed. Each SKU has a pack shape (box, bottle, can,
pouch, jar), a physical size in centimetres, two colours, a pattern, a logo glyph and a
printed name. ``render_pack`` paints the front of a pack at a requested pixel size; the same
SKU at the same size always gives the same pixels, so pack shots double as reference images
for product identification.

Colours are BGR tuples of 0..255 ints (OpenCV order). Text uses OpenCV's built-in Hershey
vector fonts, so no font file is ever needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from visitproof.errors import InvalidInput

Shape = Literal["box", "bottle", "can", "pouch", "jar"]
Pattern = Literal["solid", "stripes", "diagonal", "dots", "split", "gradient", "band"]
Glyph = Literal["circle", "star", "triangle", "diamond", "ring", "letter"]

SHAPES: tuple[Shape, ...] = ("box", "bottle", "can", "pouch", "jar")
PATTERNS: tuple[Pattern, ...] = (
    "solid", "stripes", "diagonal", "dots", "split", "gradient", "band",
)
GLYPHS: tuple[Glyph, ...] = ("circle", "star", "triangle", "diamond", "ring", "letter")

# (min, max) width and height in cm per shape; real packs on a grocery shelf.
_SIZE_CM: dict[Shape, tuple[tuple[float, float], tuple[float, float]]] = {
    "box": ((8.0, 26.0), (10.0, 32.0)),
    "bottle": ((6.0, 11.0), (18.0, 34.0)),
    "can": ((5.5, 10.0), (9.0, 17.0)),
    "pouch": ((10.0, 20.0), (14.0, 28.0)),
    "jar": ((7.0, 12.0), (8.0, 16.0)),
}
_SYLLABLES = (
    "no", "ra", "ki", "lu", "ve", "ta", "mo", "zen", "pa", "li", "so", "bri", "ca", "do",
    "fe", "gro", "ha", "ja", "mi", "vo", "xa", "qui", "ru", "te",
)
_GOODS = (
    "Oats", "Cola", "Soap", "Tea", "Rice", "Chips", "Juice", "Salt", "Cocoa", "Pasta",
    "Gel", "Milk", "Beans", "Soup", "Mints", "Honey", "Wash", "Crisp", "Water", "Jam",
)
MIN_CATALOGUE_SIZE = 60

Colour = tuple[int, int, int]
Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Sku:
    """One product in the catalogue. Sizes are centimetres of the pack's front face."""

    sku: str
    name: str
    shape: Shape
    width_cm: float
    height_cm: float
    base: Colour
    accent: Colour
    ink: Colour
    pattern: Pattern
    glyph: Glyph
    pattern_period: float  # fraction of pack width between pattern repeats
    picture: bool  # a photo-like product picture on the label (food, a face, a fruit)
    art_seed: int  # seeds the picture's texture, so the same SKU always looks the same

    @property
    def stackable(self) -> bool:
        """Whether a second pack can stand on this one (flat top)."""
        return self.shape in ("box", "can", "jar")


def _colour(rng: np.random.Generator, lightness: tuple[int, int]) -> Colour:
    hue = int(rng.integers(0, 180))
    sat = int(rng.integers(90, 256))
    val = int(rng.integers(*lightness))
    hsv = np.array([[[hue, sat, val]]], dtype=np.uint8)
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return (int(b), int(g), int(r))


def build_catalogue(seed: int, count: int = 72) -> tuple[Sku, ...]:
    """Return ``count`` distinct SKUs (ids ``SKU-001``...), a pure function of ``seed``."""
    if count < MIN_CATALOGUE_SIZE:
        raise InvalidInput(f"catalogue needs at least {MIN_CATALOGUE_SIZE} SKUs, got {count}")
    rng = np.random.default_rng([seed, 0x5C])
    skus: list[Sku] = []
    names: set[str] = set()
    for index in range(count):
        shape = SHAPES[index % len(SHAPES)]
        (w_lo, w_hi), (h_lo, h_hi) = _SIZE_CM[shape]
        while True:
            brand = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4)))).upper()
            name = f"{brand} {rng.choice(_GOODS)}"
            if name not in names:
                names.add(name)
                break
        base = _colour(rng, (60, 256))
        accent = _colour(rng, (40, 256))
        # Dark ink on light packs and light ink on dark ones, as real packs are printed.
        ink: Colour = (20, 20, 20) if sum(base) > 380 else (245, 245, 245)
        skus.append(
            Sku(
                sku=f"SKU-{index + 1:03d}",
                name=name,
                shape=shape,
                width_cm=round(float(rng.uniform(w_lo, w_hi)), 1),
                height_cm=round(float(rng.uniform(h_lo, h_hi)), 1),
                base=base,
                accent=accent,
                ink=ink,
                pattern=PATTERNS[int(rng.integers(len(PATTERNS)))],
                glyph=GLYPHS[int(rng.integers(len(GLYPHS)))],
                pattern_period=float(rng.uniform(0.12, 0.4)),
                picture=bool(rng.random() < 0.5),
                art_seed=int(rng.integers(0, 2**31)),
            )
        )
    return tuple(skus)


def _silhouette(shape: Shape, w: int, h: int) -> Image:
    """Mask (h, w) uint8, 255 inside the pack outline seen from the front."""
    mask = np.zeros((h, w), np.uint8)
    if shape == "box":
        mask[:] = 255
    elif shape == "can":
        r = max(1, h // 14)
        mask[r : h - r] = 255
        cv2.ellipse(mask, (w // 2, r), (w // 2, r), 0, 0, 360, 255, -1)
        cv2.ellipse(mask, (w // 2, h - r - 1), (w // 2, r), 0, 0, 360, 255, -1)
    elif shape == "bottle":
        neck_w = max(2, w // 3)
        neck_h = int(h * 0.28)
        shoulder = int(h * 0.12)
        x0 = (w - neck_w) // 2
        mask[: neck_h + 1, x0 : x0 + neck_w] = 255
        pts = np.array(
            [[x0, neck_h], [x0 + neck_w, neck_h], [w - 1, neck_h + shoulder],
             [w - 1, h - 1], [0, h - 1], [0, neck_h + shoulder]],
            np.int32,
        )
        cv2.fillPoly(mask, [pts], 255)
    elif shape == "pouch":
        teeth = 8
        top = [(int(i * (w - 1) / teeth), (i % 2) * max(1, h // 40)) for i in range(teeth + 1)]
        body = [(w - 1, int(h * 0.08)), (w - 2, h - 1), (1, h - 1), (0, int(h * 0.08))]
        cv2.fillPoly(mask, [np.array(top + body, np.int32)], 255)
    else:  # jar: a lid a little narrower than the body
        lid_h = max(2, int(h * 0.18))
        inset = max(1, w // 12)
        mask[:lid_h, inset : w - inset] = 255
        mask[lid_h:] = 255
    return mask


def _paint_pattern(canvas: Image, sku: Sku) -> None:
    h, w = canvas.shape[:2]
    period = max(3, int(sku.pattern_period * w))
    accent = sku.accent
    if sku.pattern == "stripes":
        for y in range(0, h, period):
            canvas[y : y + max(1, period // 3)] = accent
    elif sku.pattern == "diagonal":
        for x in range(-h, w, period):
            cv2.line(canvas, (x, h), (x + h, 0), accent, max(1, period // 3))
    elif sku.pattern == "dots":
        for y in range(period // 2, h, period):
            for x in range(period // 2, w, period):
                cv2.circle(canvas, (x, y), max(1, period // 4), accent, -1)
    elif sku.pattern == "split":
        canvas[h // 2 :] = accent
    elif sku.pattern == "gradient":
        ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
        mixed = (1 - ramp) * np.array(sku.base, np.float32) + ramp * np.array(accent, np.float32)
        canvas[:] = np.broadcast_to(mixed, canvas.shape).astype(np.uint8)
    elif sku.pattern == "band":
        canvas[int(h * 0.55) : int(h * 0.8)] = accent


def _paint_glyph(canvas: Image, sku: Sku, centre: tuple[int, int], size: int) -> None:
    cx, cy = centre
    colour = sku.ink if sku.pattern in ("solid", "gradient") else sku.accent
    if sku.glyph == "circle":
        cv2.circle(canvas, centre, size, colour, -1)
    elif sku.glyph == "ring":
        cv2.circle(canvas, centre, size, colour, max(1, size // 3))
    elif sku.glyph == "letter":
        scale = max(0.2, size / 12.0)
        cv2.putText(canvas, sku.name[0], (cx - size, cy + size), cv2.FONT_HERSHEY_DUPLEX,
                    scale, colour, max(1, size // 5), cv2.LINE_AA)
    else:
        corners = {"triangle": 3, "diamond": 4, "star": 10}[sku.glyph]
        angles = np.linspace(0, 2 * np.pi, corners, endpoint=False) - np.pi / 2
        radii = np.where(np.arange(corners) % 2, 0.45, 1.0) if sku.glyph == "star" else 1.0
        pts = np.stack([cx + size * radii * np.cos(angles), cy + size * radii * np.sin(angles)],
                       axis=1)
        cv2.fillPoly(canvas, [pts.round().astype(np.int32)], colour, cv2.LINE_AA)


def _paint_name(canvas: Image, sku: Sku, y_centre: int, width: int, x0: int) -> None:
    """Print the name in the widest Hershey scale that fits ``width`` pixels."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (text_w, text_h), _ = cv2.getTextSize(sku.name, font, 1.0, 1)
    scale = min(width * 0.9 / text_w, 2.5)
    if scale * text_h < 3:
        # Too small to read: a printed line still gives the texture of text.
        cv2.line(canvas, (x0 + width // 10, y_centre), (x0 + width * 9 // 10, y_centre), sku.ink, 1)
        return
    thickness = max(1, int(scale * 1.6))
    (tw, th), _ = cv2.getTextSize(sku.name, font, scale, thickness)
    origin = (x0 + (width - tw) // 2, y_centre + th // 2)
    cv2.putText(canvas, sku.name, origin, font, scale, sku.ink, thickness, cv2.LINE_AA)


def _paint_picture(label: Image, sku: Sku) -> None:
    """A smooth random colour field in an ellipse: the texture of a printed product photo."""
    h, w = label.shape[:2]
    art = np.random.default_rng(sku.art_seed).integers(0, 256, size=(5, 5, 3)).astype(np.uint8)
    box_w, box_h = max(2, int(w * 0.7)), max(2, int(h * 0.35))
    texture = cv2.resize(art, (box_w, box_h), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((box_h, box_w), np.uint8)
    cv2.ellipse(mask, (box_w // 2, box_h // 2), (box_w // 2, box_h // 2), 0, 0, 360, 255, -1)
    x0, y0 = (w - box_w) // 2, int(h * 0.72) - box_h // 2
    y0 = max(0, min(y0, h - box_h))
    region = label[y0 : y0 + box_h, x0 : x0 + box_w]
    region[mask > 0] = texture[mask > 0]


def render_pack(sku: Sku, width_px: int, height_px: int) -> tuple[Image, Image]:
    """Paint the pack front at ``width_px`` × ``height_px``.

    Returns ``(bgr, mask)``: a (H, W, 3) uint8 BGR image and a (H, W) uint8 mask that is 255
    inside the pack outline. Deterministic for a given SKU and size.
    """
    if width_px < 2 or height_px < 2:
        raise InvalidInput(f"pack size must be at least 2x2 px, got {width_px}x{height_px}")
    w, h = width_px, height_px
    canvas = np.empty((h, w, 3), np.uint8)
    canvas[:] = sku.base
    mask = _silhouette(sku.shape, w, h)

    # The label area: where print sits on this kind of pack.
    top = {"box": 0.0, "can": 0.12, "bottle": 0.45, "pouch": 0.1, "jar": 0.25}[sku.shape]
    label = canvas[int(h * top) :]
    _paint_pattern(label, sku)
    lh = label.shape[0]
    if sku.shape == "bottle":
        canvas[: int(h * 0.1)] = sku.accent  # the cap
        canvas[int(h * 0.1) : int(h * top)] = np.array(sku.base) * 0.8
    elif sku.shape == "jar":
        canvas[: int(h * 0.18)] = (200, 200, 205) if sum(sku.accent) < 300 else sku.accent
    elif sku.shape == "can":
        canvas[: int(h * 0.1)] = (190, 190, 195)
        canvas[int(h * 0.9) :] = (170, 170, 175)

    if sku.picture and w >= 8 and lh >= 8:
        _paint_picture(label, sku)
    glyph_size = max(1, min(w, lh) // 6)
    _paint_glyph(label, sku, (w // 2, max(glyph_size, int(lh * 0.3))), glyph_size)
    _paint_name(label, sku, int(lh * 0.62), w, 0)

    # Cylinders look round because their edges fall off in light.
    if sku.shape in ("can", "bottle", "jar"):
        x = np.linspace(-1.0, 1.0, w, dtype=np.float32)
        shade = (0.62 + 0.38 * np.sqrt(np.clip(1 - x**2, 0, 1)))[None, :, None]
        canvas = (canvas * shade).astype(np.uint8)
    cv2.rectangle(canvas, (0, 0), (w - 1, h - 1), tuple(int(c * 0.6) for c in sku.base), 1)
    canvas[mask == 0] = 0
    return canvas, mask


def reference_shot(sku: Sku, long_side_px: int = 256) -> Image:
    """Studio pack shot: the pack on a light grey background, (H, W, 3) uint8 BGR."""
    scale = long_side_px * 0.86 / max(sku.width_cm, sku.height_cm)
    w = max(2, round(sku.width_cm * scale))
    h = max(2, round(sku.height_cm * scale))
    pack, mask = render_pack(sku, w, h)
    shot = np.full((long_side_px, long_side_px, 3), 235, np.uint8)
    x0, y0 = (long_side_px - w) // 2, (long_side_px - h) // 2
    region = shot[y0 : y0 + h, x0 : x0 + w]
    region[mask > 0] = pack[mask > 0]
    return shot
