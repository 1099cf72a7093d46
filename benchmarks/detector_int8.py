"""ONNX Runtime fp32 against INT8 (static quantisation calibrated on rendered shelves).

Quantises the detector with ``onnxruntime.quantization.quantize_static`` (QDQ format,
per-channel weights, calibration on letterboxed rendered photos that are *not* in the
evaluation set), then measures, in the same process, the detector's latency per image
(median and IQR over interleaved runs) and mAP50 / mAP50-95 per class on a held-out
rendered split for both models.

    python -m benchmarks.detector_int8 --model models/shelf-detector-0.1.0.onnx \
        --calibration var/shelves-train --eval var/shelves-heldout --out var/int8.onnx
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from vision.detection_metrics import evaluate_folder
from vision.detector import DetectorConfig, ShelfDetector, letterbox


class RenderedShelves(CalibrationDataReader):
    """Letterboxed, normalised NCHW batches of one image, as the detector feeds them."""

    def __init__(self, folder: Path, count: int, imgsz: int, input_name: str) -> None:
        self._paths = sorted((folder / "images").rglob("*.jpg"))[:count]
        self._imgsz, self._name = imgsz, input_name
        self._iterator: Iterator[dict[str, np.ndarray]] = self._batches()

    def _batches(self) -> Iterator[dict[str, np.ndarray]]:
        for path in self._paths:
            canvas, _ = letterbox(cv2.imread(str(path)), self._imgsz)
            tensor = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
            yield {self._name: np.ascontiguousarray(tensor)}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._iterator, None)


def stamp_int8_version(path: Path) -> None:
    """Append ``-int8`` to the model's ``model_version`` metadata, so every verdict says
    which build judged it."""
    model = onnx.load(str(path))
    for prop in model.metadata_props:
        if prop.key == "model_version" and not prop.value.endswith("-int8"):
            prop.value += "-int8"
    onnx.save(model, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--calibration", type=Path, required=True)
    parser.add_argument("--eval", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--calibration-images", type=int, default=64)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--float-head", action="store_true",
                        help="keep the detection head's decode nodes in float")
    args = parser.parse_args()
    fp32 = ShelfDetector(args.model, DetectorConfig(threads=2, batch_size=1))
    prepared = args.out.with_suffix(".pre.onnx")
    # Symbolic shape inference gives up on the dynamic batch axis; ONNX shape inference and
    # the optimiser are enough for QDQ placement.
    quant_pre_process(str(args.model), str(prepared), skip_symbolic_shape=True)
    reader = RenderedShelves(args.calibration, args.calibration_images, fp32.imgsz,
                             fp32._session.get_inputs()[0].name)
    # The detection head's decode (DFL softmax, box arithmetic, the box/score concat) mixes
    # pixel coordinates with 0..1 scores in one tensor: one int8 scale can't hold both, so it
    # stays in float; its convolutions are still quantised.
    graph = onnx.load(str(prepared)).graph
    decode_nodes = [n.name for n in graph.node
                    if n.name.startswith("/model.23/") and "/cv2." not in n.name
                    and "/cv3." not in n.name] if args.float_head else []
    quantize_static(str(prepared), str(args.out), reader, quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, nodes_to_exclude=decode_nodes)
    stamp_int8_version(args.out)
    int8 = ShelfDetector(args.out, DetectorConfig(threads=2, batch_size=1))
    image = cv2.imread(str(sorted((args.eval / "images").rglob("*.jpg"))[0]))
    timings: dict[str, list[float]] = {"fp32": [], "int8": []}
    for detector in (fp32, int8):
        detector.detect([image])
    for _ in range(args.runs):
        for name, detector in (("fp32", fp32), ("int8", int8)):
            started = time.perf_counter()
            detector.detect([image])
            timings[name].append((time.perf_counter() - started) * 1000)
    scores = {name: evaluate_folder(detector, args.eval)
              for name, detector in (("fp32", fp32), ("int8", int8))}
    print(f"model {args.model.name}, imgsz {fp32.imgsz}, {args.runs} interleaved runs, "
          f"calibrated on {args.calibration_images} images of {args.calibration.name}, "
          f"evaluated on {scores['fp32'].images} images of {args.eval.name}")
    print("| model | size MB | median ms | IQR ms | product mAP50 | shelf mAP50 | "
          "product mAP50-95 | shelf mAP50-95 |\n|---|---|---|---|---|---|---|---|")
    for name, path in (("fp32", args.model), ("int8", args.out)):
        q1, median, q3 = np.percentile(timings[name], [25, 50, 75])
        metrics = scores[name]
        product, shelf = metrics.by_name("product"), metrics.by_name("shelf")
        print(f"| {name} | {path.stat().st_size / 1e6:.1f} | {median:.1f} | {q1:.1f}–{q3:.1f} "
              f"| {product.map50:.3f} | {shelf.map50:.3f} | {product.map50_95:.3f} | "
              f"{shelf.map50_95:.3f} |")
    speedup = np.median(timings["fp32"]) / np.median(timings["int8"])
    change = (scores["int8"].by_name("product").map50
              - scores["fp32"].by_name("product").map50) * 100
    print(f"int8 speed-up {speedup:.2f}×; product mAP50 change {change:+.1f} points")


if __name__ == "__main__":
    main()
