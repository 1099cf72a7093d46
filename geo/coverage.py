"""Coverage gaps: customers nobody has visited, verified, for ``neglect_days`` or more.

What "neglected" means — which visits count, which customers, as of when, who owns a
customer — is :mod:`visitproof.neglect`, the same definition PHI's ``UNTOUCHED_CUSTOMERS``
warning uses. In short: a customer's **last touch** is the latest departure of a verified
visit to it, by any rep, before "now" (passed in, UTC; a report passes its period's end, or
now if earlier); it is a **gap** when it has no last touch at all, or
``now - last_touch >= neglect_days`` days. Its **owners** (``owner_rep_ids``) are its
assigned reps, primary first, or, when it has none, the reps whose territory is the
customer's territory.

Gaps are ranked by potential — the customer's tier (A, then B, then C; records carry no
finer potential figure) — then by days untouched (never-touched first, then the longest),
then by id, so the list is stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from geo.routes import Visits
from geo.territory_overlap import OverlapPolicy
from visitproof import neglect
from visitproof.errors import InvalidValue
from visitproof.records import Customer, Rep

SITE_COLUMNS = ("customer_id", "name", "tier", "lon", "lat", "territory_id",
                "assigned_rep_ids")
TIER_RANK = {"A": 0, "B": 1, "C": 2}


@dataclass(frozen=True, slots=True)
class CustomerSites:
    """Customers as a table: ``customer_id``, ``name``, ``tier`` ("A"/"B"/"C"), ``lon``,
    ``lat`` (degrees), ``territory_id`` (str or None), ``assigned_rep_ids`` (tuple of str,
    primary owner first). Build with :func:`customer_sites` or :func:`sites_frame`."""

    frame: pd.DataFrame


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """One neglected customer. ``days_untouched`` is None when never touched (days, float);
    ``last_touch`` is UTC."""

    customer_id: str
    name: str
    tier: str
    lon: float
    lat: float
    territory_id: str | None
    owner_rep_ids: tuple[str, ...]
    last_touch: datetime | None
    last_touch_rep_id: str | None
    days_untouched: float | None


def customer_sites(customers: Iterable[Customer]) -> CustomerSites:
    """The table from customer records."""
    rows = [(c.id, c.name, c.tier.value, c.location.lon, c.location.lat, c.territory_id,
             tuple(c.assigned_rep_ids)) for c in customers]
    return sites_frame(pd.DataFrame(rows, columns=list(SITE_COLUMNS)))


def sites_frame(frame: pd.DataFrame) -> CustomerSites:
    """Validate a customers table (see :class:`CustomerSites`)."""
    missing = [name for name in SITE_COLUMNS if name not in frame.columns]
    if missing:
        raise InvalidValue("customers", f"expected columns {list(SITE_COLUMNS)}, missing "
                           f"{missing}", code="BAD_TABLE")
    out = frame.loc[:, list(SITE_COLUMNS)].reset_index(drop=True)
    bad_tier = ~out["tier"].isin(list(TIER_RANK))
    if bad_tier.any():
        raise InvalidValue("tier", f"expected A, B or C, got {out['tier'][bad_tier].iloc[0]!r}",
                           code="UNKNOWN_ENUM_VALUE")
    if out["customer_id"].duplicated().any():
        raise InvalidValue("customer_id", "lists a customer twice", code="DUPLICATE_ID")
    return CustomerSites(out)


def last_touches(visits: Visits, now: datetime) -> pd.DataFrame:
    """Per customer touched before ``now`` (UTC): ``last_touch`` and ``last_touch_rep_id``,
    indexed by ``customer_id`` (:func:`visitproof.neglect.last_touches`)."""
    return neglect.last_touches(visits.frame, now)


def coverage_status(sites: CustomerSites, visits: Visits, now: datetime,
                    policy: OverlapPolicy,
                    reps: Sequence[Rep] | Mapping[str, str | None] = ()) -> pd.DataFrame:
    """Every customer with ``last_touch`` (UTC or NaT), ``last_touch_rep_id``, ``days``
    untouched (float days or NaN), ``status`` ("covered", "neglected" or "never") and
    ``owner_rep_ids`` (tuple), judged at ``now`` (tz-aware; naive raises) by
    :func:`visitproof.neglect.neglect_status`."""
    status = neglect.neglect_status(sites.frame["customer_id"], visits.frame, now,
                                    policy.neglect_days)
    frame = sites.frame.join(status.drop(columns="customer_id").set_axis(sites.frame.index))
    owners = neglect.owner_rep_ids(frame["assigned_rep_ids"], frame["territory_id"],
                                   _rep_territory(reps))
    return frame.assign(owner_rep_ids=owners)


def coverage_gaps(sites: CustomerSites, visits: Visits, now: datetime, policy: OverlapPolicy,
                  reps: Sequence[Rep] | Mapping[str, str | None] = ()) -> tuple[CoverageGap, ...]:
    """Customers with no verified touch for ``policy.neglect_days`` days or more before
    ``now`` (tz-aware; naive raises), ranked by tier, then days untouched, then id.

    ``visits`` must reach back far enough to hold each customer's last touch (not just the
    reporting period). ``reps`` (records, or rep id -> territory id) supplies territory
    owners for customers with no assigned rep.
    """
    return gaps_from_status(coverage_status(sites, visits, now, policy, reps))


def gaps_from_status(status: pd.DataFrame) -> tuple[CoverageGap, ...]:
    """The ranked gaps of a :func:`coverage_status` table."""
    gap = status.loc[status["status"] != "covered"]
    gap = gap.assign(tier_rank=gap["tier"].map(TIER_RANK), never=gap["days"].isna())
    gap = gap.sort_values(["tier_rank", "never", "days", "customer_id"],
                          ascending=[True, False, False, True])
    return tuple(CoverageGap(
        customer_id=str(row.customer_id), name=str(row.name), tier=str(row.tier),
        lon=float(row.lon), lat=float(row.lat),
        territory_id=None if _missing(row.territory_id) else str(row.territory_id),
        owner_rep_ids=tuple(row.owner_rep_ids),
        last_touch=None if pd.isna(row.last_touch)
        else pd.Timestamp(row.last_touch).to_pydatetime(),
        last_touch_rep_id=None if _missing(row.last_touch_rep_id)
        else str(row.last_touch_rep_id),
        days_untouched=None if pd.isna(row.days) else float(row.days))
        for row in gap.itertuples(index=False))


def _rep_territory(reps: Sequence[Rep] | Mapping[str, str | None]) -> dict[str, str | None]:
    if isinstance(reps, Mapping):
        return dict(reps)
    return {r.id: r.territory_id for r in reps}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and bool(np.isnan(value)))
