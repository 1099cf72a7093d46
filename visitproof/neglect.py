"""Neglected customers: the one definition behind PHI's ``UNTOUCHED_CUSTOMERS`` warning, the
coverage gaps (``/v1/coverage-gaps``, ``visitproof overlap``) and the overlap map's
neglected customers. It lives in the kernel because ``phi/`` and ``geo/`` both use it and
may not import each other.

A customer is **neglected** as of an instant T (UTC) when no verified visit to it, by any
rep, departed before T ("never"), or the latest one departed ``neglect_days`` days or more
before T (default :data:`NEGLECT_DAYS`, 21: the brief's warning sign). In detail:

* **as of**: T is the end of the period being reported, or now if that is earlier
  (:func:`judged_at`). A report on October says what was neglected at the end of October,
  and says the same when re-read in December (judged at "now", every October customer
  would be "untouched" by then); the current period shows today's state. A screen with no
  period (``/v1/coverage-gaps``) judges at now.
* **which visits**: verified check-ins only (an unverified visit proves nothing, the rule of
  the whole index), by **any** rep: the question is "has anyone of ours seen this
  customer", so a colleague's verified visit covers it (the overlap page shows who farms
  whose customers; that is not neglect).
* **which customers**: owned ones. A customer's owners are its assigned reps (primary
  first) or, when it has none, the reps whose territory is the customer's territory
  (:func:`owner_rep_ids`). A rep's neglected customers are the neglected customers it owns;
  a team's (any set of reps') are the union of its reps'. A customer nobody owns appears
  only in the tenant-wide figure, on no rep's list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from visitproof.values import require_utc

NEGLECT_DAYS = 21
STATUSES = ("covered", "neglected", "never")
DEFINITION = ("a customer with no verified visit by anyone for neglect_days days or more "
              "(or never) as of the period's end, or now if earlier; owned by its assigned "
              "reps, or by the reps of its territory when it has none")


def judged_at(period_end: datetime, now: datetime) -> datetime:
    """When neglect is judged for a period ending at ``period_end`` (exclusive) read at
    ``now``: the earlier of the two (both tz-aware; naive raises)."""
    return min(require_utc(period_end, "period end"), require_utc(now, "now"))


def owner_rep_ids(assigned: Iterable[Sequence[str]], territories: Iterable[object],
                  rep_territory: Mapping[str, str | None]) -> list[tuple[str, ...]]:
    """Per customer, its owners: the assigned reps (in order) or, when there are none, the
    reps (sorted by id) whose territory is the customer's ``territories`` entry (None or
    NaN: no territory, no owner)."""
    by_territory: dict[str, list[str]] = {}
    for rep_id, territory_id in sorted(rep_territory.items()):
        if territory_id is not None:
            by_territory.setdefault(territory_id, []).append(rep_id)
    return [tuple(ids) or (tuple(by_territory.get(territory, ()))
                           if isinstance(territory, str) else ())
            for ids, territory in zip(assigned, territories, strict=True)]


def last_touches(visits: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """Per customer with a verified visit departed before ``at`` (UTC): ``last_touch`` (the
    latest departure, UTC) and ``last_touch_rep_id`` (its rep; the larger rep id on a tie),
    indexed by ``customer_id``. ``visits``: verified visits with ``customer_id``,
    ``rep_id`` and ``departed_at`` (datetime64 UTC); which ones are verified is the
    caller's rule, applied before."""
    stamp = pd.Timestamp(require_utc(at, "at"))
    before = visits.loc[visits["departed_at"] < stamp, ["customer_id", "rep_id", "departed_at"]]
    before = before.astype({"customer_id": object})  # an empty frame's ids may be float
    latest = before.sort_values(["departed_at", "rep_id"]).drop_duplicates(
        "customer_id", keep="last")
    return (latest.set_index("customer_id")[["departed_at", "rep_id"]]
            .rename(columns={"departed_at": "last_touch", "rep_id": "last_touch_rep_id"}))


def neglect_status(customer_ids: Iterable[str], visits: pd.DataFrame, at: datetime,
                   neglect_days: int = NEGLECT_DAYS) -> pd.DataFrame:
    """One row per customer, in the order given: ``customer_id``, ``last_touch`` (UTC or
    NaT), ``last_touch_rep_id``, ``days`` untouched as of ``at`` (float days, NaN when
    never) and ``status`` ("covered", "neglected" or "never"; see the module docstring)."""
    stamp = pd.Timestamp(require_utc(at, "at"))
    frame = pd.DataFrame({"customer_id": pd.Series(list(customer_ids), dtype=object)}).join(
        last_touches(visits, stamp.to_pydatetime()), on="customer_id")
    frame["last_touch"] = pd.to_datetime(frame["last_touch"], utc=True)
    days = (stamp - frame["last_touch"]).dt.total_seconds() / 86400.0
    status = np.where(days.isna(), "never",
                      np.where(days >= neglect_days, "neglected", "covered"))
    return frame.assign(days=days, status=status)


def neglected_ids(status: pd.DataFrame, reps: Iterable[str] | None = None) -> frozenset[str]:
    """Ids of the neglected (or never visited) customers in ``status`` (a
    :func:`neglect_status` table with ``owner_rep_ids``) that one of ``reps`` owns; all of
    them, owned or not, when ``reps`` is None. The set of a group of reps is the union of
    each rep's."""
    gap = status.loc[status["status"] != "covered"]
    if reps is None:
        return frozenset(gap["customer_id"].astype(str))
    wanted = frozenset(reps)
    return frozenset(str(c) for c, owners in zip(gap["customer_id"], gap["owner_rep_ids"],
                                                 strict=True) if wanted.intersection(owners))
