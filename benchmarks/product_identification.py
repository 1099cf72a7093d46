"""Product identification: colour histograms vs the hand-built descriptor vs the embedder.

    python -m benchmarks.product_identification --model models/product-embedder-0.1.0.onnx

Closed-set top-1 on two sets, all methods in the same run:

- rendered shelves of a *held-out catalogue* (``--catalogue-seed``, default 0: the embedder
  trained on seeds 101-112 and watched seed 200, so none of these SKUs was seen). Gallery: one
  trimmed studio reference per SKU (all 72); queries: ground-truth crops of standing packs
  with ``visible`` ≥ 0.9 and both sides ≥ 8 px from ``--scenes`` photos of 512-1600 px.
- the real grocery photos (``../shared/data/real/grocery_products`` from the project root,
  two photos per class): one photo is the reference, the other the query, both directions averaged.

Open set: the gallery keeps half the SKUs (split A: even positions; split B: odd). The
threshold that maximises true accepts minus false accepts is chosen on split A and then
applied to split B, whose figures are printed (a true accept is a known SKU accepted *and*
identified correctly; a false accept an unknown SKU accepted as anything).

Speed: milliseconds to describe 400 shelf crops, median and min-max over ``--runs`` runs
after one warm-up.

The photo sets (:func:`rendered_set`, :func:`grocery_pairs`, :func:`grocery_classes`) and
:func:`timing` are shared with ``benchmarks/real_identification.py``, which measures the
real photos through ``products identify``'s own path.
"""

from __future__ import annotations

import csv
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from benchmarks.options import command_line
from vision.product_embedder import ProductEmbedder, trim_reference
from vision.product_features import colour_histograms, product_descriptors
from vision.synth.catalogue import build_catalogue, reference_shot
from vision.synth.dataset import DatasetSpec, render_one
from visitproof.errors import InvalidInput

Image = npt.NDArray[np.uint8]
Describe = Callable[[Sequence[Image]], npt.NDArray[np.float32]]
# Relative to the project root, like every path to ../shared.
GROCERY = Path(__file__).resolve().parents[1].parent / "shared/data/real/grocery_products"
SCENE_SEED = 4242


def _rgb(bgr: cv2.typing.MatLike | None) -> Image:
    """OpenCV's BGR uint8 image as RGB."""
    if bgr is None:
        raise InvalidInput("image could not be read")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def rendered_set(catalogue_seed: int, scenes: int, trim: bool = True,
                 ) -> tuple[list[Image], list[Image], npt.NDArray[np.int64]]:
    """References (one studio shot per SKU, trimmed to the pack with ``trim``; a gallery
    trims them itself), query crops and their SKU positions."""
    catalogue = build_catalogue(catalogue_seed)
    position = {s.sku: i for i, s in enumerate(catalogue)}
    shots = [_rgb(reference_shot(s)) for s in catalogue]
    refs = [trim_reference(shot) for shot in shots] if trim else shots
    spec = DatasetSpec(count=scenes, seed=SCENE_SEED, size=(512, 1600, 0),
                       catalogue_seed=catalogue_seed)
    crops: list[Image] = []
    labels: list[int] = []
    for i in range(scenes):
        jpeg, _, meta = render_one(spec, catalogue, i)
        image = _rgb(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
        for p in meta["products"]:
            if p["visible"] < 0.9 or p["pose"] != "standing":
                continue
            x0, y0, x1, y1 = (round(v) for v in p["box"])
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            crops.append(image[y0:y1, x0:x1])
            labels.append(position[p["sku"]])
    return refs, crops, np.asarray(labels, dtype=np.int64)


def grocery_pair_paths(root: Path) -> tuple[list[int], list[Path], list[Path]]:
    """Fine class ids of the test photos (``labels.csv``) with two photos, in class order,
    and the paths of each one's first and second photo (sorted by name)."""
    by_class: dict[int, list[str]] = defaultdict(list)
    with (root / "labels.csv").open() as f:
        for row in csv.DictReader(f):
            by_class[int(row["fine_class_id"])].append(row["path"])
    classes = [c for c in sorted(by_class) if len(by_class[c]) >= 2]
    first = [root / sorted(by_class[c])[0] for c in classes]
    second = [root / sorted(by_class[c])[1] for c in classes]
    return classes, first, second


def grocery_pairs(root: Path) -> tuple[list[Image], list[Image]]:
    """First and second photo (RGB) of every class with two photos, in class order."""
    _, first, second = grocery_pair_paths(root)
    return ([_rgb(cv2.imread(str(p))) for p in first],
            [_rgb(cv2.imread(str(p))) for p in second])


def grocery_classes(root: Path) -> tuple[list[int], npt.NDArray[np.bool_]]:
    """The classes of :func:`grocery_pair_paths` and which have no training photos
    (``unseen_classes.csv``)."""
    classes, _, _ = grocery_pair_paths(root)
    with (root / "unseen_classes.csv").open() as f:
        unseen = {int(row["fine_class_id"]) for row in csv.DictReader(f)}
    return classes, np.isin(classes, list(unseen))


def top1(describe: Describe, refs: Sequence[Image], crops: Sequence[Image],
         labels: npt.NDArray[np.int64]) -> float:
    sim = describe(crops) @ describe(refs).T
    return float((sim.argmax(axis=1) == labels).mean())


def _open_set_scores(sim: npt.NDArray[np.float32], labels: npt.NDArray[np.int64],
                     kept: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float32],
                                                           npt.NDArray[np.bool_],
                                                           npt.NDArray[np.bool_]]:
    """Best similarity per query, whether its SKU is in the gallery, whether top-1 is right."""
    sub = sim[:, kept]
    best = sub.max(axis=1)
    known = np.isin(labels, kept)
    correct = kept[sub.argmax(axis=1)] == labels
    return best, known, correct


def _rates(best: npt.NDArray[np.float32], known: npt.NDArray[np.bool_],
           correct: npt.NDArray[np.bool_], threshold: float) -> tuple[float, float]:
    accepted = best >= threshold
    tar = float((accepted & correct)[known].mean())
    far = float(accepted[~known].mean())
    return tar, far


def open_set(describe: Describe, refs: Sequence[Image], crops: Sequence[Image],
             labels: npt.NDArray[np.int64]) -> tuple[float, float, float]:
    """(threshold chosen on split A, true-accept rate and false-accept rate on split B)."""
    sim = describe(crops) @ describe(refs).T
    skus = np.arange(len(refs))
    split_a, split_b = skus[0::2], skus[1::2]
    best, known, correct = _open_set_scores(sim, labels, split_a)
    candidates = np.unique(np.round(best, 3))
    gains = [np.subtract(*_rates(best, known, correct, float(t))) for t in candidates]
    threshold = float(candidates[int(np.argmax(gains))])
    tar, far = _rates(*_open_set_scores(sim, labels, split_b), threshold)
    return threshold, tar, far


def timing(describe: Describe, crops: Sequence[Image], runs: int) -> tuple[float, float, float]:
    """(median, min, max) milliseconds to describe ``crops``."""
    describe(crops)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        describe(crops)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples), max(samples)


def main() -> None:
    args = command_line(__doc__, model=Path("models/product-embedder-0.1.0.onnx"),
                        catalogue_seed=0, scenes=40, grocery=GROCERY, threads=2,
                        runs=7).parse_args()

    embedder = ProductEmbedder(args.model, threads=args.threads)
    methods: list[tuple[str, Describe]] = [
        ("colour histograms", colour_histograms),
        ("hand-built descriptor", product_descriptors),
        (f"embedder {embedder.model_version}", embedder.embed),
    ]
    refs, crops, labels = rendered_set(args.catalogue_seed, args.scenes)
    first, second = grocery_pairs(args.grocery)
    classes = np.arange(len(first))
    batch = [crops[i % len(crops)] for i in range(400)]
    heights = np.array([c.shape[0] for c in crops])

    print(f"rendered: catalogue seed {args.catalogue_seed}, {len(refs)} SKUs in the gallery, "
          f"{len(crops)} query crops of {len(np.unique(labels))} SKUs from {args.scenes} "
          f"scenes (crop height px quartiles {np.percentile(heights, [25, 50, 75]).tolist()})")
    print(f"grocery: {len(first)} classes, 2 photos each")
    print(f"onnxruntime {ort.__version__}, {args.threads} threads, "
          f"{platform.processor() or platform.machine()}, timing over {args.runs} runs")
    print()
    print(f"| {'method':<32} | rendered top-1 | grocery top-1 | open-set threshold | "
          f"TAR | FAR | ms / 400 crops (median, min-max) |")
    print(f"|{'-' * 34}|---------------:|--------------:|-------------------:|----:|----:|"
          f"---------------------------------:|")
    for name, describe in methods:
        rendered = top1(describe, refs, crops, labels)
        grocery = 0.5 * (top1(describe, first, second, classes)
                         + top1(describe, second, first, classes))
        threshold, tar, far = open_set(describe, refs, crops, labels)
        median, low, high = timing(describe, batch, args.runs)
        print(f"| {name:<32} | {rendered:14.3f} | {grocery:13.3f} | {threshold:18.3f} | "
              f"{tar:.3f} | {far:.3f} | {median:8.1f} ({low:.1f}-{high:.1f}) |")


if __name__ == "__main__":
    main()
