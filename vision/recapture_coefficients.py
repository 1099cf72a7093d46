"""The recapture model's committed coefficients (see :mod:`vision.recapture`).

Logistic regression on standardised features, fitted by ``python -m
benchmarks.recapture_detection --tune --tune-photos 600`` on the tune split (seed 1, 600
rendered scenes, each honest and once recaptured, alternately on a screen and a print;
photos the quality gate sends back for a retake left out: 1,059 photos). Never fitted on
real photos. The thresholds that turn its
probability into a reason are :class:`vision.recapture.RecapturePolicy`'s.
"""

FEATURES = ("grid_peak", "colour_peak", "peak_count", "grid_isolation", "colour_isolation",
            "fine_energy", "black_level", "min_channel",
            "saturation", "saturation_p95", "contrast", "bezel_min", "bezel_mean")
MEANS = (2.634, 1.7262, 2.3691, 2.3843, 1.3542, -0.9407, 31.5222, 14.5354, 67.0206, 169.1813,
         181.068, 0.0319, 0.0933)
SCALES = (1.1006, 0.8547, 2.0882, 1.0844, 0.6322, 0.4738, 16.0186, 17.8808, 25.8172, 54.0506,
          36.4266, 0.155, 0.2144)
COEFFICIENTS = (2.4306, 1.6533, -0.4495, 2.1672, -0.6824, 1.2992, -0.5768, 2.5711, -0.1121,
                -0.6754, -0.8526, 0.9256, 1.6152)
INTERCEPT = 1.4904
