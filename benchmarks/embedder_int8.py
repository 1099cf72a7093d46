"""The product embedder in ONNX Runtime fp32 against INT8 (static quantisation).

Quantises the embedder with ``onnxruntime.quantization.quantize_static`` (QDQ format,
per-channel int8 weights, uint8 activations), calibrated on pack crops rendered from a
*training* catalogue (``--calibration-seed``, default 101), then measures both models in the
same process on the held-out catalogue of ``benchmarks/product_identification.py`` (seed 0):
closed-set top-1, the open-set rates, and milliseconds to describe 400 crops on one thread
(median and min-max over interleaved runs).

    python -m benchmarks.embedder_int8 --model models/product-embedder-0.1.0.onnx \
        --out models/product-embedder-0.1.0-int8.onnx
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from benchmarks.detector_int8 import stamp_int8_version
from benchmarks.options import command_line
from benchmarks.product_identification import Image, open_set, rendered_set, top1
from vision.product_embedder import ProductEmbedder, preprocess


class RenderedCrops(CalibrationDataReader):
    """Batches of preprocessed pack crops, as the embedder is fed them."""

    def __init__(self, crops: Sequence[Image], input_name: str, batch: int = 64) -> None:
        self._batches: Iterator[dict[str, np.ndarray]] = iter(
            [{input_name: preprocess(crops[i : i + batch])}
             for i in range(0, len(crops), batch)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def main() -> None:
    args = command_line(__doc__, model=Path, out=Path, calibration_seed=101,
                        calibration_scenes=12, eval_scenes=40, runs=9).parse_args()

    _, calibration, _ = rendered_set(args.calibration_seed, args.calibration_scenes)
    prepared = args.out.with_suffix(".pre.onnx")
    quant_pre_process(str(args.model), str(prepared), skip_symbolic_shape=True)
    fp32 = ProductEmbedder(args.model, threads=1)
    quantize_static(str(prepared), str(args.out),
                    RenderedCrops(calibration, "crops"),
                    quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    prepared.unlink()
    stamp_int8_version(args.out)
    int8 = ProductEmbedder(args.out, threads=1)

    refs, crops, labels = rendered_set(0, args.eval_scenes)
    sample = list(crops[:400])
    timings: dict[str, list[float]] = {"fp32": [], "int8": []}
    for embedder in (fp32, int8):
        embedder.embed(sample)
    for _ in range(args.runs):
        for name, embedder in (("fp32", fp32), ("int8", int8)):
            started = time.perf_counter()
            embedder.embed(sample)
            timings[name].append((time.perf_counter() - started) * 1000)
    agreement = float(np.mean(np.sum(fp32.embed(sample) * int8.embed(sample), axis=1)))

    print(f"calibrated on {len(calibration)} crops of catalogue {args.calibration_seed}; "
          f"evaluated on {len(crops)} crops of catalogue 0 ({args.eval_scenes} scenes); "
          f"one thread, {args.runs} interleaved runs of 400 crops")
    print("| model | MB | top-1 | threshold | TAR | FAR | ms / 400 crops (median, min–max) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path, embedder in (("fp32", args.model, fp32), ("int8", args.out, int8)):
        accuracy = top1(embedder.embed, refs, crops, labels)
        threshold, tar, far = open_set(embedder.embed, refs, crops, labels)
        xs = timings[name]
        print(f"| {embedder.model_version} | {path.stat().st_size / 1e6:.1f} | {accuracy:.3f} "
              f"| {threshold:.3f} | {tar:.3f} | {far:.3f} | {statistics.median(xs):.1f} "
              f"({min(xs):.1f}–{max(xs):.1f}) |")
    speedup = statistics.median(timings["fp32"]) / statistics.median(timings["int8"])
    print(f"int8 speed-up {speedup:.2f}×; mean cosine between fp32 and int8 embeddings "
          f"{agreement:.4f}")


if __name__ == "__main__":
    main()
