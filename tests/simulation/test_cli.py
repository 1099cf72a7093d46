"""``visitproof simulate`` and ``visitproof eval fraud`` end to end on a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import typer
from typer.testing import CliRunner

from application.settings import build_settings
from cli import fraud_eval, simulate
from visitproof.records import CheckinStatus
from visitproof.store import Store, open_database


def _app() -> typer.Typer:
    app = typer.Typer()
    simulate.register(app)
    fraud_eval.register(app)
    return app


def test_simulate_then_evaluate(tmp_path: Path) -> None:
    runner = CliRunner()
    app = _app()
    result = runner.invoke(app, ["simulate", "--reps", "6", "--customers", "60", "--days", "5",
                                 "--seed", "5", "--fraud-rate", "0.2", "--data-dir",
                                 str(tmp_path)])
    assert result.exit_code == 0, result.output

    settings = build_settings(data_dir=tmp_path)
    database = open_database(settings.resolved_database_url)
    with database.connect() as connection:
        store = Store(connection, settings.tenant)
        checkins = store.checkins.find()
        assert len(store.reference.reps()) == 6
        assert len(store.reference.customers()) == 60
        assert store.crm.leads()
        assert store.crm.contacts()
        assert store.reference.territories()
    database.dispose()
    statuses = {c.status for c in checkins}
    assert {CheckinStatus.VERIFIED, CheckinStatus.REJECTED} <= statuses
    assert all(any(v.checker == "fix" for v in c.verifications) for c in checkins)

    folder = tmp_path / "simulation"
    frame = gpd.read_parquet(folder / "checkins.parquet")
    assert len(frame) == len(checkins)
    assert {"fraud_type", "exif_captured_at", "status", "codes"} <= set(frame.columns)
    for name in ("customers", "territories", "routes"):
        assert gpd.read_parquet(folder / f"{name}.parquet").crs.to_epsg() == 4326

    evaluated = runner.invoke(app, ["eval", "fraud", "--data-dir", str(tmp_path), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert report["checkins"] == len(checkins)
    assert 0.0 <= report["honest_false_reject_rate"] <= 1.0
    assert set(report["recall"]) <= {"backfill", "remote", "teleport", "mock_location",
                                      "clock_tampering", "photo_reuse", "exif_mismatch"}

    again = runner.invoke(app, ["simulate", "--reps", "6", "--customers", "60", "--days",
                                "5", "--seed", "5", "--data-dir", str(tmp_path)])
    assert again.exit_code != 0


def test_eval_without_simulation_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["eval", "fraud", "--data-dir", str(tmp_path)])

    assert result.exit_code != 0
    assert "simulate" in str(result.exception)
