"""P/R/mAP on cases small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tests.vision.builders import make_detections, make_truth
from vision.detection_metrics import average_precision, evaluate, match

NAMES = ("product", "shelf", "price_tag")
SQUARE = (0.0, 0.0, 10.0, 10.0)


def test_perfect_detections_score_one() -> None:
    truth = make_truth([SQUARE, (20, 0, 30, 10)], [0, 1])
    found = make_detections([SQUARE, (20, 0, 30, 10)], [0.9, 0.8], [0, 1])
    metrics = evaluate([(found, truth)], NAMES)
    for name in ("product", "shelf"):
        m = metrics.by_name(name)
        assert (m.precision, m.recall, m.map50, m.map50_95) == pytest.approx((1, 1, 1, 1))
        assert m.instances == 1
    assert metrics.by_name("price_tag").instances == 0


def test_false_positive_below_the_hit_costs_nothing_in_ap() -> None:
    truth = make_truth([SQUARE])
    found = make_detections([SQUARE, (50, 50, 60, 60)], [0.9, 0.3])
    m = evaluate([(found, truth)], NAMES).by_name("product")
    assert m.map50 == pytest.approx(1.0)
    assert (m.precision, m.recall) == pytest.approx((1.0, 1.0))  # best-F1 point is before the FP


def test_false_positive_above_the_hit_halves_ap() -> None:
    truth = make_truth([SQUARE])
    found = make_detections([SQUARE, (50, 50, 60, 60)], [0.3, 0.9])
    m = evaluate([(found, truth)], NAMES).by_name("product")
    assert m.map50 == pytest.approx(0.5, abs=0.01)


def test_iou_of_0_6_counts_at_three_of_ten_thresholds() -> None:
    # Prediction 0..10 x 0..6 inside the truth 0..10 x 0..10: IoU = 60 / 100 = 0.6.
    truth = make_truth([SQUARE])
    found = make_detections([(0, 0, 10, 6)])
    assert match(found.boxes, found.classes, found.scores, truth).tolist() == [
        [True, True, True] + [False] * 7]
    m = evaluate([(found, truth)], NAMES).by_name("product")
    assert m.map50 == pytest.approx(1.0)
    assert m.map50_95 == pytest.approx(0.3)


def test_missed_box_halves_recall() -> None:
    truth = make_truth([SQUARE, (20, 0, 30, 10)])
    found = make_detections([SQUARE])
    m = evaluate([(found, truth)], NAMES).by_name("product")
    assert m.recall == pytest.approx(0.5)
    assert m.map50 == pytest.approx(0.5, abs=0.01)


def test_wrong_class_is_not_a_hit() -> None:
    truth = make_truth([SQUARE], [1])
    found = make_detections([SQUARE], classes=[0])
    metrics = evaluate([(found, truth)], NAMES)
    assert metrics.by_name("shelf").map50 == 0.0
    assert metrics.by_name("shelf").recall == 0.0


def test_one_truth_is_matched_once() -> None:
    truth = make_truth([SQUARE])
    found = make_detections([SQUARE, (0, 0, 10, 9.5)], [0.9, 0.8])
    assert match(found.boxes, found.classes, found.scores, truth)[:, 0].tolist() == [True, False]


def test_metrics_pool_over_images() -> None:
    hit = (make_detections([SQUARE]), make_truth([SQUARE]))
    miss = (make_detections([]), make_truth([SQUARE]))
    m = evaluate([hit, miss], NAMES).by_name("product")
    assert (m.images, m.instances, m.recall) == (2, 2, pytest.approx(0.5))


def test_average_precision_of_a_flat_curve() -> None:
    assert average_precision(np.array([1.0]), np.array([0.25])) == pytest.approx(0.25, abs=0.01)


def test_truth_goes_to_the_more_confident_of_two_overlapping_predictions() -> None:
    # The confident box fits worse (IoU 0.8) than the weak duplicate (IoU 1.0): COCO credits
    # the confident one, so AP stays 1.
    truth = make_truth([SQUARE])
    found = make_detections([(0, 0, 10, 8), SQUARE], [0.9, 0.2])
    assert match(found.boxes, found.classes, found.scores, truth)[:, 0].tolist() == [True, False]
    assert evaluate([(found, truth)], NAMES).by_name("product").map50 == pytest.approx(1.0)
