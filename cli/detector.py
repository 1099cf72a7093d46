"""``visitproof train detector|export`` and ``visitproof eval detector``: the shelf detector.

    visitproof train detector --data var/shelves/data.yaml --epochs 20 --imgsz 512 \
        --model yolo11n.yaml --out var/runs/shelf --seed 0
    visitproof train export --weights var/runs/shelf/train/weights/best.pt \
        --out models/shelf-detector-0.1.0.onnx --imgsz 512
    visitproof eval detector --model models/shelf-detector-0.1.0.onnx --data var/heldout --json

Training and export need the ``train`` extra (torch, ultralytics); evaluation runs the ONNX
model with ONNX Runtime, exactly as the service does. Export lives under ``train`` because
the top-level ``export`` command belongs to the store.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from vision.detection_metrics import DetectionMetrics, evaluate_folder
from vision.detector import DetectorConfig, ShelfDetector
from visitproof.errors import InvalidInput

_VERSIONED = re.compile(r"(?P<name>.+)-(?P<version>\d+\.\d+\.\d+)\.onnx$")


def register(app: typer.Typer) -> None:
    """Add ``train detector``, ``train export`` and ``eval detector`` to ``app``."""
    train_group = typer.Typer(help="Train models and export them to ONNX.", no_args_is_help=True)
    train_group.command("detector")(train)
    train_group.command("export")(export)
    app.add_typer(train_group, name="train")
    eval_group = typer.Typer(help="Evaluate models.", no_args_is_help=True)
    eval_group.command("detector")(evaluate)
    app.add_typer(eval_group, name="eval")


def train(
    data: Annotated[Path, typer.Option("--data", help="ultralytics data.yaml, or its folder.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder (weights under train/).")],
    epochs: Annotated[int, typer.Option("--epochs")] = 20,
    imgsz: Annotated[int, typer.Option("--imgsz", help="Square input size, pixels.")] = 512,
    model: Annotated[str, typer.Option("--model", help="Model YAML, never a .pt.")] = (
        "yolo11n.yaml"),
    seed: Annotated[int, typer.Option("--seed")] = 0,
    batch: Annotated[int, typer.Option("--batch")] = 16,
    device: Annotated[str, typer.Option("--device", help="cpu, 0, ...")] = "cpu",
    threads: Annotated[int, typer.Option("--threads", help="torch CPU threads.")] = 2,
    hours: Annotated[float | None, typer.Option(
        "--hours", help="Stop after this wall time; ultralytics re-plans the epochs.")] = None,
    export_to: Annotated[Path | None, typer.Option(
        "--export", help="Also export the trained weights to this .onnx path.")] = None,
) -> None:
    """Train the detector from scratch on a rendered dataset (offline, seeded, no plots)."""
    from vision.training.recipe import TrainRecipe, train_detector

    data_yaml = data / "data.yaml" if data.is_dir() else data
    recipe = TrainRecipe(data=data_yaml, out=out, model=model, epochs=epochs, imgsz=imgsz,
                         batch=batch, seed=seed, device=device, threads=threads, hours=hours)
    weights = train_detector(recipe)
    typer.echo(f"weights: {weights}")
    if export_to is not None:
        export(weights=weights, out=export_to, imgsz=imgsz, version=None)


def export(
    weights: Annotated[Path, typer.Option("--weights", help="ultralytics .pt weights.")],
    out: Annotated[Path, typer.Option(
        "--out", help="models/shelf-detector-<version>.onnx")],
    imgsz: Annotated[int, typer.Option("--imgsz", help="Input size the model was trained at.")] = (
        512),
    version: Annotated[str | None, typer.Option(
        "--version", help="Model version stored in the file (default: from --out).")] = None,
) -> None:
    """Export to ONNX with a dynamic batch axis and the model version in its metadata."""
    from vision.training.export import export_onnx

    if version is None:
        match = _VERSIONED.match(out.name)
        if match is None:
            raise InvalidInput(
                f"--out should be named <name>-<x.y.z>.onnx or --version given, got {out.name}")
        version = f"{match['name']}-{match['version']}"
    path = export_onnx(weights, out, imgsz, version)
    typer.echo(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB, version {version})")


def evaluate(
    model: Annotated[Path, typer.Option("--model", help="ONNX model.")],
    data: Annotated[Path, typer.Option("--data", help="Rendered dataset folder (or data.yaml).")],
    split: Annotated[str | None, typer.Option(
        "--split", help="train or val; default every image under images/.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    conf: Annotated[float, typer.Option("--conf", help="Lowest score kept.")] = 0.001,
    iou: Annotated[float, typer.Option("--iou", help="NMS IoU threshold.")] = 0.7,
    max_det: Annotated[int, typer.Option("--max-det")] = 1000,
    threads: Annotated[int, typer.Option("--threads")] = 2,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 4,
    rect: Annotated[bool, typer.Option(
        "--rect", help="Pad each photo only to the model's stride, not to the full square.")
    ] = False,
) -> None:
    """Per-class precision, recall, mAP50 and mAP50-95 of the ONNX model via ONNX Runtime."""
    root = data.parent if data.suffix in (".yaml", ".yml") else data
    detector = ShelfDetector(model, DetectorConfig(conf_threshold=conf, iou_threshold=iou,
                                                   max_det=max_det, threads=threads,
                                                   batch_size=batch_size,
                                                   rect=rect))
    metrics = evaluate_folder(detector, root, split)
    if as_json:
        payload = {"model": str(model), "model_version": detector.model_version,
                   "data": str(root), "split": split, **_as_dict(metrics)}
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(_table(metrics, detector.model_version))


def _as_dict(metrics: DetectionMetrics) -> dict[str, object]:
    return {"images": metrics.images,
            "classes": [{k: (round(v, 4) if isinstance(v, float) else v)
                         for k, v in asdict(c).items()} for c in metrics.classes]}


def _table(metrics: DetectionMetrics, version: str) -> str:
    lines = [f"{version} on {metrics.images} images",
             f"{'class':<10} {'images':>6} {'boxes':>7} {'P':>6} {'R':>6} {'mAP50':>6} "
             f"{'mAP50-95':>8}"]
    for c in metrics.classes:
        lines.append(f"{c.name:<10} {c.images:>6} {c.instances:>7} {c.precision:>6.3f} "
                     f"{c.recall:>6.3f} {c.map50:>6.3f} {c.map50_95:>8.3f}")
    return "\n".join(lines)
