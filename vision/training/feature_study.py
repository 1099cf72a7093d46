"""Frozen-feature study: how well the untouched ImageNet EfficientNet-Lite0 identifies
grocery photos, pooled, whitened and fused in a few ways, on the training run's stand-in
split only (issue 17). Prints one table row per variant.

The split is :func:`vision.training.grocery_photos.grocery_split`'s: ten of the 61 seen
classes held out as stand-ins for unseen SKUs, tuning pools from ``images/val`` (and the
held-out classes' training photos); ``images/test`` is never read. Each variant is scored
by :func:`vision.training.embedding_tuning.tuning_scores` exactly as a training run's epoch
is (one reference per class, another photo as the query, seeded rounds; the open-set
threshold at ``far_target`` of the stand-in photos accepted), plus the rendered top-1 of
:func:`~vision.training.embedding_tuning.rendered_top1` (an unseen rendered catalogue).
Photos are trimmed with :func:`vision.product_embedder.trim_reference` and stretched to
the model input, as the product path does.

Features per input size: average and GeM pooling of the head convolution (1280) and of
the last block (320); views: the photo, its mirror image, a centre crop. Whitening is fitted
on the *trained* classes' training photos only: PCA whitening, and a supervised
(within-class) whitening as Radenović et al. learn it. Features are cached in ``--cache``.

    python -m vision.training.feature_study --cache var/feature-study
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision.product_embedder import ProductEmbedder, trim_reference
from vision.product_features import colour_histograms
from vision.training.embedding_tuning import (
    rendered_top1,
    rendered_validation,
    tuning_scores,
)
from vision.training.grocery_photos import GROCERY, grocery_split, read_rgb
from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]
VIEWS = ("full", "flip", "centre")
CENTRE = 0.8  # side of the centre-crop view, as a share of the photo's
GEM_P = 3.0
SPECIALIST = Path("models/product-embedder-0.1.0.onnx")  # rendered packs (fp32 build)
# Pooled outputs per view: head convolution and last block, average and GeM.
PARTS = ("head_avg", "head_gem", "last_avg", "last_gem")


def unit(x: npt.NDArray[np.floating]) -> FloatArray:
    """Rows scaled to unit length."""
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12),
                      dtype=np.float32)


def view(image: Image, size: int, kind: str) -> Image:
    """The (size, size, 3) input of one view of a (trimmed) photo."""
    if kind == "centre":
        h, w = image.shape[:2]
        ch, cw = max(2, round(h * CENTRE)), max(2, round(w * CENTRE))
        y, x = (h - ch) // 2, (w - cw) // 2
        image = image[y : y + ch, x : x + cw]
    out = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    if kind == "flip":
        out = out[:, ::-1]
    return np.ascontiguousarray(out, dtype=np.uint8)


def backbone_features(images: Sequence[Image], size: int, threads: int = 2,
                      batch: int = 32, views: Sequence[str] = VIEWS) -> dict[str, FloatArray]:
    """``{view/part: (N, C)}`` raw pooled features of every view of ``images``, run by
    ONNX Runtime (torch's eval of this trunk is several times slower on this CPU)."""
    import io
    import warnings

    import onnxruntime as ort
    import torch

    from vision.training.pretrained_model import PIXEL_MEAN, PIXEL_STD, build_model

    torch.set_num_threads(threads)
    net = build_model(PretrainedEmbeddingRecipe(input_size=size)).eval().backbone

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            x = self.net._swish(self.net._bn0(self.net._conv_stem((x - PIXEL_MEAN)
                                                                   / PIXEL_STD)))
            for block in self.net._blocks:
                x = block(x)
            head = self.net._swish(self.net._bn1(self.net._conv_head(x)))
            out = []
            for f in (head, x):
                out.append(f.mean(dim=(2, 3)))
                out.append(f.clamp(min=1e-6).pow(GEM_P).mean(dim=(2, 3)).pow(1 / GEM_P))
            return tuple(out)

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dummy = (torch.zeros(2, 3, size, size),)
        torch.onnx.export(Pooled().eval(), dummy, buffer,  # type: ignore[arg-type]
                          input_names=["crops"], output_names=list(PARTS),
                          opset_version=17, dynamic_axes={"crops": {0: "batch"}},
                          dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(buffer.getvalue(), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    result: dict[str, list[FloatArray]] = {}
    for kind in views:
        for start in range(0, len(images), batch):
            pixels = np.stack([view(i, size, kind) for i in images[start : start + batch]])
            x = pixels.transpose(0, 3, 1, 2).astype(np.float32) * np.float32(1 / 255)
            for part, value in zip(PARTS, session.run(None, {"crops": x}), strict=True):
                result.setdefault(f"{kind}/{part}", []).append(np.asarray(value))
    return {k: np.concatenate(v).astype(np.float32) for k, v in result.items()}


@dataclass(frozen=True, slots=True)
class StudyData:
    """The images the study describes: stand-in tuning pools, the trained classes'
    training photos (whitening only) and an unseen rendered catalogue."""

    pools: dict[int, list[Image]]
    heldout: tuple[int, ...]
    fit: list[Image]
    fit_labels: npt.NDArray[np.int64]
    crops: list[Image]
    refs: list[Image]
    rendered_labels: npt.NDArray[np.int64]

    def everything(self) -> list[Image]:
        return [*(i for c in sorted(self.pools) for i in self.pools[c]), *self.fit,
                *self.crops, *self.refs]


def study_data(root: Path, recipe: PretrainedEmbeddingRecipe, fit_per_class: int,
               seed: int = 0) -> StudyData:
    split = grocery_split(root, recipe)
    pools = {c: [trim_reference(read_rgb(root / p.path)) for p in photos]
             for c, photos in split.tuning.items()}
    rng = np.random.default_rng(seed)
    chosen = []
    for c in split.trained:
        own = [p for p in split.train if p.label == c]
        picks = rng.permutation(len(own))[:fit_per_class]
        chosen += [own[int(i)] for i in sorted(picks)]
    fit = [trim_reference(read_rgb(root / p.path)) for p in chosen]
    crops, refs, labels = rendered_validation(recipe)
    return StudyData(pools, split.heldout, fit, np.asarray([p.label for p in chosen]),
                     list(crops), list(refs), labels)


def cached_features(data: StudyData, size: int, cache: Path,
                    views: Sequence[str]) -> dict[str, FloatArray]:
    path = cache / f"lite0-{size}-{'-'.join(views)}-fit{len(data.fit)}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {k: stored[k] for k in stored.files}
    started = time.perf_counter()
    features = backbone_features(data.everything(), size, views=views)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **features)  # type: ignore[arg-type]
    print(f"# features at {size}: {time.perf_counter() - started:.0f} s", flush=True)
    return features


@dataclass(frozen=True, slots=True)
class Whitening:
    """``unit((unit(x) - mean) @ projection)``."""

    mean: FloatArray
    projection: FloatArray

    def __call__(self, x: FloatArray) -> FloatArray:
        return unit((unit(x) - self.mean) @ self.projection)


def pca_whitening(x: FloatArray, dims: int, eps: float = 1e-3) -> Whitening:
    """PCA whitening of unit rows ``x`` to ``dims`` components (eigenvalue floor ``eps``
    times the largest)."""
    u = unit(x)
    mean = u.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov((u - mean).T))
    order = np.argsort(values)[::-1][:dims]
    values = np.maximum(values[order], eps * values[order[0]])
    return Whitening(mean.astype(np.float32),
                     (vectors[:, order] / np.sqrt(values)).astype(np.float32))


def supervised_whitening(x: FloatArray, labels: npt.NDArray[np.int64], dims: int,
                         shrink: float = 0.1) -> Whitening:
    """Learned whitening: whiten by the within-class covariance (shrunk towards its mean
    eigenvalue by ``shrink``), then rotate onto the ``dims`` main axes of the class means."""
    u = unit(x)
    mean = u.mean(axis=0)
    classes = np.unique(labels)
    means = np.stack([u[labels == c].mean(axis=0) for c in classes])
    within = u - means[np.searchsorted(classes, labels)]
    cw = within.T @ within / len(u)
    cw = (1 - shrink) * cw + shrink * np.trace(cw) / cw.shape[0] * np.eye(cw.shape[0])
    values, vectors = np.linalg.eigh(cw)
    whiten = vectors / np.sqrt(values)
    between = (means - mean) @ whiten
    _, _, vt = np.linalg.svd(between, full_matrices=False)
    projection = whiten @ vt[:dims].T
    return Whitening(mean.astype(np.float32), projection.astype(np.float32))


def within_whitening(x: FloatArray, labels: npt.NDArray[np.int64], dims: int,
                     shrink: float = 0.3) -> Whitening:
    """PCA to ``dims`` components, then whitening by the within-class covariance there
    (shrunk towards its mean eigenvalue by ``shrink``): every direction kept, so classes
    not fitted on keep the axes that tell them apart (no projection onto the fitted
    classes' means, as :func:`supervised_whitening` makes)."""
    u = unit(x)
    mean = u.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov((u - mean).T))
    basis = vectors[:, np.argsort(values)[::-1][:dims]]
    z = (u - mean) @ basis
    classes = np.unique(labels)
    means = np.stack([z[labels == c].mean(axis=0) for c in classes])
    within = z - means[np.searchsorted(classes, labels)]
    cw = within.T @ within / len(z)
    cw = (1 - shrink) * cw + shrink * np.trace(cw) / dims * np.eye(dims)
    w_values, w_vectors = np.linalg.eigh(cw)
    projection = basis @ (w_vectors / np.sqrt(w_values))
    return Whitening(mean.astype(np.float32), projection.astype(np.float32))


def whitening_of(name: str, fit: FloatArray, labels: npt.NDArray[np.int64]) -> Whitening:
    """``pca-D``, ``lw-D`` or ``wc-D[-shrink]`` fitted on ``fit``."""
    kind, dims, *rest = name.split("-")
    if kind == "pca":
        return pca_whitening(fit, int(dims))
    if kind == "lw":
        return supervised_whitening(fit, labels, int(dims))
    if kind == "wc":
        return within_whitening(fit, labels, int(dims), float(rest[0]) if rest else 0.3)
    raise ValueError(f"unknown whitening {name!r}")


@dataclass(frozen=True, slots=True)
class Variant:
    """One way to describe a photo: input size, pooled parts, views averaged, whitening
    (``none``, ``pca-D``, ``lw-D``) and the colour histogram's weight in the cosine."""

    size: int
    parts: tuple[str, ...]
    views: tuple[str, ...]
    whitening: str = "none"
    colour: float = 0.0
    specialist: float = 0.0


    @property
    def name(self) -> str:
        return (f"{self.size} {'+'.join(self.parts)} [{','.join(self.views)}] "
                f"{self.whitening}{f' colour {self.colour:g}' if self.colour else ''}"
                f"{f' 0.1.0 {self.specialist:g}' if self.specialist else ''}")


def describe(features: dict[str, FloatArray], variant: Variant) -> FloatArray:
    """The variant's raw (un-whitened) vectors: each part's views averaged (after unit
    length), parts unit-normalised and concatenated."""
    parts = []
    for part in variant.parts:
        views = np.asarray(np.mean([unit(features[f"{v}/{part}"]) for v in variant.views],
                                   axis=0), dtype=np.float32)
        parts.append(unit(views))
    return np.concatenate(parts, axis=1)


def score(variant: Variant, features: dict[str, FloatArray], data: StudyData,
          colour: FloatArray, specialist: FloatArray,
          recipe: PretrainedEmbeddingRecipe) -> dict[str, float]:
    """The variant's stand-in and rendered figures. ``colour`` and ``specialist`` (the
    rendered-pack embedder 0.1.0) are fused by weight: cosine = (1 - w) deep + w other."""
    raw = describe(features, variant)
    n_pool = sum(len(v) for v in data.pools.values())
    n_fit = len(data.fit)
    fit = raw[n_pool : n_pool + n_fit]
    transform: Callable[[FloatArray], FloatArray] = unit
    if variant.whitening != "none":
        transform = whitening_of(variant.whitening, fit, data.fit_labels)
    vectors = transform(raw)
    if variant.colour:
        w = variant.colour
        vectors = np.concatenate([np.sqrt(1 - w) * vectors, np.sqrt(w) * colour], axis=1)
    if variant.specialist:
        w = variant.specialist
        vectors = np.concatenate([np.sqrt(1 - w) * vectors, np.sqrt(w) * specialist], axis=1)
    lookup: dict[int, FloatArray] = {}
    images = data.everything()
    for image, vector in zip(images, vectors, strict=True):
        lookup[id(image)] = vector

    def embed(batch: Sequence[Image]) -> FloatArray:
        return np.stack([lookup[id(i)] for i in batch]).astype(np.float32)

    s = tuning_scores(embed, data.pools, data.heldout, recipe.tuning_rounds,
                      recipe.far_target)
    return {"all": s.top1_all, "unseen": s.top1_heldout, "trained": s.top1_trained,
            "threshold": s.threshold, "far": s.far, "tar": s.tar,
            "rendered": rendered_top1(embed, data.crops, data.refs, data.rendered_labels)}


def fusion_variants(sizes: Sequence[int], views: Sequence[str]) -> list[Variant]:
    """The second grid: within-class whitening, then colour and 0.1.0 fused in."""
    grid: list[Variant] = []
    fl = ("full", "flip")
    for size in sizes:
        for parts in (("head_avg",), ("head_avg", "last_gem"), ("head_gem", "last_gem")):
            grid.append(Variant(size, parts, fl))
            for white in ("lw-128", "wc-256-0.3", "wc-512-0.3", "wc-512-0.6"):
                grid.append(Variant(size, parts, fl, white))
        both = ("head_avg", "last_gem")
        for white, c in itertools.product(("none", "wc-256-0.3", "wc-512-0.3"), (0.35, 0.5)):
            grid.append(Variant(size, both, fl, white, c))
        for white, c, r in itertools.product(("wc-256-0.3", "wc-512-0.3"), (0.35,),
                                             (0.3, 0.45, 0.6)):
            grid.append(Variant(size, both, fl, white, c, r))
    return [v for v in grid if set(v.views) <= set(views)]


def final_variants(sizes: Sequence[int], views: Sequence[str]) -> list[Variant]:
    """The third grid: more whitened dimensions, and the smallest 0.1.0 weight that keeps
    rendered packs."""
    grid: list[Variant] = []
    both, fl = ("head_avg", "last_gem"), ("full", "flip")
    for size in sizes:
        for white in ("wc-768-0.3", "wc-1024-0.3"):
            grid.append(Variant(size, both, fl, white, 0.35))
        for white, r in itertools.product(("wc-512-0.3", "wc-768-0.3"), (0.1, 0.15, 0.2, 0.25)):
            grid.append(Variant(size, both, fl, white, 0.35, r))
    return [v for v in grid if set(v.views) <= set(views)]


def variants(sizes: Sequence[int], views: Sequence[str]) -> list[Variant]:
    """The grid: pooling and views at every size, then whitening and colour on the
    promising pooling (variants needing a view not computed are left out)."""
    grid: list[Variant] = []
    for size in sizes:
        grid += [Variant(size, ("head_avg",), ("full",)),
                 Variant(size, ("head_gem",), ("full",)),
                 Variant(size, ("last_gem",), ("full",)),
                 Variant(size, ("head_gem", "last_gem"), ("full",)),
                 Variant(size, ("head_gem",), ("full", "flip")),
                 Variant(size, ("head_gem",), VIEWS),
                 Variant(size, ("head_gem", "last_gem"), VIEWS)]
        for parts, white in itertools.product(
                (("head_gem",), ("head_gem", "last_gem")),
                ("pca-128", "pca-256", "lw-64", "lw-128", "lw-256")):
            grid.append(Variant(size, parts, ("full", "flip"), white))
        for w in (0.2, 0.35):
            grid.append(Variant(size, ("head_gem",), ("full", "flip"), "none", w))
            grid.append(Variant(size, ("head_gem", "last_gem"), ("full", "flip"), "lw-128", w))
        for w in (0.2, 0.3, 0.4, 0.5):
            grid.append(Variant(size, ("head_gem", "last_gem"), ("full", "flip"), "lw-128",
                                0.0, w))
    return [v for v in grid if set(v.views) <= set(views)]


GRIDS = {"pooling": variants, "fusion": fusion_variants, "final": final_variants}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("var/feature-study"))
    parser.add_argument("--grocery", type=Path, default=GROCERY)
    parser.add_argument("--sizes", type=int, nargs="+", default=[160, 224, 256])
    parser.add_argument("--specialist", type=Path, default=SPECIALIST,
                        help="the rendered-pack embedder fused in some variants")
    parser.add_argument("--views", nargs="+", default=["full", "flip"], choices=VIEWS)
    parser.add_argument("--grid", choices=tuple(GRIDS), default="pooling")
    parser.add_argument("--fit-per-class", type=int, default=8,
                        help="training photos per trained class the whitening is fitted on")
    args = parser.parse_args(argv)
    recipe = PretrainedEmbeddingRecipe()
    data = study_data(args.grocery, recipe, args.fit_per_class)
    colour = colour_histograms(data.everything())
    specialist = ProductEmbedder(args.specialist).embed(data.everything())
    print(f"# stand-in split: {len(data.pools)} classes ({len(data.heldout)} held out), "
          f"{sum(len(v) for v in data.pools.values())} tuning photos; whitening fitted on "
          f"{len(data.fit)} training photos of trained classes; rendered: {len(data.crops)} "
          f"crops, {len(data.refs)} refs", flush=True)
    print("| variant | top-1 all | top-1 stand-in unseen | top-1 trained | threshold | "
          "FAR | TAR | rendered top-1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for size in args.sizes:
        features = cached_features(data, size, args.cache, args.views)
        for variant in GRIDS[args.grid]([size], args.views):
            r = score(variant, features, data, colour, specialist, recipe)
            print(f"| {variant.name} | {r['all']:.3f} | {r['unseen']:.3f} | "
                  f"{r['trained']:.3f} | {r['threshold']:.3f} | {r['far']:.3f} | "
                  f"{r['tar']:.3f} | {r['rendered']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
