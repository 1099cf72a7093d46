"""ONNX Runtime detector: letterbox, decode, NMS, validation, and the committed model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.vision.builders import make_detections
from tests.vision.conftest import COMMITTED_MODEL
from vision.detector import (
    PAD_VALUE,
    Detections,
    DetectorConfig,
    Letterbox,
    ShelfDetector,
    decode,
    fit,
    iou_matrix,
    letterbox,
    nms,
    rect_shape,
)
from vision.synth.catalogue import build_catalogue
from vision.synth.labels import PRODUCT, SHELF
from vision.synth.scene import render_scene
from visitproof.errors import InvalidInput


@pytest.mark.parametrize(
    ("shape", "scale", "pad"),
    [((480, 640), 0.8, (0.0, 64.0)), ((640, 480), 0.8, (64.0, 0.0)), ((512, 512), 1.0, (0, 0)),
     ((3000, 4000), 0.128, (0.0, 64.0))],
)
def test_letterbox_keeps_aspect_and_centres(shape: tuple[int, int], scale: float,
                                            pad: tuple[float, float]) -> None:
    image = np.full((*shape, 3), 200, np.uint8)
    boxed, fit = letterbox(image, 512)
    assert boxed.shape == (512, 512, 3)
    assert fit.scale == pytest.approx(scale)
    assert (fit.pad_x, fit.pad_y) == pad
    assert boxed[0, 0, 0] == (PAD_VALUE if pad != (0, 0) else 200)
    assert boxed[256, 256, 0] == 200


@pytest.mark.parametrize(
    ("shape", "canvas"),
    [((3000, 4000), (384, 512)), ((4000, 3000), (512, 384)), ((1080, 1920), (288, 512)),
     ((512, 512), (512, 512)), ((100, 1000), (64, 512))],
)
def test_rect_canvas_is_the_fitted_image_rounded_up_to_the_stride(
        shape: tuple[int, int], canvas: tuple[int, int]) -> None:
    assert rect_shape(*shape, 512, 32) == canvas
    boxed, fitted = letterbox(np.full((*shape, 3), 200, np.uint8), 512, canvas)
    assert boxed.shape == (*canvas, 3)
    # What is left of the stride multiple is split evenly, as ultralytics' rect letterbox does.
    new_h, new_w = round(shape[0] * fitted.scale), round(shape[1] * fitted.scale)
    assert fitted.pad_y == round((canvas[0] - new_h) / 2 - 0.1)
    assert fitted.pad_x == round((canvas[1] - new_w) / 2 - 0.1)


def test_letterbox_refuses_a_canvas_too_small_for_the_image() -> None:
    with pytest.raises(InvalidInput, match="does not fit"):
        letterbox(np.zeros((300, 400, 3), np.uint8), 512, (256, 512))


def test_letterbox_round_trip_of_boxes() -> None:
    fit = Letterbox(scale=0.5, pad_x=10.0, pad_y=20.0)
    boxes = np.array([[10.0, 20.0, 60.0, 70.0]], np.float32)
    assert fit.to_image(boxes, 1000, 1000).tolist() == [[0.0, 0.0, 100.0, 100.0]]
    assert fit.to_image(np.array([[0, 0, 900, 900]], np.float32), 300, 200).tolist() == [
        [0.0, 0.0, 300.0, 200.0]]


@pytest.mark.parametrize(
    "bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8),
            np.zeros((10, 10, 3), np.float32)],
)
def test_letterbox_rejects_non_bgr_images(bad: np.ndarray) -> None:
    with pytest.raises(InvalidInput, match="uint8"):
        letterbox(bad, 64)


def test_iou_matrix() -> None:
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    assert iou_matrix(a, b)[0].tolist() == pytest.approx([1.0, 1 / 3, 0.0])


@pytest.mark.parametrize(
    ("boxes", "scores", "threshold", "kept"),
    [
        ([[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 30, 10]], [0.9, 0.8, 0.7], 0.5, [0, 2]),
        ([[0, 0, 10, 10], [1, 0, 11, 10]], [0.6, 0.9], 0.5, [1]),
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 0.5, [0, 1]),  # IoU 1/3 survives
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 0.3, [0]),
        ([], [], 0.5, []),
        # Sub-pixel boxes, IoU 0.4: rounded to whole pixels they would not overlap at all.
        ([[0, 0, 1.4, 1.4], [0.6, 0, 2.0, 1.4]], [0.9, 0.8], 0.3, [0]),
        # Equal scores: input order decides.
        ([[0, 0, 10, 10], [1, 0, 11, 10], [2, 0, 12, 10]], [0.5, 0.5, 0.5], 0.5, [0]),
        ([[20, 0, 30, 10], [0, 0, 10, 10]], [0.5, 0.5], 0.5, [0, 1]),
    ],
)
def test_nms(boxes: list[list[float]], scores: list[float], threshold: float,
             kept: list[int]) -> None:
    result = nms(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32),
                 threshold)
    assert result.tolist() == kept


def _greedy_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """The textbook loop, as a reference."""
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    for i in order:
        if all(iou_matrix(boxes[i : i + 1], boxes[j : j + 1])[0, 0] <= threshold for j in kept):
            kept.append(int(i))
    return kept


@pytest.mark.parametrize("seed", range(5))
def test_nms_keeps_what_the_textbook_loop_keeps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    corners = rng.uniform(0, 200, (300, 2)).astype(np.float32)
    boxes = np.concatenate([corners, corners + rng.uniform(2, 40, (300, 2))], axis=1)
    scores = rng.uniform(0.01, 1, 300).astype(np.float32)
    expected = _greedy_nms(boxes.astype(np.float32), scores, 0.45)
    assert nms(boxes.astype(np.float32), scores, 0.45).tolist() == expected
    assert nms(boxes.astype(np.float32), scores, 0.45, max_keep=7).tolist() == expected[:7]


def _raw(rows: list[tuple[float, float, float, float, int, float]], classes: int = 3,
         anchors: int = 50) -> np.ndarray:
    """A fake head output (4 + C, A): rows of cx, cy, w, h, class, score; the rest empty."""
    out = np.zeros((4 + classes, anchors), np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(rows):
        out[:4, i] = (cx, cy, w, h)
        out[4 + cls, i] = score
    return out


def test_decode_is_class_aware_and_capped() -> None:
    raw = _raw([(50, 50, 20, 20, 0, 0.9), (51, 50, 20, 20, 0, 0.8), (50, 50, 20, 20, 1, 0.7),
                (200, 200, 10, 10, 2, 0.1)])
    boxes, scores, classes = decode(raw, DetectorConfig(conf_threshold=0.25))
    assert classes.tolist() == [0, 1]  # same box in another class survives NMS
    assert boxes[0].tolist() == [40, 40, 60, 60]
    assert scores.tolist() == pytest.approx([0.9, 0.7])
    _, _, capped = decode(raw, DetectorConfig(conf_threshold=0.25, max_det=1))
    assert capped.tolist() == [0]


def test_dense_decode_keeps_more_than_300() -> None:
    rows = [(10 + 12 * (i % 40), 10 + 12 * (i // 40), 10, 10, 0, 0.9) for i in range(400)]
    boxes, _, _ = decode(_raw(rows, anchors=500), DetectorConfig())
    assert len(boxes) == 400


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"conf_threshold": 1.5}, "thresholds"), ({"iou_threshold": 0.0}, "thresholds"),
     ({"max_det": 0}, "max_det"), ({"threads": 0}, "threads")],
)
def test_config_rejects_bad_values(kwargs: dict[str, float], error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        DetectorConfig(**kwargs)  # type: ignore[arg-type]


def test_detections_validate_shapes() -> None:
    with pytest.raises(InvalidInput, match=r"\(N, 4\)"):
        Detections(np.zeros((2, 5), np.float32), np.zeros(2, np.float32), np.zeros(2, np.int64),
                   "v")
    with pytest.raises(InvalidInput, match="scores"):
        Detections(np.zeros((2, 4), np.float32), np.zeros(3, np.float32), np.zeros(2, np.int64),
                   "v")
    found = make_detections([(0, 0, 1, 1), (0, 0, 2, 2)], classes=[0, 1])
    assert len(found.of_class(1)) == 1


def test_missing_model_is_bad_input() -> None:
    with pytest.raises(InvalidInput, match="not found"):
        ShelfDetector(COMMITTED_MODEL.with_name("nope.onnx"))


def _recall(truth: np.ndarray, found: np.ndarray) -> float:
    if len(truth) == 0:
        return 1.0
    if len(found) == 0:
        return 0.0
    return float((iou_matrix(truth, found).max(axis=1) >= 0.5).mean())


def test_committed_model_finds_shelves_and_products() -> None:
    detector = ShelfDetector(COMMITTED_MODEL, DetectorConfig(batch_size=2))
    assert detector.model_version == "shelf-detector-0.1.0"
    assert detector.class_names == ("product", "shelf", "price_tag")
    catalogue = build_catalogue(0)
    # Seed 424242 was never used for training or the held-out split.
    scenes = [render_scene(np.random.default_rng([424242, i]), catalogue, (640, 480))
              for i in range(4)]
    results = detector.detect([s.image for s in scenes])
    shelf_recall, product_recall = [], []
    for scene, found in zip(scenes, results, strict=True):
        assert found.model_version == "shelf-detector-0.1.0"
        boxes, classes = scene.truth.boxes()
        shelf_recall.append(_recall(boxes[classes == SHELF], found.of_class(SHELF).boxes))
        product_recall.append(_recall(boxes[classes == PRODUCT], found.of_class(PRODUCT).boxes))
    assert np.mean(shelf_recall) >= 0.7
    assert np.mean(product_recall) >= 0.7


def test_detecting_the_fitted_copy_finds_the_same_boxes() -> None:
    """What the Ray ingress does: send the image at the model's size, scale boxes back."""
    detector = ShelfDetector(COMMITTED_MODEL, DetectorConfig(batch_size=1))
    image = render_scene(np.random.default_rng([424242, 9]), build_catalogue(0),
                         (1280, 960)).image
    small, scale = fit(image, detector.imgsz)
    assert small.shape == (384, 512, 3)
    assert scale == pytest.approx(0.4)

    (direct,) = detector.detect([image])
    (via_copy,) = detector.detect([small])
    back = via_copy.rescaled(1 / scale, 1280, 960)

    assert len(direct) > 20
    np.testing.assert_array_equal(back.classes, direct.classes)
    np.testing.assert_array_equal(back.scores, direct.scores)
    np.testing.assert_allclose(back.boxes, direct.boxes, atol=0.01)


def test_rect_input_finds_what_the_square_one_finds() -> None:
    """The stride-multiple canvas is a speed-up, not a different detector: the same packs
    and rows as the square letterbox (on the 500 held-out photos, product mAP50 0.874
    against 0.875)."""
    image = render_scene(np.random.default_rng([424242, 11]), build_catalogue(0),
                         (1600, 1200)).image
    square = ShelfDetector(COMMITTED_MODEL, DetectorConfig(rect=False))
    rect = ShelfDetector(COMMITTED_MODEL, DetectorConfig(rect=True))
    assert rect.canvas_shape([image.shape[:2]]) == (384, 512)
    assert square.canvas_shape([image.shape[:2]]) == (512, 512)

    (a,) = square.detect([image])
    (b,) = rect.detect([image])
    assert len(a) > 20
    assert abs(len(a) - len(b)) <= max(2, len(a) // 20)
    _assert_same_packs_and_rows(a, b)


def test_a_batch_of_mixed_shapes_shares_one_canvas() -> None:
    """Portrait and landscape photos in one session run: one canvas holding both, and each
    photo's packs and rows found as when it runs alone."""
    catalogue = build_catalogue(0)
    wide = render_scene(np.random.default_rng([424242, 12]), catalogue, (1200, 900)).image
    tall = render_scene(np.random.default_rng([424242, 13]), catalogue, (900, 1200)).image
    detector = ShelfDetector(COMMITTED_MODEL, DetectorConfig(batch_size=2, rect=True))
    assert detector.canvas_shape([wide.shape[:2]]) == (384, 512)
    assert detector.canvas_shape([wide.shape[:2], tall.shape[:2]]) == (512, 512)
    batched = detector.detect([wide, tall])
    alone = [detector.detect([image])[0] for image in (wide, tall)]
    for together, single in zip(batched, alone, strict=True):
        assert len(single) > 20
        _assert_same_packs_and_rows(single, together)


def _assert_same_packs_and_rows(a: Detections, b: Detections) -> None:
    """At least 95% of the packs and of the shelf rows of ``a`` are in ``b`` (same class,
    IoU >= 0.5)."""
    for class_id in (PRODUCT, SHELF):
        boxes_a, boxes_b = a.of_class(class_id).boxes, b.of_class(class_id).boxes
        assert len(boxes_a)
        assert len(boxes_b)
        matched = (iou_matrix(boxes_a, boxes_b).max(axis=1) >= 0.5).mean()
        assert matched >= 0.95, f"class {class_id}: {matched:.1%} matched"


def test_eval_cli_reports_every_class(small_dataset: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from cli import detector as detector_commands

    app = typer.Typer()
    detector_commands.register(app)
    result = CliRunner().invoke(app, ["eval", "detector", "--model", str(COMMITTED_MODEL),
                                      "--data", str(small_dataset), "--split", "val", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["images"] == 2
    assert report["model_version"] == "shelf-detector-0.1.0"
    assert [c["name"] for c in report["classes"]] == ["product", "shelf", "price_tag"]
    assert all(0.0 <= c["map50"] <= 1.0 for c in report["classes"])
