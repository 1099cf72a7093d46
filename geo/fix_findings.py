"""What the fix rules found in N check-ins: which rows carry each reason code, how to word
its message for one row, and the measurements behind them.

The rules (:mod:`geo.fix_rules`) fill one :class:`FixFindings` per call; the two forms read
it back, :func:`geo.fix_batch.verify_fixes` as columns and
:func:`geo.fix_integrity.check_raw_fix` as one :class:`~geo.fix_integrity.FixVerdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.reasons import FIX_CODES, position_trusted
from visitproof.reasons import REASONS, ReasonCode, Severity, reason
from visitproof.records import Reason

Bool = npt.NDArray[np.bool_]
Float = npt.NDArray[np.float64]
Fields = Callable[..., Mapping[str, Any]]  # (row) -> template fields

MEASUREMENTS = ("distance_m", "allowed_m", "tolerance_m", "submit_delay_s", "clock_skew_s",
                "speed_kmh")


class FixFindings:
    """Per reason code found, the rows that carry it; per measurement (metres, seconds, km/h, see
    :data:`MEASUREMENTS`), its values (NaN where not measured) and the rows measured.

    A row keeps the first message found for a code: later rules may flag the same code
    (``TIME_ORDER`` has two causes) but never reword it.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: dict[ReasonCode, Bool] = {}
        self._messages: dict[ReasonCode, list[tuple[Bool, Fields]]] = {}
        self.values: dict[str, Float] = {name: np.full(n, np.nan) for name in MEASUREMENTS}
        self.measured: dict[str, Bool] = {name: np.zeros(n, dtype=bool)
                                          for name in MEASUREMENTS}

    def add(self, code: ReasonCode, rows: Bool, fields: Fields) -> None:
        """Flag ``rows`` with ``code``; ``fields(i)`` gives the message template's fields
        for row i (called only when a message is written)."""
        if not np.count_nonzero(rows):  # most rules flag nothing: keep that path short
            return
        current = self.rows.get(code)
        new = rows.copy() if current is None else rows & ~current
        self.rows[code] = new if current is None else current | new
        self._messages.setdefault(code, []).append((new, fields))

    def measure(self, name: str, rows: Bool, values: Float) -> None:
        """Record measurement ``name`` as ``values`` on ``rows``."""
        self.values[name][rows] = values[rows]
        self.measured[name] |= rows

    def reason(self, code: ReasonCode, i: int) -> Reason:
        """The reason ``code`` of row i, worded from the rule that flagged it first."""
        for rows, fields in self._messages[code]:
            if rows[i]:
                return reason(code, **fields(i))
        raise KeyError(code)

    def codes(self, i: int) -> tuple[ReasonCode, ...]:
        """Row i's codes in the order verdicts list them."""
        return tuple(code for code in FIX_CODES
                     if code in self.rows and bool(self.rows[code][i]))

    def position_doubted(self) -> Bool:
        """Rows with a code that casts doubt on the position itself."""
        out = np.zeros(self.n, dtype=bool)
        for code, rows in self.rows.items():
            if not position_trusted([code]):
                out |= rows
        return out

    def any_with(self, severity: Severity) -> Bool:
        """Rows with a code of ``severity``."""
        out = np.zeros(self.n, dtype=bool)
        for code, rows in self.rows.items():
            if REASONS[code].severity is severity:
                out |= rows
        return out
