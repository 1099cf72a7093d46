"""Decode + detect + verdict per 12-megapixel JPEG, beside ultralytics' own predict path.

Both sides get the same rendered 4000×3000 shelf photo (JPEG bytes on disk) and the same
ONNX model. visitproof: ``verify_shelf_photo`` (reduced-size JPEG decode, letterbox, ONNX
Runtime, numpy NMS, rows, identification of two featured SKUs, golden-zone verdict).
ultralytics: ``YOLO(model).predict(path)`` including its own decode. Same process, runs
interleaved, so machine noise hits both alike. Prints median and spread (IQR) in ms and the
ratio.

    python -m benchmarks.shelf_verification_speed --model models/shelf-detector-0.1.0.onnx
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from application.product_references import load_embedder
from application.settings import Settings
from vision.detector import DetectorConfig, ShelfDetector
from vision.product_gallery import EMBEDDER_POLICY, ProductGallery
from vision.shelf_verification import verify_shelf_photo


def render_photo(folder: Path, seed: int) -> tuple[Path, dict[str, list[np.ndarray]]]:
    """One 4000×3000 rendered shelf photo and its SKUs' reference shots."""
    subprocess.run(["visitproof", "synth", "shelves", "--out", str(folder), "--n", "1",
                    "--seed", str(seed), "--size", "4000x3000", "--val-fraction", "0"],
                   check=True, capture_output=True)
    rendered = next((folder / "images").rglob("*.jpg"))
    # A phone's 12 MP JPEG carries sensor noise at full resolution and weighs 3-5 MB; the
    # renderer's output is smoother, so add fine noise and re-encode like a phone (q 92).
    image = cv2.imread(str(rendered)).astype(np.int16)
    noise = np.random.default_rng(seed).normal(0, 4, image.shape).astype(np.int16)
    photo = folder / "phone.jpg"
    cv2.imwrite(str(photo), np.clip(image + noise, 0, 255).astype(np.uint8),
                [cv2.IMWRITE_JPEG_QUALITY, 92])
    references = {p.stem: [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)]
                  for p in sorted((folder / "references").glob("*.png"))}
    return photo, references


def spread(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return float(median), float(q1), float(q3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", type=Path, default=None,
                        help="the PyTorch .pt the ONNX was exported from: adds ultralytics' "
                        "default (torch) predict path as a second baseline")
    args = parser.parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as scratch:
        photo, references = render_photo(Path(scratch), args.seed)
        data = photo.read_bytes()
        detector = ShelfDetector(args.model, DetectorConfig(threads=args.threads))
        # The embedder the service loads, if one is committed.
        embedder = load_embedder(Settings().resolved_embedder_model, threads=args.threads)
        gallery = (ProductGallery(references) if embedder is None else
                   ProductGallery(references, EMBEDDER_POLICY, describe=embedder.embed))
        featured = sorted(references)[:2]
        from ultralytics import YOLO  # the baseline only; the service never imports it

        baselines = {"ultralytics YOLO(onnx).predict(path)": YOLO(str(args.model),
                                                                  task="detect")}
        if args.weights is not None:
            baselines["ultralytics YOLO(pt).predict(path), torch"] = YOLO(str(args.weights))
        ours_ms: list[float] = []
        theirs_ms: dict[str, list[float]] = {name: [] for name in baselines}
        verify_shelf_photo(data, detector=detector, gallery=gallery, featured=featured)
        for model in baselines.values():
            model.predict(str(photo), imgsz=detector.imgsz, max_det=1000, verbose=False)
        stages: dict[str, list[float]] = {}
        for _ in range(args.runs):
            started = time.perf_counter()
            verdict = verify_shelf_photo(data, detector=detector, gallery=gallery,
                                         featured=featured)
            ours_ms.append((time.perf_counter() - started) * 1000)
            for stage, value in verdict.timings_ms.items():
                stages.setdefault(stage, []).append(value)
            for name, model in baselines.items():
                started = time.perf_counter()
                model.predict(str(photo), imgsz=detector.imgsz, max_det=1000, verbose=False)
                theirs_ms[name].append((time.perf_counter() - started) * 1000)
    ours = spread(ours_ms)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {args.model.name}; "
          f"photo 4000×3000 JPEG ({len(data) / 1e6:.1f} MB); {args.runs} runs each, "
          f"interleaved; {len(verdict.detections)} detections")
    print("| path | median ms | IQR ms | ratio |\n|---|---|---|---|")
    print(f"| visitproof verify (decode+detect+verdict) | {ours[0]:.1f} | "
          f"{ours[1]:.1f}–{ours[2]:.1f} | 1.00 |")
    for name, values in theirs_ms.items():
        theirs = spread(values)
        print(f"| {name} | {theirs[0]:.1f} | {theirs[1]:.1f}–{theirs[2]:.1f} | "
              f"{theirs[0] / ours[0]:.2f}× slower |")
    print("stages (median ms): " + ", ".join(
        f"{k} {np.median(v):.1f}" for k, v in stages.items()))


if __name__ == "__main__":
    main()
