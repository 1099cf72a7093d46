"""Shelf photos: detector (ONNX Runtime), shelf geometry, golden zone, photo integrity,
synthetic shelves and training. Never imports torch or ultralytics outside ``training``."""
