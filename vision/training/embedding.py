"""Training and export of the product embedding (:mod:`vision.product_embedder`).

Open-set identification needs an embedding that generalises to SKUs it never saw, so the
model is trained as a metric, not a classifier of the catalogue it will meet: a normalised
softmax with an additive cosine margin (CosFace) over *many* procedural SKUs, from catalogue
seeds other than the one any evaluation uses. Per SKU it sees two kinds of view:

- shelf crops: ground-truth boxes of rendered shelf scenes (512-1600 px long side, so packs
  are a few dozen pixels tall), edges jittered as a detector's would be; optionally a share
  of them a second time, loosely framed (edges moved by up to ``loose_jitter`` of the pack's
  size), as the detector frames a pack only a dozen pixels wide (tried, not adopted:
  benchmarks/RESULTS.md);
- studio references: the trimmed ``reference_shot``, clean and degraded (scaled down and
  up, exposure, white balance, glare, blur, JPEG),

so a reference and a shelf crop of the same pack share one class centre. The data, the
model and the schedule are pure functions of the recipe's seeds; torch runs on one thread,
and is imported inside functions, so ``import vision.training`` works without it.

    python -m vision.training.embedding --out var/embedding/run \
        --export models/product-embedder-0.1.0.onnx
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from vision.product_embedder import EMBEDDING_SIZE, INPUT_HEIGHT, INPUT_WIDTH, trim_reference
from vision.synth import GENERATOR_VERSION
from vision.synth.catalogue import build_catalogue, reference_shot
from vision.synth.dataset import DatasetSpec, render_one
from visitproof.errors import InvalidInput

Image = npt.NDArray[np.uint8]
OPSET = 17
MODEL_VERSION = "product-embedder-0.1.0"


def _rgb(bgr: cv2.typing.MatLike | None) -> Image:
    """OpenCV's BGR uint8 image as RGB."""
    if bgr is None:
        raise InvalidInput("image could not be read")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class EmbeddingRecipe:
    """Everything that decides the trained weights.

    ``catalogue_seeds`` give ``catalogue_size`` SKUs each (classes); ``scenes_per_seed``
    shelf photos of ``scene_size`` (min, max long side px) are rendered per catalogue;
    ``reference_views`` degraded studio shots per SKU join them.
    """

    catalogue_seeds: tuple[int, ...] = tuple(range(101, 113))
    catalogue_size: int = 72
    scenes_per_seed: int = 30
    scene_size: tuple[int, int] = (512, 1600)
    min_visible: float = 0.6
    min_side_px: int = 8
    box_jitter: float = 0.08  # edges moved by up to this share of the box's size
    loose_share: float = 0.0  # shelf crops that also get a loosely framed copy (0.1.0: none)
    loose_jitter: float = 0.3
    max_crops_per_scene: int = 60
    reference_views: int = 12
    epochs: int = 6
    batch: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    scale: float = 24.0  # logit scale of the normalised softmax
    margin: float = 0.25  # additive cosine margin
    seed: int = 0
    validation_seed: int = 200  # a catalogue seed only used to watch training
    validation_scenes: int = 12
    affine: bool = True  # random scale, aspect and shift instead of a pixel roll
    threads: int = 1

    def __post_init__(self) -> None:
        if not self.catalogue_seeds:
            raise InvalidInput("catalogue_seeds must name at least one seed")
        if self.validation_seed in self.catalogue_seeds:
            raise InvalidInput(f"validation seed {self.validation_seed} is a training seed")
        if self.epochs < 1 or self.batch < 2:
            raise InvalidInput(f"epochs >= 1 and batch >= 2, got {self.epochs}, {self.batch}")


def _to_input(crop: Image) -> Image:
    """A (64, 32, 3) uint8 crop as the model sees it (same resize as inference)."""
    return np.asarray(
        cv2.resize(crop, (INPUT_WIDTH, INPUT_HEIGHT), interpolation=cv2.INTER_AREA),
        dtype=np.uint8,
    )


def degrade_reference(image: Image, rng: np.random.Generator) -> Image:
    """A studio shot (H, W, 3) uint8 RGB as a phone might see the pack on a shelf."""
    h, w = image.shape[:2]
    s = rng.uniform(0.08, 0.6)
    small = cv2.resize(image, (max(4, int(w * s)), max(4, int(h * s))),
                       interpolation=cv2.INTER_AREA)
    a = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    a = a * rng.uniform(0.5, 1.35) + rng.uniform(-35, 35)  # exposure
    a *= rng.uniform(0.82, 1.18, 3)  # white balance
    if rng.random() < 0.5:  # glare: a soft bright spot
        yy, xx = np.mgrid[0:h, 0:w]
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(0.3, 1.0) * max(h, w)
        a += (np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
              * rng.uniform(60, 200))[..., None]
    if rng.random() < 0.5:
        a = np.asarray(cv2.GaussianBlur(a, (0, 0), rng.uniform(0.5, 2.0)), dtype=np.float32)
    out = np.clip(a, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        if ok:
            out = np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED), dtype=np.uint8)
    return out


def _jittered_box(box: list[float], rng: np.random.Generator, width: int,
                  height: int, spread: float) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    d = rng.uniform(-spread, spread, 4) * np.array([bw, bh, bw, bh])
    return (max(0, round(x0 + d[0])), max(0, round(y0 + d[1])),
            min(width, round(x1 + d[2])), min(height, round(y1 + d[3])))


def shelf_crops(catalogue_seed: int, scenes: int, recipe: EmbeddingRecipe,
                scene_seed: int, jitter: bool = True,
                standing_only: bool = False) -> tuple[list[Image], list[int]]:
    """Ground-truth pack crops (RGB, native size) and SKU indices (0-based) from scenes."""
    catalogue = build_catalogue(catalogue_seed, recipe.catalogue_size)
    index = {s.sku: i for i, s in enumerate(catalogue)}
    spec = DatasetSpec(count=scenes, seed=scene_seed, size=(*recipe.scene_size, 0),
                       catalogue_seed=catalogue_seed, catalogue_size=recipe.catalogue_size)
    rng = np.random.default_rng([recipe.seed, catalogue_seed, scene_seed])
    crops: list[Image] = []
    labels: list[int] = []
    for i in range(scenes):
        jpeg, _, meta = render_one(spec, catalogue, i)
        image = _rgb(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
        height, width = image.shape[:2]
        products = [p for p in meta["products"] if p["visible"] >= recipe.min_visible
                    and (p["pose"] == "standing" or not standing_only)]
        order = rng.permutation(len(products))[: recipe.max_crops_per_scene]
        for k in order:
            p = products[int(k)]
            boxes: list[tuple[int, int, int, int]]
            if not jitter:
                x0, y0, x1, y1 = (round(v) for v in p["box"])
                boxes = [(x0, y0, x1, y1)]
            else:
                boxes = [_jittered_box(p["box"], rng, width, height, recipe.box_jitter)]
                # (no draw at all without loose crops: the 0.1.0 recipe's stream unchanged)
                if recipe.loose_share > 0 and rng.random() < recipe.loose_share:
                    boxes.append(_jittered_box(p["box"], rng, width, height,
                                               recipe.loose_jitter))
            for x0, y0, x1, y1 in boxes:
                if x1 - x0 < recipe.min_side_px or y1 - y0 < recipe.min_side_px:
                    continue
                crops.append(image[y0:y1, x0:x1])
                labels.append(index[p["sku"]])
    return crops, labels


def reference_images(catalogue_seed: int, size: int = 72) -> list[Image]:
    """Trimmed studio shots (RGB) of a catalogue, in SKU order."""
    return [trim_reference(_rgb(reference_shot(s)))
            for s in build_catalogue(catalogue_seed, size)]


def build_training_set(recipe: EmbeddingRecipe) -> tuple[Image, npt.NDArray[np.int64]]:
    """(N, 64, 32, 3) uint8 model-size crops and (N,) class ids over all training seeds."""
    inputs: list[Image] = []
    labels: list[int] = []
    for k, seed in enumerate(recipe.catalogue_seeds):
        offset = k * recipe.catalogue_size
        crops, skus = shelf_crops(seed, recipe.scenes_per_seed, recipe, scene_seed=seed + 7000)
        inputs += [_to_input(c) for c in crops]
        labels += [offset + s for s in skus]
        rng = np.random.default_rng([recipe.seed, seed, 1])
        for sku, ref in enumerate(reference_images(seed, recipe.catalogue_size)):
            inputs.append(_to_input(ref))
            labels.append(offset + sku)
            for _ in range(recipe.reference_views):
                inputs.append(_to_input(degrade_reference(ref, rng)))
                labels.append(offset + sku)
    return np.stack(inputs), np.asarray(labels, dtype=np.int64)


def build_model() -> Any:
    """The embedding CNN: (B, 3, 64, 32) float 0..1 -> (B, 128) unit rows (~0.45 M params)."""
    import torch
    from torch import nn

    def block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class Embedder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                block(3, 32, stride=2),  # 32×16
                block(32, 48), nn.MaxPool2d(2),  # 16×8
                block(48, 96), block(96, 96), nn.MaxPool2d(2),  # 8×4
                block(96, 128), nn.Conv2d(128, 48, 1),
            )
            # Flatten, not global pooling: where the colours sit on a pack tells SKUs apart.
            self.head = nn.Linear(48 * (INPUT_HEIGHT // 8) * (INPUT_WIDTH // 8), EMBEDDING_SIZE)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.head(torch.flatten(self.features((x - 0.5) * 4.0), 1))
            return nn.functional.normalize(y, dim=1)

    return Embedder()


def _augment(x: Any, generator: Any, affine: bool) -> Any:
    """Per-sample photometric jitter and a small shift (or affine warp) of a (B, 3, H, W)
    0..1 batch."""
    import torch

    b = x.shape[0]
    gain = torch.empty(b, 1, 1, 1).uniform_(0.7, 1.3, generator=generator)
    bias = torch.empty(b, 1, 1, 1).uniform_(-0.1, 0.1, generator=generator)
    balance = torch.empty(b, 3, 1, 1).uniform_(0.9, 1.1, generator=generator)
    x = (x * gain * balance + bias).clamp(0.0, 1.0)
    if not affine:
        dy, dx = (int(v) for v in torch.randint(-3, 4, (2,), generator=generator))
        return torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    # Loose framing and aspect: detector boxes cut packs short, phones see them off-square.
    grey = x.mean(dim=1, keepdim=True)
    saturation = torch.empty(b, 1, 1, 1).uniform_(0.6, 1.3, generator=generator)
    x = (grey + (x - grey) * saturation).clamp(0.0, 1.0)
    scale = torch.empty(b, 2).uniform_(0.75, 1.1, generator=generator)
    shift = torch.empty(b, 2).uniform_(-0.12, 0.12, generator=generator)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = scale[:, 0], scale[:, 1]
    theta[:, :, 2] = shift
    grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                           align_corners=False)


def validation_set(catalogue_seed: int, recipe: EmbeddingRecipe,
                   scenes: int) -> tuple[list[Image], list[Image], npt.NDArray[np.int64]]:
    """Standing, mostly visible shelf crops, one trimmed reference per SKU, crop SKU ids."""
    crops, labels = shelf_crops(catalogue_seed, scenes, recipe, scene_seed=catalogue_seed + 9000,
                                jitter=False, standing_only=True)
    refs = reference_images(catalogue_seed, recipe.catalogue_size)
    return crops, refs, np.asarray(labels, dtype=np.int64)


def top1(embed: Any, crops: list[Image], refs: list[Image],
         labels: npt.NDArray[np.int64]) -> float:
    """Share of crops whose most similar reference is their own SKU's."""
    sim = embed(crops) @ embed(refs).T
    return float((sim.argmax(axis=1) == labels).mean())


def train(recipe: EmbeddingRecipe, out: Path, log: bool = True) -> Path:
    """Train, write ``out/embedder.pt`` and ``out/train.json``; returns the weights path."""
    import torch

    from vision.product_embedder import preprocess

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    torch.use_deterministic_algorithms(True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    images, labels = build_training_set(recipe)
    data_s = time.perf_counter() - started
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()  # uint8
    y_all = torch.from_numpy(labels)
    classes = len(recipe.catalogue_seeds) * recipe.catalogue_size
    model = build_model()
    centres = torch.nn.Parameter(torch.randn(classes, EMBEDDING_SIZE) * 0.01)
    optimiser = torch.optim.AdamW([*model.parameters(), centres], lr=recipe.lr,
                                  weight_decay=recipe.weight_decay)
    steps_per_epoch = len(y_all) // recipe.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=recipe.lr, total_steps=recipe.epochs * steps_per_epoch,
        pct_start=0.15)
    generator = torch.Generator().manual_seed(recipe.seed)

    def embed(crops: list[Image]) -> npt.NDArray[np.float32]:
        model.eval()
        with torch.no_grad():
            result = model(torch.from_numpy(preprocess(crops))).numpy()
        model.train()
        return np.asarray(result, dtype=np.float32)

    validation = validation_set(recipe.validation_seed, recipe, recipe.validation_scenes)
    history: list[dict[str, float]] = []
    for epoch in range(recipe.epochs):
        order = torch.randperm(len(y_all), generator=generator)
        total = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * recipe.batch : (step + 1) * recipe.batch]
            x = _augment(x_all[idx].float() / 255.0, generator, recipe.affine)
            y = y_all[idx]
            cos = model(x) @ torch.nn.functional.normalize(centres, dim=1).T
            logits = recipe.scale * (cos - recipe.margin * torch.nn.functional.one_hot(
                y, classes).float())
            loss = torch.nn.functional.cross_entropy(logits, y)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            schedule.step()
            total += loss.item()
        val_top1 = top1(embed, *validation)
        entry = {"epoch": epoch + 1, "loss": total / steps_per_epoch, "val_top1": val_top1,
                 "elapsed_s": time.perf_counter() - started}
        history.append(entry)
        if log:
            print(json.dumps(entry), flush=True)
    weights = out / "embedder.pt"
    torch.save(model.state_dict(), weights)
    summary = {"recipe": asdict(recipe), "generator_version": GENERATOR_VERSION,
               "samples": len(y_all), "classes": classes, "data_s": data_s,
               "train_s": time.perf_counter() - started - data_s, "history": history}
    (out / "train.json").write_text(json.dumps(summary, indent=1) + "\n")
    return weights


def export_onnx(weights: Path, out: Path, model_version: str = MODEL_VERSION) -> Path:
    """Write ``out`` (.onnx, dynamic batch, opset 17, ``model_version`` in metadata)."""
    if not weights.is_file():
        raise InvalidInput(f"weights not found: {weights}")
    if out.suffix != ".onnx":
        raise InvalidInput(f"output must end in .onnx, got {out}")
    import onnx
    import torch

    model = build_model()
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(2, 3, INPUT_HEIGHT, INPUT_WIDTH)
    with warnings.catch_warnings():
        # The TorchScript exporter is chosen on purpose: a plain opset-17 graph, no
        # onnxscript dependency; torch warns that it is the legacy path.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (dummy,), str(out), input_names=["crops"],
                          output_names=["embeddings"], opset_version=OPSET,
                          dynamic_axes={"crops": {0: "batch"}, "embeddings": {0: "batch"}},
                          dynamo=False)
    graph = onnx.load(str(out))
    prop = graph.metadata_props.add()
    prop.key, prop.value = "model_version", model_version
    onnx.save(graph, str(out))
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: train with the default recipe (or a smaller one) and export."""
    defaults = EmbeddingRecipe()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for weights and log")
    parser.add_argument("--export", type=Path, help="write the ONNX model here")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--scenes-per-seed", type=int, default=defaults.scenes_per_seed)
    parser.add_argument("--affine", action=argparse.BooleanOptionalAction,
                        default=defaults.affine, help="affine framing augmentation")
    parser.add_argument("--loose-share", type=float, default=defaults.loose_share,
                        help="share of shelf crops also taken loosely framed")
    parser.add_argument("--model-version", default=MODEL_VERSION)
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="training catalogue seeds (default 101-112)")
    args = parser.parse_args(argv)
    recipe = EmbeddingRecipe(
        catalogue_seeds=tuple(args.seeds) if args.seeds else defaults.catalogue_seeds,
        epochs=args.epochs, scenes_per_seed=args.scenes_per_seed, affine=args.affine,
        loose_share=args.loose_share,
    )
    weights = train(recipe, args.out)
    if args.export:
        export_onnx(weights, args.export, args.model_version)


if __name__ == "__main__":
    main()
