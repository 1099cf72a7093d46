"""A seeded folder of rendered shelf photos in the layout ultralytics trains on.

    DIR/data.yaml                 ultralytics dataset file (train/val splits, class names)
    DIR/catalogue.json            the SKUs the photos were drawn from
    DIR/references/<SKU>.png      one studio pack shot per SKU
    DIR/images/{train,val}/NNNNNN.jpg
    DIR/labels/{train,val}/NNNNNN.txt   YOLO labels (see ``vision.synth.labels``)
    DIR/meta/{train,val}/NNNNNN.json    sidecar: SKUs, rows, fixture geometry

Photo ``i`` depends only on ``(seed, i)`` and the catalogue seed, so a dataset is the same
bytes on every run and any single photo can be re-rendered on its own. A held-out split is a
dataset with another ``seed`` and the same ``catalogue_seed``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vision.synth import GENERATOR_VERSION
from vision.synth.camera import encode_jpeg
from vision.synth.catalogue import Sku, build_catalogue, reference_shot
from vision.synth.labels import CLASS_NAMES, sidecar, yolo_text
from vision.synth.scene import MAX_PRODUCTS, render_scene
from visitproof.errors import InvalidInput

Size = tuple[int, int] | tuple[int, int, int]
MAX_SIDE_PX = 4000


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """What to render. ``size`` as in ``render_scene``; ``val_fraction`` of photos go to val."""

    count: int
    seed: int
    size: Size = (640, 640, 0)
    catalogue_seed: int = 0
    catalogue_size: int = 72
    val_fraction: float = 0.1
    max_products: int = MAX_PRODUCTS

    def __post_init__(self) -> None:
        if self.count < 1:
            raise InvalidInput(f"count must be at least 1, got {self.count}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise InvalidInput(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        sides = self.size[:2]
        if min(sides) < 64 or max(sides) > MAX_SIDE_PX:
            raise InvalidInput(f"image sides must be within 64..{MAX_SIDE_PX} px, got {sides}")


def parse_size(text: str) -> Size:
    """``"640x480"`` (W×H), ``"640"`` (long side, random orientation) or ``"640-1280"``."""
    if m := re.fullmatch(r"(\d+)x(\d+)", text.strip()):
        return (int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d+)(?:-(\d+))?", text.strip()):
        lo = int(m[1])
        hi = int(m[2]) if m[2] else lo
        if hi < lo:
            raise InvalidInput(f"size range must be low-high, got {text!r}")
        return (lo, hi, 0)
    raise InvalidInput(f"size must look like 640x480, 640 or 640-4000, got {text!r}")


def _split(spec: DatasetSpec, index: int) -> str:
    n_val = round(spec.count * spec.val_fraction)
    return "val" if index >= spec.count - n_val else "train"


def generator_info(spec: DatasetSpec) -> dict[str, Any]:
    """The provenance stamped into every sidecar and into ``catalogue.json``."""
    return {"version": GENERATOR_VERSION, "seed": spec.seed, "catalogue_seed": spec.catalogue_seed,
            "size": list(spec.size)}


def write_catalogue(out: Path, catalogue: tuple[Sku, ...], spec: DatasetSpec) -> None:
    """``catalogue.json`` and one reference pack shot per SKU under ``out/references``."""
    refs = out / "references"
    refs.mkdir(parents=True, exist_ok=True)
    for sku in catalogue:
        ok, png = cv2.imencode(".png", reference_shot(sku))
        if ok:
            (refs / f"{sku.sku}.png").write_bytes(png.tobytes())
    payload = {"generator": generator_info(spec), "skus": [asdict(s) for s in catalogue]}
    (out / "catalogue.json").write_text(json.dumps(payload, indent=1) + "\n")


def write_data_yaml(out: Path) -> None:
    """ultralytics dataset file; paths are relative to the file's folder."""
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    (out / "data.yaml").write_text(
        f"# Rendered by vision.synth {GENERATOR_VERSION}\n"
        f"train: images/train\nval: images/val\nnames:\n{names}\n"
    )


def render_one(spec: DatasetSpec, catalogue: tuple[Sku, ...], index: int) -> tuple[
    bytes, str, dict[str, Any]
]:
    """Photo ``index`` of the dataset: JPEG bytes, YOLO label text, sidecar object."""
    rng = np.random.default_rng([spec.seed, index])
    scene = render_scene(rng, catalogue, spec.size, spec.max_products)
    name = f"{index:06d}.jpg"
    meta = sidecar(scene.truth, name, generator_info(spec))
    return encode_jpeg(rng, scene.image), yolo_text(scene.truth), meta


def write_dataset(spec: DatasetSpec, out: Path) -> Path:
    """Render the whole dataset into ``out``; returns the path of ``data.yaml``."""
    catalogue = build_catalogue(spec.catalogue_seed, spec.catalogue_size)
    out.mkdir(parents=True, exist_ok=True)
    write_catalogue(out, catalogue, spec)
    for split in ("train", "val"):
        for kind in ("images", "labels", "meta"):
            (out / kind / split).mkdir(parents=True, exist_ok=True)
    for index in range(spec.count):
        split = _split(spec, index)
        jpeg, labels, meta = render_one(spec, catalogue, index)
        stem = f"{index:06d}"
        (out / "images" / split / f"{stem}.jpg").write_bytes(jpeg)
        (out / "labels" / split / f"{stem}.txt").write_text(labels)
        (out / "meta" / split / f"{stem}.json").write_text(json.dumps(meta) + "\n")
    write_data_yaml(out)
    return out / "data.yaml"
