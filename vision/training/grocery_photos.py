"""The Grocery Store Dataset as the pretrained embedder trains and tunes on it.

``train.txt`` and ``val.txt`` list the photos (``images/``); ten of the 61 seen classes are
held out as stand-ins for unseen SKUs (:func:`heldout_classes`), the rest train, and
``images/test`` is never read here: the benchmarks alone measure on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe
from visitproof.errors import InvalidInput

Image = npt.NDArray[np.uint8]
GROCERY = Path("../shared/data/real/grocery_products")


@dataclass(frozen=True, slots=True)
class Photo:
    """One grocery photo: path relative to the dataset root, fine class id, carton or not."""

    path: str
    label: int
    carton: bool


def read_split(root: Path, name: str) -> list[Photo]:
    """The photos listed in ``train.txt`` or ``val.txt`` (paths under ``images/``)."""
    listing = root / f"{name}.txt"
    if not listing.is_file():
        raise InvalidInput(f"split list not found: {listing}")
    photos = []
    for line in listing.read_text().splitlines():
        if line.strip():
            path, fine, _ = (part.strip() for part in line.split(","))
            photos.append(Photo(f"images/{path}", int(fine), path.split("/")[1] == "Packages"))
    return photos


def heldout_classes(photos: Sequence[Photo], per_group: int, seed: int) -> tuple[int, ...]:
    """Fine class ids held out of training: ``per_group`` cartons and ``per_group`` fruit or
    vegetables, drawn with ``seed`` from the classes in ``photos`` (sorted)."""
    cartons = sorted({p.label for p in photos if p.carton})
    produce = sorted({p.label for p in photos if not p.carton})
    rng = np.random.default_rng(seed)
    chosen = [*rng.choice(cartons, per_group, replace=False),
              *rng.choice(produce, per_group, replace=False)]
    return tuple(sorted(int(c) for c in chosen))


@dataclass(frozen=True, slots=True)
class GrocerySplit:
    """Who trains and who tunes: training photos of the trained classes, tuning pools
    (class id -> photos: val for trained classes, or two of their training photos where
    val has fewer than two; train + val for held-out ones)."""

    train: tuple[Photo, ...]
    iconic: tuple[Photo, ...]
    tuning: dict[int, tuple[Photo, ...]]
    trained: tuple[int, ...]
    heldout: tuple[int, ...]


def grocery_split(root: Path, recipe: PretrainedEmbeddingRecipe) -> GrocerySplit:
    """The recipe's split of the Grocery Store Dataset's train and val photos."""
    train, val = read_split(root, "train"), read_split(root, "val")
    heldout = heldout_classes(train, recipe.heldout_per_group, recipe.heldout_seed)
    trained = tuple(sorted({p.label for p in train} - set(heldout)))
    pools: dict[int, list[Photo]] = {c: [] for c in (*trained, *heldout)}
    for p in val:
        pools[p.label].append(p)
    for p in train:
        if p.label in heldout:
            pools[p.label].append(p)
    # Some trained classes have no val photos: their last two training photos tune instead.
    withheld: set[Photo] = set()
    for c in trained:
        if len(pools[c]) < 2:
            own = sorted((p for p in train if p.label == c), key=lambda p: p.path)
            withheld.update(own[-2:])
            pools[c] += own[-2:]
    iconic: list[Photo] = []
    for p in train:
        if p.label in trained and all(q.label != p.label for q in iconic):
            folder = "/".join(p.path.split("/")[2:-1])
            name = folder.split("/")[-1]
            iconic.append(Photo(f"iconic/{folder}/{name}_Iconic.jpg", p.label, p.carton))
    return GrocerySplit(tuple(p for p in train if p.label in trained and p not in withheld),
                        tuple(iconic),
                        {c: tuple(v) for c, v in pools.items()}, trained, heldout)


def read_rgb(path: Path) -> Image:
    """An image file as (H, W, 3) uint8 RGB."""
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise InvalidInput(f"image could not be read: {path}")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def to_input(image: Image, size: int) -> Image:
    """The (size, size, 3) uint8 image the model sees (stretched, ``INTER_AREA``)."""
    return np.asarray(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA),
                      dtype=np.uint8)


def shrunk(image: Image, long_side: int) -> Image:
    """``image`` scaled down so its long side is at most ``long_side`` (aspect kept)."""
    h, w = image.shape[:2]
    s = long_side / max(h, w)
    if s >= 1:
        return image
    return np.asarray(cv2.resize(image, (max(2, round(w * s)), max(2, round(h * s))),
                                 interpolation=cv2.INTER_AREA), dtype=np.uint8)


def load_tuning(root: Path, split: GrocerySplit, size: int) -> dict[int, list[Image]]:
    """Tuning photos per class at full resolution (``size`` 0) or as model inputs."""
    return {c: [read_rgb(root / p.path) if size == 0 else to_input(read_rgb(root / p.path),
                                                                     size)
                for p in photos] for c, photos in split.tuning.items()}

