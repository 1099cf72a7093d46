"""The frozen-feature product embedder (issue 17): whitening, the 0.1.0 view, the graph.

The whitening checks are numpy only; the graph check needs the train extra (torch and the
EfficientNet-Lite packages) and the committed 0.1.0 model.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.product_features import colour_histograms
from vision.training.feature_study import (
    SPECIALIST,
    Whitening,
    pca_whitening,
    unit,
    within_whitening,
)

PROJECT = Path(__file__).resolve().parents[2]


def clustered(classes: int, per_class: int, dims: int, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Points around ``classes`` centres, spread more along a shared nuisance axis."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dims))
    nuisance = rng.normal(size=dims)
    labels = np.repeat(np.arange(classes), per_class)
    x = (centres[labels] + 0.3 * rng.normal(size=(labels.size, dims))
         + 3.0 * rng.normal(size=(labels.size, 1)) * nuisance)
    return x.astype(np.float32), labels


def test_pca_whitening_gives_unit_rows_of_the_asked_size() -> None:
    x, _ = clustered(6, 10, 20)
    w = pca_whitening(x, 8)
    out = w(x)
    assert out.shape == (60, 8)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_within_class_whitening_brings_a_class_together_on_new_classes() -> None:
    """Fitted on some classes, it tells apart classes it never saw better than raw cosine."""
    x, labels = clustered(24, 12, 32)
    seen = labels < 16
    w = within_whitening(x[seen], labels[seen], 24, shrink=0.1)

    def top1(vectors: np.ndarray) -> float:
        new = vectors[~seen]
        own = labels[~seen]
        refs = np.stack([new[own == c][0] for c in np.unique(own)])
        queries = np.stack([new[own == c][1] for c in np.unique(own)])
        return float(((queries @ refs.T).argmax(axis=1) == np.arange(len(refs))).mean())

    assert top1(w(x)) >= top1(unit(x))
    assert top1(w(x)) >= 0.75


@pytest.mark.train
@pytest.mark.slow
def test_fused_graph_concatenates_the_0_1_0_embedding() -> None:
    """A 64-px graph: unit rows of frozen | colour | 0.1.0 parts, weighted; its colour and
    0.1.0 parts are what colour_histograms and the 0.1.0 model give the crop."""
    pytest.importorskip("efficientnet_lite_pytorch")
    specialist = PROJECT / SPECIALIST
    if not specialist.is_file():
        pytest.skip("0.1.0 model absent")
    import torch

    from vision.product_embedder import ProductEmbedder
    from vision.training.embedding_tuning import session_embedder
    from vision.training.frozen_embedding import FrozenRecipe, fused_graph, small_view

    image = np.random.default_rng(1).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
    area = cv2.resize(image, (32, 64), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    assert np.abs(small_view(x, 128)[0].permute(1, 2, 0).numpy() - area).max() < 1 / 255

    recipe = FrozenRecipe(input_size=64, parts=("head_avg", "last_gem"), colour=0.35,
                          specialist=0.4)
    whitening = Whitening(np.zeros(1600, np.float32),
                          np.random.default_rng(0).normal(size=(1600, 16)).astype(np.float32))
    embed = session_embedder(fused_graph(recipe, whitening, specialist), 2)
    crops = [np.full((90, 60, 3), (40 * k, 200 - 30 * k, 90), np.uint8) for k in range(4)]
    vectors = embed(crops)
    assert vectors.shape == (4, 16 + 128 + 128)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    colour, other = vectors[:, 16:144], vectors[:, 144:]
    assert np.allclose(np.linalg.norm(other, axis=1), np.sqrt(0.4), atol=1e-4)
    assert np.allclose(np.linalg.norm(colour, axis=1), np.sqrt(0.6 * 0.35), atol=1e-4)
    assert (unit(colour) * colour_histograms(crops)).sum(axis=1).min() > 0.999
    own = ProductEmbedder(specialist).embed(crops)
    assert (unit(other) * own).sum(axis=1).min() > 0.999
