"""The real-photo product embedder built from frozen ImageNet features (issue 17), and its
command line.

Fine-tuning EfficientNet-Lite0 on the 51 trained classes (:mod:`vision.training.
pretrained_embedding`) improved the trained classes but not new ones (unseen top-1 about
what the untouched pooled features give) and lost rendered packs. This module keeps every
trunk weight as ImageNet left it and adapts only in closed form, as
:mod:`vision.training.feature_study` chose on the stand-in split, in one ONNX graph:

    crops (N, 3, S, S) RGB 0..1 -> (255 x - 127) / 128 -> EfficientNet-Lite0 trunk, run on
    the crop and its mirror image -> average pooling of the head convolution and GeM
    (p = 3) of the last block, each unit length, views averaged -> concatenated -> within-
    class whitening (mean, projection: constants in the graph) -> fused with the HSV colour
    histogram of the crop's 64 x 32 view and the 0.1.0 rendered-pack embedder's vector of
    that view (weights so that the cosine is (1 - s) ((1 - c) frozen + c colour) + s 0.1.0)

The whitening is fitted on the *trained* classes' training photos only
(:func:`vision.training.feature_study.within_whitening`); the open-set threshold is set on
the stand-in split with the exported graph itself (``far_target`` of the ten held-out
classes' photos accepted). ``images/test`` is never read.

Caveat found after the one test measurement: the stand-in checks flatter it. Its rendered
check (:func:`~vision.training.embedding_tuning.rendered_validation`) has larger crops
(median 73 x 38 px) than ``benchmarks/real_identification.py``'s rendered set (45 x 28: on
catalogue seed 300 with that protocol it scores 0.903, 0.1.0 0.953), and the threshold set on
the ten stand-in classes accepts far more of the 20 truly unseen test classes' photos
(likely: more look-alike siblings of trained classes among them; not checked).

    python -m vision.training.frozen_embedding \
        --out var/pending-17/product-embedder-0.2.0.onnx
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vision.training.embedding_tuning import (
    rendered_top1,
    rendered_validation,
    session_embedder,
    tuning_scores,
)
from vision.training.feature_study import (
    GEM_P,
    SPECIALIST,
    StudyData,
    Variant,
    Whitening,
    backbone_features,
    describe,
    study_data,
    whitening_of,
)
from vision.training.grocery_photos import GROCERY
from vision.training.pretrained_model import (
    BACKBONE,
    FEATURES,
    MODEL_VERSION,
    OPSET,
    PIXEL_MEAN,
    PIXEL_STD,
    build_model,
    onnx_bytes,
    starting_weights,
)
from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe
from visitproof.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class FrozenRecipe:
    """Every choice of the frozen embedder (picked on the stand-in split with
    :mod:`vision.training.feature_study`)."""

    input_size: int = 256  # beat 160 and 224 on the stand-in unseen classes; a multiple of 64
    parts: tuple[str, ...] = ("head_avg", "last_gem")
    flip: bool = True
    whitening: str = "wc-768-0.3"
    colour: float = 0.35  # weight of the HSV colour histogram in the cosine
    specialist: float = 0.2  # weight of the rendered-pack embedder 0.1.0 in the cosine
    fit_per_class: int = 40  # training photos per trained class fitted on (1531 of 1661)
    far_target: float = 0.02
    threads: int = 2

    def variant(self) -> Variant:
        return Variant(self.input_size, self.parts,
                       ("full", "flip") if self.flip else ("full",), self.whitening,
                       self.colour, self.specialist)


def graph_module(recipe: FrozenRecipe, whitening: Whitening) -> Any:
    """The torch module the ONNX graph is traced from."""
    import torch
    from torch import nn

    model = build_model(PretrainedEmbeddingRecipe(input_size=recipe.input_size))
    net = model.backbone
    mean = torch.from_numpy(whitening.mean)
    projection = torch.from_numpy(whitening.projection)

    class Frozen(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def pooled(self, x: torch.Tensor) -> torch.Tensor:
            x = self.net._swish(self.net._bn0(self.net._conv_stem(x)))
            for block in self.net._blocks:
                x = block(x)
            head = self.net._swish(self.net._bn1(self.net._conv_head(x)))
            parts = {"head": head, "last": x}
            out = []
            for part in recipe.parts:
                name, pooling = part.split("_")
                f = parts[name]
                if pooling == "gem":
                    p = f.clamp(min=1e-6).pow(GEM_P).mean(dim=(2, 3)).pow(1 / GEM_P)
                else:
                    p = f.mean(dim=(2, 3))
                out.append(p)
            return torch.cat([nn.functional.normalize(p, dim=1) for p in out], dim=1)

        def forward(self, x: torch.Tensor) -> Any:
            x = (x - PIXEL_MEAN) / PIXEL_STD
            if recipe.flip:
                both = self.pooled(torch.cat([x, x.flip(3)], dim=0))
                half = both.shape[0] // 2
                pooled = both[:half] + both[half:]
            else:
                pooled = self.pooled(x)
            # each part unit length again after the views' average, then the whole unit
            widths = [FEATURES if p.startswith("head") else 320 for p in recipe.parts]
            chunks = torch.split(pooled, widths, dim=1)
            joined = torch.cat([nn.functional.normalize(c, dim=1) for c in chunks], dim=1)
            joined = nn.functional.normalize(joined, dim=1)
            y = nn.functional.normalize((joined - mean) @ projection, dim=1)
            small = small_view(x * PIXEL_STD + PIXEL_MEAN, recipe.input_size)
            if recipe.colour:
                w = recipe.colour
                y = torch.cat([y * (1 - w) ** 0.5, colour_histogram(small) * w ** 0.5], dim=1)
            if not recipe.specialist:
                return y
            return y, small

    return Frozen().eval()


def small_view(x: Any, size: int) -> Any:
    """(N, 3, 64, 32) of a (N, 3, S, S) batch, as the 0.1.0 embedder sees a crop: an exact
    area average where S is a multiple of 64, else bilinear to 128 x 64 then 2 x 2 areas."""
    from torch import nn

    if size % 64 == 0:
        return nn.functional.avg_pool2d(x, (size // 64, size // 32))
    x = nn.functional.interpolate(x, size=(128, 64), mode="bilinear", align_corners=False)
    return nn.functional.avg_pool2d(x, 2)


def colour_histogram(small: Any) -> Any:
    """(N, 128) unit rows: :func:`vision.product_features.colour_histograms` in the graph,
    from the (N, 3, 64, 32) 0..1 view: pixels rounded to 8 bits, OpenCV's 8-bit HSV
    (hue 0..180), 8 x 4 x 4 joint bins, square-rooted counts."""
    import torch

    p = torch.round(small * 255.0)
    r, g, b = p[:, 0], p[:, 1], p[:, 2]
    v = torch.maximum(torch.maximum(r, g), b)
    diff = v - torch.minimum(torch.minimum(r, g), b)
    s = torch.where(v > 0, torch.round(diff * 255.0 / v.clamp(min=1.0)), torch.zeros_like(v))
    d = diff.clamp(min=1.0)
    h = torch.where(v == r, (g - b) * 60.0 / d,
                    torch.where(v == g, 120.0 + (b - r) * 60.0 / d, 240.0 + (r - g) * 60.0 / d))
    h = torch.where(diff == 0, torch.zeros_like(h), h)
    h = torch.where(h < 0, h + 360.0, h)
    hue = torch.floor(torch.round(h / 2.0) * 8.0 / 180.0).clamp(max=7.0)
    index = (hue * 4.0 + torch.floor(s * 4.0 / 256.0)) * 4.0 + torch.floor(v * 4.0 / 256.0)
    bins = torch.arange(128, dtype=index.dtype).view(1, 128, 1)
    counts = (index.flatten(1).unsqueeze(1) == bins).float().sum(dim=2)
    return torch.nn.functional.normalize(torch.sqrt(counts), dim=1)


def fused_graph(recipe: FrozenRecipe, whitening: Whitening, specialist: Path) -> bytes:
    """The ONNX graph: the frozen trunk's whitened vector, with ``recipe.colour`` > 0 the
    colour histogram of the crop's 64 x 32 view, with ``recipe.specialist`` > 0 the 0.1.0
    embedder's vector of that view, concatenated and weighted so that the cosine is
    (1 - s) ((1 - c) frozen + c colour) + s 0.1.0, as the study fuses them."""
    import io
    import warnings

    import onnx
    import torch
    from onnx import compose, helper, numpy_helper

    module = graph_module(recipe, whitening)
    if not recipe.specialist:
        return onnx_bytes(module, recipe.input_size)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dummy = (torch.zeros(2, 3, recipe.input_size, recipe.input_size),)
        torch.onnx.export(module, dummy, buffer,  # type: ignore[arg-type]
                          input_names=["crops"], output_names=["frozen", "small"],
                          opset_version=OPSET, dynamic_axes={
                              "crops": {0: "batch"}, "frozen": {0: "batch"},
                              "small": {0: "batch"}}, dynamo=False)
    trunk = onnx.load_from_string(buffer.getvalue())
    other = compose.add_prefix(onnx.load(str(specialist)), "specialist_")
    del other.metadata_props[:]
    trunk.ir_version = other.ir_version = min(trunk.ir_version, other.ir_version)
    merged = compose.merge_models(trunk, other, io_map=[("small", "specialist_crops")],
                                  outputs=["frozen", "specialist_embeddings"])
    w = recipe.specialist
    graph = merged.graph
    graph.initializer.extend([
        numpy_helper.from_array(np.asarray([np.sqrt(1 - w)], np.float32), "w_frozen"),
        numpy_helper.from_array(np.asarray([np.sqrt(w)], np.float32), "w_specialist")])
    graph.node.extend([
        helper.make_node("Mul", ["frozen", "w_frozen"], ["frozen_w"]),
        helper.make_node("Mul", ["specialist_embeddings", "w_specialist"], ["specialist_w"]),
        helper.make_node("Concat", ["frozen_w", "specialist_w"], ["embeddings"], axis=1)])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(
        "embeddings", onnx.TensorProto.FLOAT, ["batch", None]))
    onnx.checker.check_model(merged)
    return bytes(merged.SerializeToString())


def fit_whitening(recipe: FrozenRecipe, root: Path) -> tuple[Whitening, StudyData]:
    """The whitening fitted on the trained classes' training photos, and the study data."""
    data = study_data(root, PretrainedEmbeddingRecipe(), recipe.fit_per_class)
    variant = recipe.variant()
    features = backbone_features(data.fit, recipe.input_size, recipe.threads,
                                 views=variant.views)
    raw = describe(features, variant)
    try:
        return whitening_of(recipe.whitening, raw, data.fit_labels), data
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def build(recipe: FrozenRecipe, out: Path, root: Path = GROCERY,
          model_version: str = MODEL_VERSION,
          specialist: Path = SPECIALIST) -> dict[str, Any]:
    """Fit, export to ``out`` with metadata, score on the stand-in split; returns the
    summary also written beside ``out`` as ``.json``."""
    import onnx
    import torch

    if out.suffix != ".onnx":
        raise InvalidInput(f"output must end in .onnx, got {out}")
    torch.set_num_threads(recipe.threads)
    started = time.perf_counter()
    whitening, data = fit_whitening(recipe, root)
    graph = fused_graph(recipe, whitening, specialist)
    embed = session_embedder(graph, recipe.threads)
    train_recipe = PretrainedEmbeddingRecipe()
    scores = tuning_scores(embed, data.pools, data.heldout, train_recipe.tuning_rounds,
                           recipe.far_target)
    crops, refs, labels = rendered_validation(train_recipe)
    rendered = rendered_top1(embed, crops, refs, labels)
    model = onnx.load_from_string(graph)
    metadata = {
        "model_version": model_version,
        "input": f"RGB 0..1, (N, 3, {recipe.input_size}, {recipe.input_size}), "
                 "normalisation inside the graph",
        "open_set_threshold": f"{scores.threshold:.3f}",
        "backbone": f"{BACKBONE} ImageNet ({starting_weights().name}), frozen",
        "fused": f"colour histogram {recipe.colour:g}; {specialist.name} {recipe.specialist:g}",
        "recipe": json.dumps(asdict(recipe)),
    }
    for key, value in metadata.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, value
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    summary = {"recipe": asdict(recipe), "metadata": metadata, "opset": OPSET,
               "standin": {k: round(v, 4) for k, v in asdict(scores).items()},
               "rendered_top1": round(rendered, 4), "heldout_classes": list(data.heldout),
               "fit_photos": len(data.fit), "build_s": round(time.perf_counter() - started)}
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv: list[str] | None = None) -> None:
    defaults = FrozenRecipe()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the .onnx file to write")
    parser.add_argument("--grocery", type=Path, default=GROCERY)
    parser.add_argument("--input-size", type=int, default=defaults.input_size)
    parser.add_argument("--whitening", default=defaults.whitening)
    parser.add_argument("--parts", nargs="+", default=list(defaults.parts))
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--colour", type=float, default=defaults.colour,
                        help="weight of the colour histogram (0: left out)")
    parser.add_argument("--specialist", type=float, default=defaults.specialist,
                        help="weight of the rendered-pack embedder 0.1.0 (0: left out)")
    parser.add_argument("--model-version", default=MODEL_VERSION)
    args = parser.parse_args(argv)
    recipe = FrozenRecipe(input_size=args.input_size, parts=tuple(args.parts),
                          flip=not args.no_flip, whitening=args.whitening,
                          colour=args.colour, specialist=args.specialist)
    print(json.dumps(build(recipe, args.out, args.grocery, args.model_version), indent=1))


if __name__ == "__main__":
    main()
