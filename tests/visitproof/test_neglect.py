"""The neglect definition: the 21-day boundary, "never", visits after the instant, owners
by assignment or territory, and "as of" the period's end or now if earlier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from visitproof.errors import InvalidValue
from visitproof.neglect import judged_at, neglect_status, neglected_ids, owner_rep_ids

AT = datetime(2026, 12, 1, tzinfo=UTC)


def _visits(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [r[1] for r in rows], "rep_id": [r[0] for r in rows],
                         "departed_at": pd.to_datetime([AT - timedelta(days=r[2])
                                                        for r in rows], utc=True)})


@pytest.mark.parametrize(("visits", "status", "last_rep"), [
    ([("r1", "c", 20.9)], "covered", "r1"),
    ([("r1", "c", 21.0)], "neglected", "r1"),  # 21 days or more
    ([("r1", "c", 30.0), ("r2", "c", 2.0)], "covered", "r2"),  # anyone's visit counts
    ([], "never", None),
    ([("r1", "c", -1.0)], "never", None),  # departed after the instant: not yet a touch
    ([("r1", "c", 0.0)], "never", None),  # departing at the instant is not before it
    ([("r1", "c", 25.0), ("r2", "c", 25.0)], "neglected", "r2"),  # tie: larger rep id
])
def test_status(visits: list[tuple[str, str, float]], status: str,
                last_rep: str | None) -> None:
    row = neglect_status(["c"], _visits(*visits), AT).iloc[0]
    assert row["status"] == status
    assert (None if pd.isna(row["last_touch_rep_id"]) else row["last_touch_rep_id"]) == last_rep


def test_neglect_days_is_a_parameter() -> None:
    assert neglect_status(["c"], _visits(("r1", "c", 3.0)), AT, 2).iloc[0]["status"] == \
        "neglected"


@pytest.mark.parametrize(("assigned", "territory", "owners"), [
    (("r2", "r1"), "north", ("r2", "r1")),  # assigned reps, primary first
    ((), "north", ("r1", "r3")),  # none assigned: the territory's reps, by id
    ((), "east", ()),
    ((), None, ()),
    ((), float("nan"), ()),
])
def test_owners(assigned: tuple[str, ...], territory: object,
                owners: tuple[str, ...]) -> None:
    reps = {"r3": "north", "r1": "north", "r2": "south", "r4": None}
    assert owner_rep_ids([assigned], [territory], reps) == [owners]


@pytest.mark.parametrize(("period_end", "now", "expected"), [
    (AT, AT + timedelta(days=30), AT),  # a past period: its end
    (AT, AT - timedelta(days=3), AT - timedelta(days=3)),  # the current one: now
])
def test_judged_at(period_end: datetime, now: datetime, expected: datetime) -> None:
    assert judged_at(period_end, now) == expected


def test_judged_at_refuses_naive() -> None:
    with pytest.raises(InvalidValue):
        judged_at(datetime(2026, 12, 1), AT)


def test_neglected_ids_by_owner_union() -> None:
    status = neglect_status(["a", "b", "c", "d"], _visits(("r1", "b", 1.0)), AT).assign(
        owner_rep_ids=[("r1",), ("r1",), ("r1", "r2"), ()])
    assert neglected_ids(status, ["r1"]) == {"a", "c"}
    assert neglected_ids(status, ["r2"]) == {"c"}
    assert neglected_ids(status, ["r1", "r2"]) == neglected_ids(status, ["r1"]) | \
        neglected_ids(status, ["r2"])
    assert neglected_ids(status) == {"a", "c", "d"}  # with the customer nobody owns
