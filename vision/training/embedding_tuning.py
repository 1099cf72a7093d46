"""How well an embedding identifies grocery photos with one reference per class, and where
its open-set threshold sits: the measures that pick the kept epoch and that the benchmarks
share. numpy and ONNX Runtime only (no torch)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]
Embed = Callable[[Sequence[Image]], FloatArray]


@dataclass(frozen=True, slots=True)
class TuningScores:
    """Stand-in identification and open-set figures (see :func:`tuning_scores`)."""

    top1_all: float
    top1_heldout: float
    top1_trained: float
    threshold: float
    far: float
    tar: float


def tuning_scores(embed: Embed, pools: dict[int, list[Image]], heldout: Sequence[int],
                  rounds: int, far_target: float, seed: int = 0) -> TuningScores:
    """Identification with one reference photo per class, as the issue measures on test.

    Each of ``rounds`` seeded rounds picks a reference and a different query photo per
    class (all classes in ``pools``) and counts top-1 over all queries, the held-out
    classes' and the trained classes'. Open set: gallery = the round's references of the
    trained classes only, queries = every photo of the held-out classes; the threshold is
    the lowest score at which at most ``far_target`` of them would be accepted (over all
    rounds); TAR = trained-class queries accepted and identified at that threshold.
    """
    classes = sorted(pools)
    vectors = {c: embed(pools[c]) for c in classes}
    held = np.isin(classes, list(heldout))
    rng = np.random.default_rng(seed)
    hits: list[npt.NDArray[np.bool_]] = []
    unknown_best: list[FloatArray] = []
    known: list[tuple[FloatArray, npt.NDArray[np.bool_]]] = []
    for _ in range(rounds):
        picks = [rng.choice(len(pools[c]), 2, replace=False) for c in classes]
        refs = np.stack([vectors[c][p[0]] for c, p in zip(classes, picks, strict=True)])
        queries = np.stack([vectors[c][p[1]] for c, p in zip(classes, picks, strict=True)])
        hits.append((queries @ refs.T).argmax(axis=1) == np.arange(len(classes)))
        gallery = refs[~held]
        unknown = np.concatenate([vectors[c] for c, h in zip(classes, held, strict=True) if h])
        unknown_best.append((unknown @ gallery.T).max(axis=1))
        sim = queries[~held] @ gallery.T
        known.append((sim.max(axis=1), sim.argmax(axis=1) == np.arange(gallery.shape[0])))
    hit = np.stack(hits)
    best = np.concatenate(unknown_best)
    threshold = open_set_threshold(best, far_target)
    scores = np.concatenate([k[0] for k in known])
    right = np.concatenate([k[1] for k in known])
    return TuningScores(float(hit.mean()), float(hit[:, held].mean()),
                        float(hit[:, ~held].mean()), threshold,
                        float((best >= threshold).mean()),
                        float(((scores >= threshold) & right).mean()))


def open_set_threshold(unknown_best: FloatArray, far_target: float) -> float:
    """The lowest cosine (3 decimals) at which at most ``far_target`` of the unknown
    queries' best scores are accepted (a query is accepted when its score >= threshold)."""
    ordered = np.sort(unknown_best)[::-1]
    allowed = math.floor(far_target * ordered.size)
    # Accept strictly fewer than allowed + 1: sit just above the (allowed + 1)-th best score.
    # (rounded first so that a score of 0.97 stored as 0.96999... still lands above it)
    return float((math.floor(round(float(ordered[allowed]) * 1000, 6)) + 1) / 1000)


def session_embedder(graph: bytes | str, threads: int, batch: int = 64) -> Embed:
    """``embed(images)``: (N, D) unit rows from (H, W, 3) uint8 RGB images (any size), run by
    ONNX Runtime on a serialised graph or an .onnx path (4-5× faster than torch's eval on
    this CPU). Images are stretched to the graph's (N, 3, H, W) input and scaled to 0..1."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(graph, sess_options=options,
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    height, width = (int(v) for v in session.get_inputs()[0].shape[2:])

    def embed(images: Sequence[Image]) -> FloatArray:
        parts = []
        for start in range(0, len(images), batch):
            pixels = np.stack([cv2.resize(i, (width, height), interpolation=cv2.INTER_AREA)
                               for i in images[start : start + batch]])
            x = pixels.transpose(0, 3, 1, 2).astype(np.float32) * np.float32(1 / 255)
            parts.append(np.asarray(session.run(None, {name: x})[0], dtype=np.float32))
        vectors = np.concatenate(parts)
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.asarray(vectors / norms, dtype=np.float32)

    return embed


def rendered_validation(recipe: PretrainedEmbeddingRecipe) -> tuple[list[Image], list[Image],
                                                                      npt.NDArray[np.int64]]:
    """Standing shelf crops, trimmed references and SKU ids of an unseen rendered catalogue."""
    from vision.training.embedding import EmbeddingRecipe, validation_set

    return validation_set(recipe.rendered_validation_seed, EmbeddingRecipe(),
                          recipe.rendered_validation_scenes)


def rendered_top1(embed: Embed, crops: Sequence[Image], refs: Sequence[Image],
                  labels: npt.NDArray[np.int64]) -> float:
    """Share of crops whose most similar reference is their own SKU's."""
    return float(((embed(crops) @ embed(refs).T).argmax(axis=1) == labels).mean())

