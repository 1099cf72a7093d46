"""The fraud evaluation: recall per variant at upload time and in batch re-verification
with look-ahead, over a small simulation written to disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.evaluation import FraudEvaluation, evaluate_fraud
from simulation.scenario import SimulationConfig, simulate
from simulation.writer import write_geoparquet
from visitproof.errors import InvalidInput

CONFIG = SimulationConfig(reps=8, customers=120, days=8, seed=3, fraud_rate=0.2)


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> FraudEvaluation:
    data_dir = tmp_path_factory.mktemp("sim")
    write_geoparquet(simulate(CONFIG), data_dir)
    return evaluate_fraud(data_dir, seed=CONFIG.seed)


def test_every_mock_location_variant_is_caught_in_batch(evaluation: FraudEvaluation) -> None:
    mock = {name: recall for name, recall in evaluation.batch_variant_recall.items()
            if name.startswith("mock_location/")}
    assert {"mock_location/replayed_point", "mock_location/constant_run"} <= set(mock)
    assert all(recall >= 0.98 for recall in mock.values()), mock
    # upload time sees only the past: the first fixes of a constant run get through
    assert evaluation.variant_recall["mock_location/constant_run"] < 1.0


def test_batch_only_adds_review_on_honest_check_ins(evaluation: FraudEvaluation) -> None:
    assert evaluation.batch_honest_false_reject_rate == evaluation.honest_false_reject_rate
    assert evaluation.batch_honest_review_rate >= evaluation.honest_review_rate
    assert evaluation.batch_honest_false_reject_rate <= 0.01
    for kind, recall in evaluation.recall.items():
        assert evaluation.batch_recall[kind] >= recall
        assert evaluation.batch_reject_recall[kind] == evaluation.reject_recall[kind]
    assert set(evaluation.batch_honest_codes) >= {"FIX_COORDINATES_SENT_AGAIN",
                                                  "FIX_ACCURACY_CONSTANT_RUN"}


def test_variant_tables_line_up(evaluation: FraudEvaluation) -> None:
    names = set(evaluation.variant_recall)
    assert names == set(evaluation.batch_variant_recall) == set(evaluation.variant_support)
    assert sum(evaluation.variant_support.values()) == sum(evaluation.support.values())
    assert "batch_variant_recall" in evaluation.as_json()


def test_a_missing_simulation_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no simulated data"):
        evaluate_fraud(tmp_path)
