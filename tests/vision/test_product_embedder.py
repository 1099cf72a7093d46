"""The committed product embedding model, run by ONNX Runtime, and (optionally) its training.

The model never saw catalogue seed 0 (it trained on seeds 101-112), so identifying packs of
that catalogue on freshly rendered shelves is an open-set check: new SKUs, references only.
What the embedder reads from a model file (input size, open-set threshold) is checked on
tiny graphs built here with ``onnx.helper`` (:func:`tiny_embedder`).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from tests.vision.photos import rgb
from vision.product_embedder import (
    EMBEDDING_SIZE,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    ProductEmbedder,
    preprocess,
    trim_reference,
)
from vision.synth.catalogue import build_catalogue, reference_shot
from vision.synth.dataset import DatasetSpec, render_one
from visitproof.errors import InvalidInput

MODEL = Path(__file__).resolve().parents[2] / "models" / "product-embedder-0.1.0.onnx"
INT8_MODEL = MODEL.with_name("product-embedder-0.1.0-int8.onnx")
Image = npt.NDArray[np.uint8]


@pytest.fixture(scope="module")
def embedder() -> ProductEmbedder:
    return ProductEmbedder(MODEL, threads=1)


def make_crops(sizes: list[tuple[int, int]], seed: int = 0) -> list[Image]:
    """Random RGB crops of the given (height, width) sizes."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in sizes]


def tiny_embedder(path: Path, height: int | str = 160, width: int | str = 160,
                  metadata: dict[str, str] | None = None) -> Path:
    """Write an ONNX embedder with an (N, 3, height, width) input (a str: a dynamic axis)
    whose embedding is the crop's mean colour, (N, 3): distinct colours, distinct vectors.
    Skips the test where the ``onnx`` package is absent (it is in the dev and train extras)."""
    onnx = pytest.importorskip("onnx")
    helper, tensor = onnx.helper, onnx.TensorProto
    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["crops"], ["pooled"]),
         helper.make_node("Flatten", ["pooled"], ["embeddings"], axis=1)], "tiny-embedder",
        [helper.make_tensor_value_info("crops", tensor.FLOAT, ["batch", 3, height, width])],
        [helper.make_tensor_value_info("embeddings", tensor.FLOAT, ["batch", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what every ONNX Runtime of the last years reads
    helper.set_model_props(model, metadata or {})
    onnx.save(model, str(path))
    return path


def heldout_shelf(scenes: int = 2) -> tuple[list[Image], list[Image], npt.NDArray[np.int64]]:
    """Trimmed references of catalogue seed 0, standing visible crops and their SKU indices."""
    catalogue = build_catalogue(0)
    position = {s.sku: i for i, s in enumerate(catalogue)}
    refs = [trim_reference(rgb(reference_shot(s)))
            for s in catalogue]
    spec = DatasetSpec(count=scenes, seed=31, size=(900, 900), catalogue_seed=0)
    crops: list[Image] = []
    labels: list[int] = []
    for i in range(scenes):
        jpeg, _, meta = render_one(spec, catalogue, i)
        image = rgb(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
        for p in meta["products"]:
            x0, y0, x1, y1 = (round(v) for v in p["box"])
            if p["visible"] >= 0.9 and p["pose"] == "standing" and min(x1 - x0, y1 - y0) >= 8:
                crops.append(image[y0:y1, x0:x1])
                labels.append(position[p["sku"]])
    return refs, crops, np.asarray(labels, dtype=np.int64)


def test_committed_model_is_small_and_versioned(embedder: ProductEmbedder) -> None:
    assert MODEL.stat().st_size < 5 * 2**20
    assert embedder.model_version == "product-embedder-0.1.0"
    assert embedder.input_size == (INPUT_HEIGHT, INPUT_WIDTH) == (64, 32)
    assert embedder.embedding_size == EMBEDDING_SIZE
    assert embedder.open_set_threshold is None  # its policy is EMBEDDER_POLICY


@pytest.mark.parametrize(
    ("height", "width", "metadata", "size", "threshold", "error"),
    [
        (160, 160, {"open_set_threshold": "0.878"}, (160, 160), 0.878, None),
        (96, 48, {}, (96, 48), None, None),
        ("h", "w", {}, (INPUT_HEIGHT, INPUT_WIDTH), None, None),  # dynamic: 0.1.0's size
        (160, 160, {"open_set_threshold": "high"}, None, None, InvalidInput),
        (160, 160, {"open_set_threshold": "1.5"}, None, None, InvalidInput),
    ],
)
def test_reads_its_input_size_and_threshold_from_the_model(
        tmp_path: Path, height: int | str, width: int | str, metadata: dict[str, str],
        size: tuple[int, int] | None, threshold: float | None,
        error: type[Exception] | None) -> None:
    path = tiny_embedder(tmp_path / "tiny.onnx", height, width, metadata)
    if error is not None:
        with pytest.raises(error, match="open_set_threshold"):
            ProductEmbedder(path, threads=1)
        return
    tiny = ProductEmbedder(path, threads=1)
    assert tiny.input_size == size
    assert tiny.open_set_threshold == threshold
    assert tiny.model_version == "tiny"  # no model_version metadata: the file's stem
    assert tiny.embedding_size == 3


def test_a_fixed_160_input_gets_crops_stretched_to_160(tmp_path: Path) -> None:
    tiny = ProductEmbedder(tiny_embedder(tmp_path / "tiny.onnx"), threads=1)
    crops = [np.full((h, w, 3), (200, 40, 10), np.uint8) for h, w in ((30, 12), (400, 900))]
    assert preprocess(crops, tiny.input_size).shape == (2, 3, 160, 160)
    # ONNX Runtime refuses any other size for a fixed input, so this runs only at 160×160.
    vectors = tiny.embed(crops)
    assert vectors.shape == (2, 3)
    np.testing.assert_allclose(vectors, np.tile(np.array([200, 40, 10]) / np.linalg.norm(
        [200, 40, 10]), (2, 1)), atol=1e-5)
    assert tiny.embed([]).shape == (0, 3)


@pytest.mark.parametrize("sizes", [[(64, 32)], [(10, 7), (300, 120), (40, 90)],
                                   [(48, 24)] * 300])
def test_embeddings_are_unit_rows(embedder: ProductEmbedder, sizes: list[tuple[int, int]]) -> None:
    vectors = embedder.embed(make_crops(sizes))
    assert vectors.shape == (len(sizes), EMBEDDING_SIZE)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_crops_give_an_empty_matrix(embedder: ProductEmbedder) -> None:
    assert embedder.embed([]).shape == (0, EMBEDDING_SIZE)


def test_deterministic_and_independent_of_batch(embedder: ProductEmbedder) -> None:
    crops = make_crops([(50, 30), (80, 40), (33, 21)], seed=3)
    together = embedder.embed(crops)
    np.testing.assert_array_equal(together, embedder.embed(crops))
    alone = np.concatenate([embedder.embed([c]) for c in crops])
    np.testing.assert_allclose(alone, together, atol=1e-5)


@pytest.mark.parametrize(
    ("crop", "expected"),
    [
        (np.zeros((20, 10), np.uint8), InvalidInput),
        (np.zeros((20, 10, 3), np.float32), InvalidInput),
        (np.zeros((1, 10, 3), np.uint8), InvalidInput),
        (np.zeros((20, 10, 4), np.uint8), InvalidInput),
    ],
)
def test_rejects_what_is_not_an_rgb_crop(embedder: ProductEmbedder, crop: npt.NDArray[np.generic],
                                         expected: type[Exception]) -> None:
    with pytest.raises(expected):
        embedder.embed([crop])  # type: ignore[list-item]


def test_missing_model_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        ProductEmbedder(tmp_path / "absent.onnx")


def test_trim_reference_cuts_the_plain_margin() -> None:
    shot = np.full((100, 80, 3), 235, np.uint8)
    shot[20:70, 30:50] = (200, 30, 30)
    assert trim_reference(shot).shape == (50, 20, 3)
    assert trim_reference(np.full((10, 10, 3), 235, np.uint8)).shape == (10, 10, 3)


def test_identifies_new_skus_far_better_than_chance(embedder: ProductEmbedder) -> None:
    refs, crops, labels = heldout_shelf()
    assert len(crops) >= 30
    sim = embedder.embed(crops) @ embedder.embed(refs).T
    top1 = float((sim.argmax(axis=1) == labels).mean())
    assert top1 > 0.6  # chance is 1/72; the committed model scores ~0.99 on these crops


def test_the_int8_build_embeds_as_the_float_model_does(embedder: ProductEmbedder) -> None:
    """The quantised build the service loads by default (benchmarks/embedder_int8.py): the
    same direction for every crop, the same SKU picked for nearly every one."""
    int8 = ProductEmbedder(INT8_MODEL, threads=1)
    assert int8.model_version == "product-embedder-0.1.0-int8"
    refs, crops, _ = heldout_shelf()
    cosine = np.sum(embedder.embed(crops) * int8.embed(crops), axis=1)
    # ONNX Runtime's INT8 kernels differ by CPU: with VNNI nearly every crop keeps > 0.99;
    # on AVX2 alone (u8s8 products saturate) a few fall to ~0.93 (2-core EPYC, 2026-12).
    assert float(np.percentile(cosine, 5)) > 0.98
    assert cosine.min() > 0.9
    picks = [(e.embed(crops) @ e.embed(refs).T).argmax(axis=1) for e in (embedder, int8)]
    assert float((picks[0] == picks[1]).mean()) >= 0.97


@pytest.mark.train
def test_one_tiny_epoch_trains_and_exports(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import torch

    from vision.training.embedding import EmbeddingRecipe, build_model, export_onnx, train

    recipe = EmbeddingRecipe(catalogue_seeds=(101,), scenes_per_seed=1, reference_views=1,
                             epochs=1, batch=32, validation_scenes=1)
    weights = train(recipe, tmp_path / "run", log=False)
    onnx_path = export_onnx(weights, tmp_path / "tiny.onnx")
    model = build_model()
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    crops = make_crops([(60, 30), (25, 40)])
    with torch.no_grad():
        expected = model(torch.from_numpy(preprocess(crops))).numpy()
    np.testing.assert_allclose(ProductEmbedder(onnx_path, threads=1).embed(crops), expected,
                               atol=1e-4)
