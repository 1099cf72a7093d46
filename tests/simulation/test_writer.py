"""Store records of a simulation (:mod:`simulation.writer`): pushed completions carry a
strategy, so PHI phi-2's closure equals the closure by completion date alone."""

from __future__ import annotations

from simulation.scenario import SimulationConfig, simulate
from simulation.writer import STRATEGIES, checkin_records
from visitproof.pushed_actions import require_strategy_sentence, requires_strategy

CONFIG = SimulationConfig(reps=4, customers=60, days=6, seed=5, fraud_rate=0.1)


def test_every_pushed_completion_has_a_one_sentence_strategy_and_no_other_does() -> None:
    checkins, outcomes = checkin_records(simulate(CONFIG))
    due = {checkin.id: checkin.next_action.due_at for checkin in checkins}
    pushed = [o for o in outcomes if requires_strategy(due[o.checkin_id], o.completed_at)]
    assert pushed  # both kinds occur
    assert len(pushed) < len(outcomes)
    assert all(o.strategy in STRATEGIES for o in pushed)
    assert all(o.strategy is None for o in outcomes if o not in pushed)
    assert {require_strategy_sentence(text) for text in STRATEGIES} == set(STRATEGIES)


def test_strategies_are_seeded() -> None:
    first = [o.strategy for o in checkin_records(simulate(CONFIG))[1]]
    assert first == [o.strategy for o in checkin_records(simulate(CONFIG))[1]]
