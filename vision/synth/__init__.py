"""Synthetic shelf photos for training and testing the shelf detector.

``catalogue`` (SKUs and pack art) → ``fixture`` (bays, rows, facings in cm) → ``camera`` and
``lighting`` (how a phone sees it) → ``scene`` (one rendered photo and its ground truth) →
``labels`` (YOLO labels, sidecar JSON) → ``dataset`` (a seeded folder ultralytics can train on).

Bump ``GENERATOR_VERSION`` whenever the same seed would render different pixels or labels.
"""

GENERATOR_VERSION = "0.1.0"
