"""Shelf detector inference time with ONNX Runtime on this machine.

    python -m benchmarks.detector_inference --model models/shelf-detector-0.1.0.onnx

Times ``ShelfDetector.detect`` (letterbox + session run + decode + NMS, no JPEG decode) on
rendered shelf photos: 640×480 one at a time and in a batch of 4, and a 12-megapixel
4000×3000 phone-sized photo. Prints median and spread over ``--runs`` timed runs after
``--warmup`` untimed ones.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from vision.detector import DetectorConfig, ShelfDetector
from vision.synth.catalogue import build_catalogue
from vision.synth.scene import render_scene


def _time(detector: ShelfDetector, images: list[np.ndarray], runs: int, warmup: int) -> list[
    float
]:
    for _ in range(warmup):
        detector.detect(images)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        detector.detect(images)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/shelf-detector-0.1.0.onnx"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    catalogue = build_catalogue(0)
    small = [render_scene(np.random.default_rng([77, i]), catalogue, (640, 480)).image
             for i in range(4)]
    phone = render_scene(np.random.default_rng([78, 0]), catalogue, (4000, 3000)).image
    cases = [("640x480, batch 1", [small[0]], 1), ("640x480, batch 4", small, 4),
             ("4000x3000 (12 MP), batch 1", [phone], 1)]

    print(f"model {args.model}, onnxruntime {ort.__version__}, {args.threads} threads, "
          f"{platform.processor() or platform.machine()}, {args.runs} runs")
    print(f"{'case':<28} {'ms/call med':>11} {'p10':>7} {'p90':>7} {'min':>7} {'max':>7} "
          f"{'ms/image':>8}")
    for name, images, batch in cases:
        detector = ShelfDetector(args.model, DetectorConfig(threads=args.threads,
                                                            batch_size=batch))
        samples = _time(detector, images, args.runs, args.warmup)
        q = statistics.quantiles(samples, n=10)
        median = statistics.median(samples)
        print(f"{name:<28} {median:>11.1f} {q[0]:>7.1f} {q[-1]:>7.1f} {min(samples):>7.1f} "
              f"{max(samples):>7.1f} {median / len(images):>8.1f}")
    print(f"input size {detector.imgsz}x{detector.imgsz}, model version {detector.model_version}")


if __name__ == "__main__":
    main()
