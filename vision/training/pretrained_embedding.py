"""Training of the real-photo product embedder (product-embedder-0.2.0), and its command line.

The 0.1.0 embedder learned rendered pack art only and identifies real grocery photos worse
than a colour histogram. This one starts from an ImageNet-trained EfficientNet-Lite0
(:mod:`vision.training.pretrained_model`: packaged weights, nothing downloaded at run time)
and fine-tunes it as a metric: a normalised softmax with an additive cosine margin (CosFace)
over

- real photos: the Grocery Store Dataset's ``images/train`` (and the catalogue pictures in
  ``iconic/``) of the 61 seen classes *minus* ten held out as stand-ins for unseen SKUs
  (:mod:`vision.training.grocery_photos`: a fixed, seeded choice, five cartons and five fruit
  or vegetables, as the 20 truly unseen classes are split);
- rendered packs from :mod:`vision.synth` (shelf crops and degraded studio references of a
  few training catalogues, as :mod:`vision.training.embedding` makes them), so packs at a few
  dozen pixels on a rendered shelf are still told apart.

Every sample is a fresh random view (:mod:`vision.training.photo_augmentation`). The held-out
classes and ``images/val`` tune the run (:mod:`vision.training.embedding_tuning`: which epoch
is kept, the open-set threshold); ``images/test`` is never read here. First only the last
blocks and the head learn (``frozen_epochs``), then everything after the first stages. Each
epoch writes a checkpoint, so ``--resume`` carries on after an interruption with the same
data stream. The recipe is :class:`~vision.training.pretrained_recipe.PretrainedEmbeddingRecipe`.

    python -m vision.training.pretrained_embedding --out var/embedding/lite0 \
        --export models/product-embedder-0.2.0.onnx [--resume]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vision.training.embedding import (
    EmbeddingRecipe,
    degrade_reference,
    reference_images,
    shelf_crops,
)
from vision.training.embedding_tuning import (
    rendered_top1,
    rendered_validation,
    session_embedder,
    tuning_scores,
)
from vision.training.grocery_photos import (
    GROCERY,
    GrocerySplit,
    grocery_split,
    load_tuning,
    read_rgb,
    shrunk,
)
from vision.training.photo_augmentation import augment
from vision.training.pretrained_model import (
    BACKBONE,
    MODEL_VERSION,
    build_model,
    export_onnx,
    export_trained,
    onnx_bytes,
    set_trainable,
    starting_weights,
    train_mode,
)
from vision.training.pretrained_recipe import PretrainedEmbeddingRecipe
from visitproof.errors import InvalidInput

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class TrainingPool:
    """Source images (RGB, shrunk), their class ids (0-based over real then rendered
    classes), whether a mirror image is the same product, and which are rendered."""

    images: list[Image]
    labels: npt.NDArray[np.int64]
    flip: npt.NDArray[np.bool_]
    rendered: npt.NDArray[np.bool_]
    real_classes: int
    classes: int


def training_pool(root: Path, split: GrocerySplit,
                  recipe: PretrainedEmbeddingRecipe) -> TrainingPool:
    """Real photos (and catalogue pictures) of the trained classes and rendered packs."""
    index = {c: i for i, c in enumerate(split.trained)}
    photos = list(split.train)
    if recipe.limit:
        order = np.random.default_rng(recipe.seed).permutation(len(photos))[: recipe.limit]
        photos = [photos[int(i)] for i in sorted(order)]
    photos += [p for p in split.iconic for _ in range(recipe.iconic_copies)]
    long_side = round(recipe.input_size * 1.6)
    images = [shrunk(read_rgb(root / p.path), long_side) for p in photos]
    labels = [index[p.label] for p in photos]
    # Mirrored fruit is still the fruit; a mirrored carton's print is not the carton's.
    flip = [not p.carton for p in photos]
    real = len(images)
    synth = EmbeddingRecipe(catalogue_seeds=recipe.rendered_seeds)
    offset = len(split.trained)
    for k, seed in enumerate(recipe.rendered_seeds):
        crops, skus = shelf_crops(seed, recipe.rendered_scenes, synth, scene_seed=seed + 7000)
        rng = np.random.default_rng([recipe.seed, seed, 1])
        for sku, ref in enumerate(reference_images(seed, synth.catalogue_size)):
            crops += [ref] + [degrade_reference(ref, rng)
                              for _ in range(recipe.rendered_reference_views)]
            skus += [sku] * (1 + recipe.rendered_reference_views)
        images += [shrunk(c, long_side) for c in crops]
        labels += [offset + k * synth.catalogue_size + s for s in skus]
        flip += [False] * len(crops)
    rendered = np.zeros(len(images), dtype=bool)
    rendered[real:] = True
    return TrainingPool(images, np.asarray(labels, dtype=np.int64), np.asarray(flip),
                        rendered, offset,
                        offset + len(recipe.rendered_seeds) * synth.catalogue_size)


def epoch_order(pool: TrainingPool, recipe: PretrainedEmbeddingRecipe,
                epoch: int) -> npt.NDArray[np.int64]:
    """Sample indices of one epoch: every real image once and ``rendered_per_epoch``
    rendered ones, shuffled; a pure function of the seed and the epoch."""
    rng = np.random.default_rng([recipe.seed, epoch, 2])
    real = np.flatnonzero(~pool.rendered)
    rendered = np.flatnonzero(pool.rendered)
    take = rng.choice(rendered, min(recipe.rendered_per_epoch, rendered.size), replace=False)
    return np.asarray(rng.permutation(np.concatenate([real, take])), dtype=np.int64)


def _log(out: Path, entry: dict[str, Any]) -> None:
    line = json.dumps(entry)
    print(line, flush=True)
    with (out / "train.log").open("a") as f:
        f.write(line + "\n")


def train(recipe: PretrainedEmbeddingRecipe, out: Path, root: Path = GROCERY,
          resume: bool = False) -> Path:
    """Train; writes ``out/last.pt`` each epoch, ``out/best.pt`` (best stand-in score),
    ``out/train.log`` and ``out/train.json``; returns the best weights' path."""
    import torch

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    torch.use_deterministic_algorithms(True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    split = grocery_split(root, recipe)
    pool = training_pool(root, split, recipe)
    tuning = load_tuning(root, split, recipe.input_size)
    validation = rendered_validation(recipe)
    _log(out, {"event": "data", "real": int((~pool.rendered).sum()),
               "rendered": int(pool.rendered.sum()), "classes": pool.classes,
               "heldout": list(split.heldout), "data_s": round(time.perf_counter() - started)})

    model = build_model(recipe)
    centres = torch.nn.Parameter(torch.randn(pool.classes, recipe.embedding_size) * 0.01)
    head = [*model.head.parameters(), centres]
    trunk = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    optimiser = torch.optim.AdamW(
        [{"params": head, "lr": recipe.lr}, {"params": trunk, "lr": recipe.backbone_lr}],
        weight_decay=recipe.weight_decay)
    steps = len(epoch_order(pool, recipe, 0)) // recipe.batch
    peaks = (recipe.lr, recipe.backbone_lr)

    def rate(step: int) -> float:  # warm-up over the first 5 % of steps, then cosine decay
        total, warm = recipe.epochs * steps, max(1, recipe.epochs * steps // 20)
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    history: list[dict[str, Any]] = []
    best_score, first_epoch = -1.0, 0
    last = out / "last.pt"
    if resume and last.is_file():
        state = torch.load(last, map_location="cpu", weights_only=False)
        if state["recipe"] != asdict(recipe):
            raise InvalidInput("checkpoint was written by another recipe; start afresh")
        model.load_state_dict(state["model"])
        with torch.no_grad():
            centres.copy_(state["centres"])
        optimiser.load_state_dict(state["optimiser"])
        torch.set_rng_state(state["torch_rng"])
        history, best_score, first_epoch = state["history"], state["best_score"], state["epoch"]
        _log(out, {"event": "resume", "epoch": first_epoch})

    for epoch in range(first_epoch, recipe.epochs):
        set_trainable(model, recipe.warmup_trainable_from if epoch < recipe.frozen_epochs
                      else recipe.trainable_from)
        train_mode(model)
        order = epoch_order(pool, recipe, epoch)
        rng = np.random.default_rng([recipe.seed, epoch, 3])
        total, epoch_started = 0.0, time.perf_counter()
        for step in range(steps):
            for group, peak in zip(optimiser.param_groups, peaks, strict=True):
                group["lr"] = peak * rate(epoch * steps + step)
            idx = order[step * recipe.batch : (step + 1) * recipe.batch]
            views = np.stack([augment(pool.images[i], rng, recipe.input_size,
                                      bool(pool.flip[i]), 0.6 if pool.rendered[i] else 0.35)
                              for i in idx])
            x = torch.from_numpy(views).permute(0, 3, 1, 2).float() / 255.0
            y = torch.from_numpy(pool.labels[idx])
            cos = model(x) @ torch.nn.functional.normalize(centres, dim=1).T
            logits = recipe.scale * (cos - recipe.margin * torch.nn.functional.one_hot(
                y, pool.classes).float())
            loss = torch.nn.functional.cross_entropy(logits, y)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            total += loss.item()
            if step % 10 == 0:
                _log(out, {"event": "step", "epoch": epoch + 1, "step": step, "of": steps,
                           "loss": round(total / (step + 1), 4),
                           "s_per_step": round((time.perf_counter() - epoch_started)
                                               / (step + 1), 2)})
        embed = session_embedder(onnx_bytes(model, recipe.input_size), recipe.threads)
        scores = tuning_scores(embed, tuning, split.heldout, recipe.tuning_rounds,
                               recipe.far_target)
        entry = {"event": "epoch", "epoch": epoch + 1, "loss": round(total / steps, 4),
                 **{k: round(v, 4) for k, v in asdict(scores).items()},
                 "rendered_top1": round(rendered_top1(embed, *validation), 4),
                 "epoch_s": round(time.perf_counter() - epoch_started),
                 "elapsed_s": round(time.perf_counter() - started)}
        history.append(entry)
        score = 0.5 * (scores.top1_all + scores.top1_heldout)
        if score > best_score:
            best_score = score
            torch.save({"model": model.state_dict(), "epoch": epoch + 1,
                        "threshold": scores.threshold, "scores": entry}, out / "best.pt")
        torch.save({"model": model.state_dict(), "centres": centres.detach(),
                    "optimiser": optimiser.state_dict(), "torch_rng": torch.get_rng_state(),
                    "epoch": epoch + 1, "history": history, "best_score": best_score,
                    "recipe": asdict(recipe)}, last)
        _log(out, entry)
    summary = {"recipe": asdict(recipe), "heldout_classes": list(split.heldout),
               "trained_classes": list(split.trained), "classes": pool.classes,
               "real_samples": int((~pool.rendered).sum()),
               "rendered_samples": int(pool.rendered.sum()), "history": history,
               "starting_weights": starting_weights().name}
    (out / "train.json").write_text(json.dumps(summary, indent=1) + "\n")
    return out / "best.pt"


def main(argv: list[str] | None = None) -> None:
    """Command line: train (or resume), export the best epoch, optionally the raw backbone."""
    defaults = PretrainedEmbeddingRecipe()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for checkpoints, log")
    parser.add_argument("--export", type=Path, help="write the ONNX model here")
    parser.add_argument("--resume", action="store_true", help="carry on from out/last.pt")
    parser.add_argument("--export-only", action="store_true", help="export out/best.pt")
    parser.add_argument("--backbone", type=Path,
                        help="also write the pretrained backbone as-is (pooled features) here")
    parser.add_argument("--grocery", type=Path, default=GROCERY)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--frozen-epochs", type=int, default=defaults.frozen_epochs)
    parser.add_argument("--input-size", type=int, default=defaults.input_size)
    parser.add_argument("--rendered-per-epoch", type=int, default=defaults.rendered_per_epoch)
    parser.add_argument("--limit", type=int, default=0, help="real photos (timing runs)")
    parser.add_argument("--model-version", default=MODEL_VERSION)
    args = parser.parse_args(argv)
    recipe = replace(defaults, epochs=args.epochs, input_size=args.input_size,
                     rendered_per_epoch=args.rendered_per_epoch, limit=args.limit,
                     frozen_epochs=min(args.frozen_epochs, args.epochs))
    if args.backbone:
        import torch

        torch.set_num_threads(recipe.threads)
        export_onnx(build_model(recipe), recipe, args.backbone,
                    {"model_version": f"{BACKBONE}-imagenet-pooled"}, pooled=True)
    weights = args.out / "best.pt"
    if not args.export_only:
        weights = train(recipe, args.out, args.grocery, resume=args.resume)
    if args.export:
        export_trained(weights, recipe, args.export, args.model_version)


if __name__ == "__main__":
    main()
