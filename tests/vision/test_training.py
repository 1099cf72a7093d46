"""One-epoch training smoke test through the CLI, then ONNX export checked against PyTorch.

Needs the ``train`` extra; skipped cleanly without it. Tolerance for ONNX Runtime against
PyTorch on the same letterboxed input: box outputs within 1e-2 px and class scores within
1e-4 (the exported graph has batch norm folded into the convolutions, so float rounding
differs slightly; nothing else should).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from cli import detector as detector_commands
from vision.detector import DetectorConfig, ShelfDetector, letterbox

pytestmark = pytest.mark.train
IMGSZ = 160


@pytest.fixture(autouse=True)
def _pil_open_restored() -> Iterator[None]:
    """Importing ultralytics replaces ``PIL.Image.open`` process-wide with a wrapper that,
    on an unrecognised file, tries to install and import ``pi_heif``. Later tests in this
    worker decode hostile uploads and must see Pillow's own opener."""
    original = Image.open
    yield
    Image.open = original


def _cli() -> typer.Typer:
    app = typer.Typer()
    detector_commands.register(app)
    return app


def test_one_epoch_then_onnx_agrees_with_pytorch(small_dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("ultralytics")
    torch = pytest.importorskip("torch")
    onnx_path = tmp_path / "smoke-detector-0.0.1.onnx"
    result = CliRunner().invoke(_cli(), [
        "train", "detector", "--data", str(small_dataset), "--out", str(tmp_path / "run"),
        "--epochs", "1", "--imgsz", str(IMGSZ), "--batch", "4", "--seed", "0",
        "--export", str(onnx_path),
    ])
    assert result.exit_code == 0, result.output
    weights = Path(result.output.split("weights: ")[1].split()[0])
    assert weights.is_file()
    assert onnx_path.is_file()

    detector = ShelfDetector(onnx_path, DetectorConfig(conf_threshold=0.0))
    assert detector.model_version == "smoke-detector-0.0.1"
    assert detector.imgsz == IMGSZ

    import cv2
    from ultralytics import YOLO

    image = cv2.imread(str(next((small_dataset / "images" / "val").glob("*.jpg"))))
    boxed, _ = letterbox(image, IMGSZ)
    tensor = np.ascontiguousarray(boxed[None, ..., ::-1].transpose(0, 3, 1, 2), np.float32) / 255
    batch = np.concatenate([tensor, tensor[:, :, ::-1].copy()])  # two different images
    session_out = detector.raw(batch)

    model = YOLO(str(weights)).model.eval()
    with torch.no_grad():
        torch_out = model(torch.from_numpy(batch))
    torch_out = (torch_out[0] if isinstance(torch_out, tuple | list) else torch_out).numpy()
    assert session_out.shape == torch_out.shape == (2, 4 + 3, session_out.shape[2])
    np.testing.assert_allclose(session_out[:, :4], torch_out[:, :4], atol=1e-2)
    np.testing.assert_allclose(session_out[:, 4:], torch_out[:, 4:], atol=1e-4)
