"""The fix-integrity policy: every threshold the GPS and timestamp checks use, as data.

Built by the caller (the service from its rules table, the simulator, a test) and passed in;
``geo/`` never reads settings or the environment. The defaults are the product rules of the
brief (15-minute submission window) and what phones and roads make plausible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from visitproof.records import CustomerType

FloatArray = npt.NDArray[np.float64]

_DEFAULT_RADII: tuple[tuple[CustomerType, float], ...] = (
    (CustomerType.CONVENIENCE_STORE, 100.0),
    (CustomerType.PHARMACY, 100.0),
    (CustomerType.SUPERMARKET, 150.0),
    (CustomerType.CLINIC, 150.0),
    (CustomerType.WHOLESALER, 200.0),
    (CustomerType.HYPERMARKET, 250.0),
    (CustomerType.HOSPITAL_DEPARTMENT, 300.0),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixIntegrityPolicy:
    """Thresholds of the fix checks. Distances in metres, durations in seconds, speeds in
    km/h, instants tz-aware UTC.

    ``radius_by_type_m`` gives the geofence radius per customer type; a type it does not
    list falls back to the customer's own ``geofence_radius_m``. The fix's reported accuracy
    is added as tolerance, capped at ``max_accuracy_tolerance_m`` so a 5 km "fix" cannot pass.
    Submissions later than ``submit_window_s`` after departure need review; later than
    ``backfill_after_s`` they are rejected as back-filled.
    """

    version: str = "fix-integrity/1"
    radius_by_type_m: tuple[tuple[CustomerType, float], ...] = _DEFAULT_RADII
    max_accuracy_tolerance_m: float = 100.0
    poor_accuracy_m: float = 100.0
    submit_window_s: float = 15 * 60.0
    backfill_after_s: float = 60 * 60.0
    min_dwell_s: float = 120.0
    clock_skew_tolerance_s: float = 120.0
    future_tolerance_s: float = 60.0
    visit_time_tolerance_s: float = 5 * 60.0
    earliest_valid: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    max_speed_kmh: float = 150.0
    movement_lookback_s: float = 12 * 3600.0
    constant_accuracy_run: int = 5
    regular_timing_run: int = 5
    regular_timing_spread_s: float = 20.0
    grid_step_deg: float = 1e-4
    exact_point_m: float = 0.05
    exif_time_tolerance_s: float = 5 * 60.0
    exif_distance_tolerance_m: float = 250.0

    def radius_for(self, customer_type: CustomerType, customer_radius_m: float) -> float:
        """Allowed distance (metres) for a customer of ``customer_type``."""
        for kind, radius in self.radius_by_type_m:
            if kind == customer_type:
                return radius
        return customer_radius_m

    def accuracy_tolerance_m(self, accuracy_m: FloatArray) -> FloatArray:
        """The tolerance (metres) each reported accuracy (metres) earns: the accuracy capped
        at ``max_accuracy_tolerance_m``, 0 where it is not a distance >= 0."""
        good = np.isfinite(accuracy_m) & (accuracy_m >= 0)
        return np.where(good, np.minimum(np.where(good, accuracy_m, 0.0),
                                         self.max_accuracy_tolerance_m), 0.0)

    @property
    def max_speed_ms(self) -> float:
        """The speed ceiling in metres per second."""
        return self.max_speed_kmh / 3.6
