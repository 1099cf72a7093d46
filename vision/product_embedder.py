"""The learned product embedding as served: an ONNX model run by ONNX Runtime, no torch.

A pack crop (any size, RGB) is stretched to the model's input (``INTER_AREA``), scaled to
0..1 and mapped to a unit vector; two crops of the same SKU — a studio reference shot and a
shelf crop at a few dozen pixels, under shop lighting — land close, so cosine similarity (a
dot product) identifies packs against registered references without retraining for new
SKUs. It drops in wherever :data:`vision.product_gallery.Describe` is expected
(``ProductGallery(refs, describe=embedder.embed, describe_size=embedder.input_size)``).

Every model is read the same way: the input size (H, W) comes from the graph's input shape
(0.1.0: 64×32, trained by :mod:`vision.training.embedding`; 0.2.0: 160×160, trained by
:mod:`vision.training.pretrained_embedding`), 64×32 where the graph leaves it dynamic, and
the open-set threshold from the ``open_set_threshold`` metadata where the model carries one.
The model card sits beside the ONNX file.

Reference shots are studio photos with a plain background and margins;
:func:`trim_reference` cuts them to the pack, as training did, before they are embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from visitproof.errors import InvalidInput

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]

INPUT_WIDTH, INPUT_HEIGHT = 32, 64  # 0.1.0's input, and the size of a dynamic one
EMBEDDING_SIZE = 128
BATCH = 256  # crops per session run: a full shelf in two runs, bounded memory
# A reference's background is a flat colour; pixels further than this (0..255, any
# channel) from the corners' median are the pack.
_TRIM_TOLERANCE = 12


def preprocess(crops: Sequence[Image],
               size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> FloatArray:
    """(N, 3, H, W) float32 in 0..1 from N (h, w, 3) uint8 RGB crops (each ≥ 2×2 px),
    each stretched to ``size`` = (H, W) pixels with ``INTER_AREA`` (the 0.1.0 default)."""
    height, width = size
    batch = np.empty((len(crops), 3, height, width), dtype=np.float32)
    for i, crop in enumerate(crops):
        if crop.ndim != 3 or crop.shape[2] != 3 or crop.dtype != np.uint8:
            raise InvalidInput(f"crops must be (H, W, 3) uint8, got {crop.shape} {crop.dtype}")
        if crop.shape[0] < 2 or crop.shape[1] < 2:
            raise InvalidInput(f"crops must be at least 2×2 pixels, got {crop.shape[:2]}")
        small = crop if crop.shape[:2] == size else cv2.resize(
            crop, (width, height), interpolation=cv2.INTER_AREA)
        batch[i] = small.transpose(2, 0, 1)
    batch *= 1.0 / 255.0
    return batch


def trim_reference(image: Image, tolerance: int = _TRIM_TOLERANCE) -> Image:
    """The (h, w, 3) part of a studio shot (H, W, 3) that differs from its plain background.

    The background colour is the median of the four corners; an image with no pixel
    further than ``tolerance`` from it, or whose pack would be under 4 px, is returned whole.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise InvalidInput(f"reference must be (H, W, 3), got {image.shape}")
    corners = np.stack([image[0, 0], image[0, -1], image[-1, 0], image[-1, -1]]).astype(np.int16)
    background = np.median(corners, axis=0)
    differs = np.abs(image.astype(np.int16) - background).max(axis=2) > tolerance
    ys, xs = np.nonzero(differs)
    if ys.size == 0:
        return image
    trimmed = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    # A speck on a blank shot is no pack: keep the whole image rather than a sliver.
    return trimmed if min(trimmed.shape[:2]) >= 4 else image


class ProductEmbedder:
    """Learned pack embeddings from an ONNX file; one session, reused for every call.

    ``input_size`` is the (H, W) pixels every crop is stretched to, ``embedding_size`` the
    length of its vector, ``open_set_threshold`` the cosine the model was tuned to accept a
    match at (None when its metadata has none: the caller's policy decides then)."""

    def __init__(self, model_path: Path | str, threads: int = 2) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise InvalidInput(f"embedding model not found: {path}")
        if threads < 1:
            raise InvalidInput(f"threads must be at least 1, got {threads}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        graph_input, graph_output = self._session.get_inputs()[0], self._session.get_outputs()[0]
        self._input = graph_input.name
        self.input_size: tuple[int, int] = _input_size(graph_input.shape, path)
        length = graph_output.shape[-1] if graph_output.shape else None
        self.embedding_size: int = length if isinstance(length, int) else EMBEDDING_SIZE
        meta = self._session.get_modelmeta().custom_metadata_map
        self.model_version: str = meta.get("model_version", path.stem)
        self.open_set_threshold: float | None = _threshold(meta.get("open_set_threshold"),
                                                           path)

    def embed(self, crops: Sequence[Image]) -> FloatArray:
        """(N, D) float32 unit rows for N (H, W, 3) uint8 RGB crops; (0, D) for none."""
        if len(crops) == 0:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        parts = []
        for start in range(0, len(crops), BATCH):
            batch = preprocess(crops[start : start + BATCH], self.input_size)
            (out,) = self._session.run(None, {self._input: batch})
            parts.append(np.asarray(out, dtype=np.float32))
        vectors = np.concatenate(parts, axis=0)
        # The graph ends in an L2 normalisation; renormalising keeps rows unit-length to
        # float32 precision whatever ONNX Runtime fused.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        result: FloatArray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


def _input_size(shape: Sequence[object], path: Path) -> tuple[int, int]:
    """(H, W) of an (N, 3, H, W) graph input; 64×32 where H or W is dynamic."""
    if len(shape) != 4 or shape[1] != 3:
        raise InvalidInput(f"{path.name}: the embedder's input must be (N, 3, H, W), "
                           f"got {list(shape)}", code="MODEL_UNSUPPORTED")
    height, width = shape[2], shape[3]
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        return height, width
    return INPUT_HEIGHT, INPUT_WIDTH


def _threshold(value: str | None, path: Path) -> float | None:
    """The ``open_set_threshold`` metadata as a cosine in (-1, 1], or None when absent."""
    if value is None:
        return None
    try:
        threshold = float(value)
    except ValueError:
        threshold = float("nan")
    if not -1.0 < threshold <= 1.0:
        raise InvalidInput(f"{path.name}: open_set_threshold metadata must be a cosine in "
                           f"(-1, 1], got {value!r}", code="MODEL_UNSUPPORTED")
    return threshold
