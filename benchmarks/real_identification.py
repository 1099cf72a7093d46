"""Product identification on real grocery photos, measured the way a user gets it (issue 17).

    python -m benchmarks.real_identification \\
        --embedder models/product-embedder-0.1.0-int8.onnx \\
        --embedder var/pending-17/product-embedder-0.2.0.onnx

Every figure goes through the product's own path. Each reference photo is registered with
:func:`application.product_references.register_product` into a temporary store (a real
SQLite file and photo folder, one tenant per gallery below); the gallery is what
``load_gallery`` builds from that store; each query photo, as the bytes of its file, is
answered by ``identify_pack``, open-set policy included: what ``visitproof products
identify PHOTO`` runs.

Test photos: the Grocery Store Dataset's ``images/test`` (``labels.csv``), 2 photos for each
of 81 classes; 20 of them (``unseen_classes.csv``) have no training photos. They are only
measured on: no threshold or other choice is made on them.

- **Top-1**: the gallery holds one reference photo for each of the 81 classes (each class's
  first test photo; its second is the query), then the other way round; both directions
  averaged. Reported over all 81 queries, the 20 unseen classes' and the 61 seen ones'. The
  best match counts, known or not.
- **Open set**: the gallery holds the 61 seen classes only; the queries are both photos of
  each of the 20 unseen classes (40), which should come back ``known: false``. FAR: the share
  that came back known. TAR: seen-class queries that came back known *and* right. Both
  gallery directions averaged.
- **Thresholds**: each method's own, as the product applies it: an embedder's
  ``open_set_threshold`` metadata, else ``EMBEDDER_POLICY`` (0.1.0); ``GalleryPolicy()`` for
  the hand-built descriptor. The colour histogram, which the product never uses alone, gets
  the threshold of the training run's tuning split (at most 2 % of the ten held-out stand-in
  classes' photos accepted: :func:`vision.training.embedding_tuning.tuning_scores`).
- **Rendered top-1**: the rendered-shelf protocol of ``benchmarks/product_identification.py``
  (catalogue seed 0, one studio shot per SKU as the gallery's reference, standing crops of
  ``--scenes`` scenes), ranked by the same gallery.
- **Speed**: ms per crop to describe 400 rendered shelf crops in one call (resize included),
  median and min-max over ``--runs`` runs after a warm-up, ``--threads`` intra-op threads.
"""

from __future__ import annotations

import csv
import platform
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from application.product_references import (
    HAND_BUILT_DESCRIPTOR,
    PackIdentification,
    identify_pack,
    load_gallery,
    reference_images,
    register_product,
)
from benchmarks.options import command_line
from benchmarks.product_identification import (
    GROCERY,
    grocery_classes,
    grocery_pair_paths,
    rendered_set,
    timing,
)
from vision.product_embedder import INPUT_HEIGHT, INPUT_WIDTH, ProductEmbedder
from vision.product_features import colour_histograms, product_descriptors
from vision.product_gallery import GalleryPolicy, ProductGallery
from vision.training.embedding_tuning import tuning_scores
from vision.training.grocery_photos import grocery_split, load_tuning
from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe
from visitproof.records import Product, Tenant
from visitproof.store import PhotoStore, ReferenceData, open_database

Image = npt.NDArray[np.uint8]
Describe = Callable[[Sequence[Image]], npt.NDArray[np.float32]]
BuildGallery = Callable[[Sequence[Product], PhotoStore], ProductGallery]
DEFAULT_EMBEDDER = Path("models/product-embedder-0.1.0-int8.onnx")


@dataclass(frozen=True, slots=True)
class Method:
    """One way to identify: how its gallery is built from the store, and how it describes
    crops (for the rendered set and the timing)."""

    name: str
    version: str
    gallery: BuildGallery
    describe: Describe
    describe_size: tuple[int, int]
    threshold_from: str


@dataclass(frozen=True, slots=True)
class Row:
    """One method's figures on the test photos."""

    top1_all: float
    top1_unseen: float
    top1_seen: float
    threshold: float
    far: float
    tar: float
    rendered: float
    ms: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class TestPhotos:
    """The test pairs: class ids, SKU names, both photos' bytes, which classes are unseen."""

    skus: list[str]
    first: list[bytes]
    second: list[bytes]
    unseen: npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Registered:
    """The temporary store's photo folder and each gallery tenant's products, read back."""

    photos: PhotoStore
    products: dict[str, list[Product]]


def class_names(root: Path) -> dict[int, str]:
    with (root / "classes.csv").open() as f:
        return {int(row["Class ID (int)"]): row["Class Name (str)"] for row in csv.DictReader(f)}


def register_galleries(root: Path, folder: Path) -> tuple[TestPhotos, Registered]:
    """Register the test photos as references, one tenant per gallery: ``all-a`` (first
    photo of all 81 classes), ``all-b`` (second photo), ``seen-a`` and ``seen-b`` (the same
    for the 61 seen classes only)."""
    classes, first, second = grocery_pair_paths(root)
    _, unseen = grocery_classes(root)
    names = class_names(root)
    skus = [f"class-{c:02d}" for c in classes]
    database = open_database(f"sqlite:///{folder / 'visitproof.sqlite3'}", create_dir=True)
    database.migrate()
    photos = PhotoStore(folder / "photos")
    everyone = np.ones(len(classes), dtype=bool)
    plan = {"all-a": (first, everyone), "all-b": (second, everyone),
            "seen-a": (first, ~unseen), "seen-b": (second, ~unseen)}
    try:
        for tenant, (paths, kept) in plan.items():
            with database.begin() as connection:
                reference = ReferenceData(connection, tenant)
                reference.put_tenant(Tenant(id=tenant, name=tenant,
                                            created_at=datetime.now(UTC)))
                for cls, sku, path, keep in zip(classes, skus, paths, kept, strict=True):
                    if keep:
                        register_product(reference, photos, sku=sku, name=names[cls],
                                         references=[path])
        with database.connect() as connection:
            products = {t: ReferenceData(connection, t).products() for t in plan}
    finally:
        database.dispose()
    test = TestPhotos(skus, [p.read_bytes() for p in first], [p.read_bytes() for p in second],
                      unseen)
    return test, Registered(photos, products)


def answers(gallery: ProductGallery, version: str,
            queries: Sequence[bytes]) -> list[PackIdentification]:
    """What ``products identify`` answers for each query photo, one photo at a time."""
    return [identify_pack(data, gallery, version, top=1) for data in queries]


def measure(method: Method, test: TestPhotos, registered: Registered,
            rendered: tuple[list[Image], list[Image], npt.NDArray[np.int64]],
            runs: int) -> Row:
    unseen, version = test.unseen, method.version
    galleries = {tenant: method.gallery(products, registered.photos)
                 for tenant, products in registered.products.items()}
    hits = np.array([[a.matches[0].sku == sku for a, sku in zip(
        answers(galleries[tenant], version, queries), test.skus, strict=True)]
        for tenant, queries in (("all-a", test.second), ("all-b", test.first))])
    unknown = [d for d, u in zip(test.first + test.second, np.tile(unseen, 2), strict=True) if u]
    far, tar = [], []
    for tenant, queries in (("seen-a", test.second), ("seen-b", test.first)):
        far.append(np.mean([a.known for a in answers(galleries[tenant], version, unknown)]))
        seen = [(d, s) for d, s, u in zip(queries, test.skus, unseen, strict=True) if not u]
        found = answers(galleries[tenant], version, [d for d, _ in seen])
        tar.append(np.mean([a.known and a.matches[0].sku == s
                            for a, (_, s) in zip(found, seen, strict=True)]))
    threshold = galleries["seen-a"].policy.threshold
    refs, crops, labels = rendered
    shelf = ProductGallery({f"{i:03d}": [r] for i, r in enumerate(refs)},
                           describe=method.describe, describe_size=method.describe_size)
    picks = [int(r.matches[0].sku) for r in shelf.rank(crops, top=1)]
    batch = [crops[i % len(crops)] for i in range(400)]
    median, low, high = timing(method.describe, batch, runs)
    return Row(float(hits.mean()), float(hits[:, unseen].mean()), float(hits[:, ~unseen].mean()),
               threshold, float(np.mean(far)), float(np.mean(tar)),
               float(np.mean(np.array(picks) == labels)),
               (median / len(batch), low / len(batch), high / len(batch)))


def colour_baseline(root: Path) -> Method:
    """Colour histograms with the threshold the tuning split gives them (test never seen)."""
    recipe = PretrainedEmbeddingRecipe()
    split = grocery_split(root, recipe)
    tuned = tuning_scores(colour_histograms, load_tuning(root, split, 0), split.heldout,
                          recipe.tuning_rounds, recipe.far_target).threshold
    policy = GalleryPolicy(threshold=tuned, margin=0.0)

    def gallery(products: Sequence[Product], photos: PhotoStore) -> ProductGallery:
        return ProductGallery(reference_images(products, photos), policy,
                              describe=colour_histograms)

    return Method("colour histograms", "colour-histograms", gallery, colour_histograms,
                  (INPUT_HEIGHT, INPUT_WIDTH), "tuning split")


def embedder_method(path: Path, threads: int) -> Method:
    embedder = ProductEmbedder(path, threads=threads)

    def gallery(products: Sequence[Product], photos: PhotoStore) -> ProductGallery:
        return load_gallery(products, photos, embedder)

    return Method(f"{embedder.model_version} (`{path}`)", embedder.model_version, gallery,
                  embedder.embed, embedder.input_size,
                  "EMBEDDER_POLICY" if embedder.open_set_threshold is None else "model")


def main() -> None:
    parser = command_line(__doc__, grocery=GROCERY, scenes=40, threads=2, runs=7)
    parser.add_argument("--embedder", type=Path, action="append",
                        help="ONNX product embedder to measure (repeat for several; "
                             f"default {DEFAULT_EMBEDDER})")
    args = parser.parse_args()
    embedders: list[Path] = args.embedder or [DEFAULT_EMBEDDER]

    def hand_built(products: Sequence[Product], photos: PhotoStore) -> ProductGallery:
        return load_gallery(products, photos, None)

    methods = [colour_baseline(args.grocery),
               Method("hand-built descriptor", HAND_BUILT_DESCRIPTOR, hand_built,
                      product_descriptors, (INPUT_HEIGHT, INPUT_WIDTH), "GalleryPolicy()"),
               *(embedder_method(path, args.threads) for path in embedders)]
    rendered = rendered_set(0, args.scenes, trim=False)
    with tempfile.TemporaryDirectory(prefix="real-identification-") as folder:
        test, registered = register_galleries(args.grocery, Path(folder))
        print(f"grocery test: {len(test.skus)} classes ({int(test.unseen.sum())} unseen), "
              "2 photos each, registered with register_product into a temporary SQLite "
              "store and answered by identify_pack (`products identify`)")
        print(f"rendered: catalogue seed 0, {len(rendered[0])} references, "
              f"{len(rendered[1])} crops from {args.scenes} scenes")
        print(f"onnxruntime {ort.__version__}, {args.threads} threads, "
              f"{platform.processor() or platform.machine()}, "
              f"timing 400 shelf crops x {args.runs} runs")
        print()
        print("| method | top-1 all 81 | top-1 unseen 20 | top-1 seen 61 | threshold (from) | "
              "FAR (40 unseen vs 61) | TAR (seen) | rendered top-1 | "
              "ms / crop (median, min-max) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for method in methods:
            r = measure(method, test, registered, rendered, args.runs)
            median, low, high = r.ms
            print(f"| {method.name} | {r.top1_all:.3f} | {r.top1_unseen:.3f} | "
                  f"{r.top1_seen:.3f} | {r.threshold:.3f} ({method.threshold_from}) | "
                  f"{r.far:.3f} | {r.tar:.3f} | {r.rendered:.3f} | "
                  f"{median:.2f} ({low:.2f}-{high:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
