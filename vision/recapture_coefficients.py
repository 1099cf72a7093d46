"""The recapture model's committed coefficients (see :mod:`vision.recapture`).

Logistic regression on standardised features, fitted by ``python -m
benchmarks.recapture_detection --tune`` on the tune split (seed 1, 120 rendered scenes, each
honest and once recaptured, screen or print; photos the quality gate sends back for a
retake left out: 213 photos). Never fitted on real photos. The thresholds that turn its
probability into a reason are :class:`vision.recapture.RecapturePolicy`'s.
"""

FEATURES = ("grid_peak", "colour_peak", "peak_count", "grid_isolation", "colour_isolation",
            "fine_energy")
MEANS = (2.6026, 1.6656, 2.2145, 2.3459, 1.353, -0.9192)
SCALES = (1.1291, 0.8256, 2.0544, 1.1014, 0.6224, 0.515)
COEFFICIENTS = (3.5581, 0.0081, -1.203, 2.247, -0.5537, 1.012)
INTERCEPT = 0.9341
