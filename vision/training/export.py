"""Export trained weights to the ONNX file the service runs.

The graph has a dynamic batch (and spatial) axis, opset 17 (well inside what onnxruntime
1.17+ runs), is simplified with onnxslim when it is installed, and carries the model version
and class names in its metadata so ``vision.detector`` can stamp every result.
"""

from __future__ import annotations

from pathlib import Path

from vision.training.recipe import offline_environment
from visitproof.errors import InvalidInput

OPSET = 17


def export_onnx(weights: Path, out: Path, imgsz: int, model_version: str) -> Path:
    """Write ``out`` (an .onnx path) from ultralytics ``weights``; returns ``out``.

    ``imgsz`` is the square input size in pixels the detector letterboxes to.
    """
    if not weights.is_file():
        raise InvalidInput(f"weights not found: {weights}")
    if out.suffix != ".onnx":
        raise InvalidInput(f"output must end in .onnx, got {out}")
    offline_environment()
    import importlib.util

    import onnx
    from ultralytics import YOLO  # type: ignore[attr-defined]

    simplify = importlib.util.find_spec("onnxslim") is not None
    exported = Path(
        YOLO(str(weights), task="detect").export(
            format="onnx", imgsz=imgsz, dynamic=True, simplify=simplify, opset=OPSET,
            nms=False, half=False, device="cpu",
        )
    )
    model = onnx.load(str(exported))
    entries = {p.key: p for p in model.metadata_props}
    if "model_version" in entries:
        entries["model_version"].value = model_version
    else:
        prop = model.metadata_props.add()
        prop.key, prop.value = "model_version", model_version
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    if exported.resolve() != out.resolve():
        exported.unlink()
    return out

