"""Detection quality per class: precision, recall, mAP50 and mAP50-95.

Definitions follow ultralytics / COCO so numbers are comparable with ``yolo val``:

- A prediction is a true positive at IoU threshold t when it is matched one-to-one to a
  ground-truth box of the same class with IoU >= t; a truth goes to the most confident
  prediction that overlaps it best (see ``match``).
- AP at t is the mean of the precision envelope at 101 recall levels (COCO; ultralytics
  integrates the same envelope with trapezoids, which gives 0.995 for a perfect detector).
  mAP50 is AP at t = 0.5; mAP50-95 the mean over t = 0.50, 0.55, ..., 0.95.
- Precision and recall are reported at IoU 0.5 and at the confidence that maximises the
  class's F1, which is where a deployed threshold would be set.

Boxes are (N, 4) xyxy pixels; classes (N,) int ids; scores (N,) 0..1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision.detector import Detections, ShelfDetector, iou_matrix
from vision.synth.labels import read_yolo
from visitproof.errors import InvalidInput

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class GroundTruthBoxes:
    """Labelled boxes of one image: (M, 4) float32 xyxy pixels and (M,) int64 class ids."""

    boxes: npt.NDArray[np.float32]
    classes: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        if self.boxes.ndim != 2 or self.boxes.shape[1] != 4:
            raise InvalidInput(f"boxes must be (M, 4), got {self.boxes.shape}")
        if self.classes.shape != (self.boxes.shape[0],):
            raise InvalidInput(
                f"classes must be ({self.boxes.shape[0]},), got {self.classes.shape}"
            )


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    """Scores of one class over a dataset; all in 0..1 except the counts."""

    name: str
    images: int
    instances: int
    precision: float
    recall: float
    map50: float
    map50_95: float


@dataclass(frozen=True, slots=True)
class DetectionMetrics:
    """Per-class metrics and the number of images they were measured on."""

    images: int
    classes: tuple[ClassMetrics, ...]

    def by_name(self, name: str) -> ClassMetrics:
        for metrics in self.classes:
            if metrics.name == name:
                return metrics
        raise InvalidInput(f"no class named {name!r}; have {[c.name for c in self.classes]}")


def match(pred_boxes: npt.NDArray[np.float32], pred_classes: npt.NDArray[np.int64],
          pred_scores: npt.NDArray[np.float32], truth: GroundTruthBoxes,
          thresholds: FloatArray = IOU_THRESHOLDS) -> BoolArray:
    """(N, T) true-positive flags of N predictions at T IoU thresholds, one image.

    Each prediction is paired with the truth it overlaps most; each truth then goes to the
    most confident prediction paired with it (as COCO and ultralytics do). Giving the truth
    to the best-IoU prediction instead would turn a confident hit into a false positive
    whenever a weaker duplicate fits slightly better, and understate AP.
    """
    correct = np.zeros((pred_boxes.shape[0], len(thresholds)), bool)
    if pred_boxes.shape[0] == 0 or truth.boxes.shape[0] == 0:
        return correct
    iou = iou_matrix(truth.boxes, pred_boxes).astype(np.float64)  # (M, N)
    iou = iou * (truth.classes[:, None] == pred_classes[None, :])
    rank = np.empty(len(pred_scores), np.int64)
    rank[np.argsort(-pred_scores, kind="stable")] = np.arange(len(pred_scores))
    for t, threshold in enumerate(thresholds):
        gt_idx, pred_idx = np.nonzero(iou >= threshold)
        if gt_idx.size == 0:
            continue
        by_iou = np.argsort(-iou[gt_idx, pred_idx], kind="stable")
        gt_idx, pred_idx = gt_idx[by_iou], pred_idx[by_iou]
        _, best_truth = np.unique(pred_idx, return_index=True)
        gt_idx, pred_idx = gt_idx[best_truth], pred_idx[best_truth]
        by_confidence = np.argsort(rank[pred_idx], kind="stable")
        gt_idx, pred_idx = gt_idx[by_confidence], pred_idx[by_confidence]
        _, first = np.unique(gt_idx, return_index=True)
        correct[pred_idx[first], t] = True
    return correct


def average_precision(recall: FloatArray, precision: FloatArray) -> float:
    """COCO 101-point AP of a curve ordered by descending confidence (recall non-decreasing).

    At each recall level r in 0, 0.01, ..., 1 take the best precision reached at any recall
    >= r (0 if r is never reached) and average. A perfect detector scores exactly 1.
    """
    if recall.size == 0:
        return 0.0
    envelope = np.flip(np.maximum.accumulate(np.flip(precision)))
    index = np.searchsorted(recall, np.linspace(0, 1, 101), side="left")
    reached = index < recall.size
    sampled = np.where(reached, envelope[np.minimum(index, recall.size - 1)], 0.0)
    return float(sampled.mean())


def _class_metrics(name: str, images: int, n_truth: int, correct: BoolArray,
                   scores: FloatArray) -> ClassMetrics:
    if n_truth == 0:
        return ClassMetrics(name, images, 0, 0.0, 0.0, 0.0, 0.0)
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(correct[order], axis=0).astype(np.float64)
    fp = np.cumsum(~correct[order], axis=0).astype(np.float64)
    recall = tp / n_truth
    precision = tp / np.maximum(tp + fp, 1e-9)
    aps = [average_precision(recall[:, t], precision[:, t]) for t in range(correct.shape[1])]
    if len(order):
        f1 = 2 * precision[:, 0] * recall[:, 0] / np.maximum(precision[:, 0] + recall[:, 0], 1e-9)
        best = int(np.argmax(f1))
        p_at, r_at = float(precision[best, 0]), float(recall[best, 0])
    else:
        p_at = r_at = 0.0
    return ClassMetrics(name, images, n_truth, p_at, r_at, aps[0], float(np.mean(aps)))


def evaluate(pairs: Iterable[tuple[Detections, GroundTruthBoxes]],
             class_names: Sequence[str]) -> DetectionMetrics:
    """Per-class metrics over (detections, ground truth) pairs, one pair per image.

    Detections should come from a low confidence threshold (e.g. 0.001) so the whole
    precision/recall curve is seen.
    """
    n_classes = len(class_names)
    correct: list[BoolArray] = []
    scores: list[FloatArray] = []
    pred_classes: list[npt.NDArray[np.int64]] = []
    truth_counts = np.zeros(n_classes, np.int64)
    images_with = np.zeros(n_classes, np.int64)
    n_images = 0
    for detections, truth in pairs:
        n_images += 1
        correct.append(match(detections.boxes, detections.classes, detections.scores, truth))
        scores.append(detections.scores.astype(np.float64))
        pred_classes.append(detections.classes)
        counts = np.bincount(truth.classes, minlength=n_classes)[:n_classes]
        truth_counts += counts
        images_with += counts > 0
    all_correct = np.concatenate(correct) if correct else np.zeros((0, len(IOU_THRESHOLDS)), bool)
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    all_classes = np.concatenate(pred_classes) if pred_classes else np.zeros(0, np.int64)
    per_class = tuple(
        _class_metrics(name, int(images_with[c]), int(truth_counts[c]),
                       all_correct[all_classes == c], all_scores[all_classes == c])
        for c, name in enumerate(class_names)
    )
    return DetectionMetrics(n_images, per_class)


def labelled_images(root: Path, split: str | None = None) -> list[tuple[Path, Path]]:
    """(image, YOLO label) pairs of a rendered dataset folder, sorted by path.

    ``split`` is ``"train"``, ``"val"`` or ``None`` for every image under ``root/images``.
    """
    images_dir = root / "images" / split if split else root / "images"
    if not images_dir.is_dir():
        raise InvalidInput(f"no images folder at {images_dir}")
    pairs = []
    for image in sorted(images_dir.rglob("*.jpg")) + sorted(images_dir.rglob("*.png")):
        relative = image.relative_to(root / "images")
        pairs.append((image, (root / "labels" / relative).with_suffix(".txt")))
    if not pairs:
        raise InvalidInput(f"no .jpg or .png images under {images_dir}")
    return pairs


def evaluate_folder(detector: ShelfDetector, root: Path, split: str | None = None) -> (
    DetectionMetrics
):
    """Run the ONNX detector over a rendered dataset folder and score it against its labels.

    Images are read and detected in batches of the detector's ``batch_size``.
    """
    pairs = labelled_images(root, split)

    def stream() -> Iterator[tuple[Detections, GroundTruthBoxes]]:
        step = detector.config.batch_size
        for start in range(0, len(pairs), step):
            chunk = pairs[start : start + step]
            images = [_read_image(path) for path, _ in chunk]
            for image, (_, label), found in zip(images, chunk, detector.detect(images),
                                                strict=True):
                boxes, classes = read_yolo(label, image.shape[1], image.shape[0])
                yield found, GroundTruthBoxes(boxes, classes)

    return evaluate(stream(), detector.class_names)


def _read_image(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InvalidInput(f"cannot decode image {path}")
    return np.asarray(image, np.uint8)
