"""What the check-in list and its CSV export are filtered by, and the names shown beside ids.

:class:`CheckinFilters` is the list's query as the page's GET form sends it: rep, customer,
status, a reason code (check-ins whose verdict lists it), a range of local days
(``from``/``to``, both inclusive, in the tenant's time zone) and the order of the server's
submission time. :class:`Names` looks up the rep and customer names of the store's
reference data; an id without a name is shown alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

from visitproof.reasons import ReasonCode
from visitproof.records import CheckinStatus

Sort = Literal["newest", "oldest"]


@dataclass(frozen=True, slots=True)
class CheckinFilters:
    """The list's filters; None: no condition. ``day_to`` is inclusive."""

    rep_id: str | None = None
    customer_id: str | None = None
    status: CheckinStatus | None = None
    day_from: date | None = None
    day_to: date | None = None
    sort: Sort = "newest"
    reason: ReasonCode | None = None

    def query(self) -> dict[str, str]:
        """The filters in effect as query parameters (what paging and export links keep)."""
        pairs = (("rep_id", self.rep_id), ("customer_id", self.customer_id),
                 ("status", self.status.value if self.status else None),
                 ("reason", self.reason.value if self.reason else None),
                 ("from", self.day_from.isoformat() if self.day_from else None),
                 ("to", self.day_to.isoformat() if self.day_to else None),
                 ("sort", self.sort if self.sort != "newest" else None))
        return {key: value for key, value in pairs if value}

    def departed_between(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        """The local days as UTC instants: the start of ``day_from`` and the start of the
        day after ``day_to`` (exclusive), in ``timezone``."""
        zone = ZoneInfo(timezone)

        def start(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))

        return (start(self.day_from) if self.day_from else None,
                start(self.day_to + timedelta(days=1)) if self.day_to else None)


@dataclass(frozen=True, slots=True)
class Names:
    """Rep and customer names by id (from the store's reference data)."""

    reps: Mapping[str, str] = field(default_factory=dict)
    customers: Mapping[str, str] = field(default_factory=dict)

    def rep(self, rep_id: str) -> str:
        """Plain text: "name (id)", or the id alone."""
        return _named(self.reps.get(rep_id), rep_id)

    def customer(self, customer_id: str) -> str:
        return _named(self.customers.get(customer_id), customer_id)

    def rep_html(self, rep_id: str) -> str:
        return _named_html(self.reps.get(rep_id), rep_id)

    def customer_html(self, customer_id: str) -> str:
        return _named_html(self.customers.get(customer_id), customer_id)


def _named(name: str | None, key: str) -> str:
    return f"{name} ({key})" if name and name != key else key


def _named_html(name: str | None, key: str) -> str:
    if not name or name == key:
        return f"<code>{escape(key)}</code>"
    return f"{escape(name)} <code>{escape(key)}</code>"
