"""The push rule and the one-sentence strategy (:mod:`visitproof.pushed_actions`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pandas as pd
import pytest

from tests.builders import at
from visitproof.errors import InvalidValue
from visitproof.pushed_actions import (
    pushed_at,
    require_strategy_sentence,
    requires_strategy,
    strategy_required_mask,
)
from visitproof.records import ActionOutcome

DUE = "2026-11-05T10:00:00+00:00"


@pytest.mark.parametrize(("text", "expected", "code"), [
    ("Lead with the uptime figures", "Lead with the uptime figures", None),
    ("  Lead with the uptime figures.  ", "Lead with the uptime figures.", None),
    ("Will the trial fit the DSA unit?", "Will the trial fit the DSA unit?", None),
    ("Push the 2.5% discount only if Dr. Zhang asks!", None, None),
    ("Offer a trial, e.g. two weeks in radiology", None, None),
    ('He said "compare quotes."', None, None),
    ("先送对比报价，再约李主任确认试用时间。", None, None),
    ("下周三前拿到反馈！", None, None),
    ("Send the quote. Then call Dr Li", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("Send the quote! Call Dr Li.", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("Why wait? Call now", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("先送报价。再约主任", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("先送报价！再约主任。", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("Send the quote\nthen call", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("...", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("", None, "EMPTY_FIELD"),
    ("   ", None, "EMPTY_FIELD"),
    ("x" * 200, "x" * 200, None),
    ("x" * 201, None, "TOO_LONG"),
])
def test_one_sentence(text: str, expected: str | None, code: str | None) -> None:
    if code is not None:
        with pytest.raises(InvalidValue) as raised:
            require_strategy_sentence(text)
        assert (raised.value.code, raised.value.field) == (code, "strategy")
    else:
        assert require_strategy_sentence(text) == (expected or text.strip())


@pytest.mark.parametrize(("completed", "lead_hours", "required"), [
    ("2026-11-04T09:59:59+00:00", 24, False),  # a second before the reminder
    ("2026-11-04T10:00:00+00:00", 24, True),   # at the reminder
    ("2026-11-04T18:00:00+08:00", 24, True),   # 10:00 UTC, written in +08:00
    ("2026-11-06T10:00:00+00:00", 24, True),   # overdue
    ("2026-11-04T12:00:00+00:00", 12, False),  # a shorter lead pushes later
    ("2026-11-05T10:00:00+00:00", 0, True),    # lead 0: pushed when due
])
def test_requires_strategy(completed: str, lead_hours: int, required: bool) -> None:
    lead = timedelta(hours=lead_hours)
    assert requires_strategy(at(DUE), at(completed), lead) is required
    mask = strategy_required_mask(pd.Series([pd.Timestamp(DUE)]),
                                  pd.Series([pd.Timestamp(completed).tz_convert("UTC")]), lead)
    assert mask.tolist() == [required]


def test_pushed_at_is_the_lead_before_due_and_refuses_bad_input() -> None:
    assert pushed_at(at(DUE)) == at("2026-11-04T10:00:00+00:00")
    with pytest.raises(InvalidValue) as raised:
        pushed_at(at(DUE), timedelta(hours=-1))
    assert raised.value.code == "BAD_POLICY"
    with pytest.raises(InvalidValue) as naive:
        pushed_at(at(DUE).replace(tzinfo=None))
    assert naive.value.code == "NAIVE_TIMESTAMP"


def test_a_missing_completion_needs_no_strategy() -> None:
    mask = strategy_required_mask(pd.Series([pd.Timestamp(DUE)]),
                                  pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"))
    assert mask.tolist() == [False]


@pytest.mark.parametrize(("strategy", "stored", "code"), [
    (None, None, None),
    (" Call Dr. Li first ", "Call Dr. Li first", None),
    ("Call. Then visit", None, "STRATEGY_NOT_ONE_SENTENCE"),
    ("", None, "EMPTY_FIELD"),
])
def test_action_outcome_validates_its_strategy(strategy: str | None, stored: str | None,
                                               code: str | None) -> None:
    def build() -> ActionOutcome:
        return ActionOutcome(tenant_id="acme", checkin_id=uuid.uuid4(), completed_at=at(DUE),
                             completed_by="r1", strategy=strategy)
    if code is None:
        assert build().strategy == stored
    else:
        with pytest.raises(InvalidValue) as raised:
            build()
        assert raised.value.code == code
