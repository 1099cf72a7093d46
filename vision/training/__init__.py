"""Training and export of the shelf detector: the only place torch and ultralytics are used.

Both are imported lazily inside functions, so ``import vision.training`` works on a service
install that lacks the ``train`` extra.
"""
