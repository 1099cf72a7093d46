"""``visitproof phi`` and ``visitproof phi explain`` on a real SQLite store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.phi import register
from phi.components import PHI_DEFINITION_VERSION
from tests.builders import (
    make_checkin,
    make_contact,
    make_customer,
    make_lead,
    make_outcome,
    make_rep,
    make_team,
    make_tenant,
    make_touch,
    with_verdict,
)
from visitproof.errors import InvalidInput, NotFound
from visitproof.records import CheckinStatus
from visitproof.store import Store, open_database

NOW = "2026-12-01T12:00:00+00:00"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A Berlin tenant with two reps in one team, a lead, actions and an exclusion."""
    folder = tmp_path / "data"
    database = open_database(f"sqlite:///{folder / 'visitproof.sqlite3'}", create_dir=True)
    database.migrate()
    done = make_checkin(customer="c1", contact="k1", due="2026-11-05T10:00:00+00:00")
    open_ = make_checkin(customer="c1", contact="k2", due="2026-11-06T10:00:00+00:00")
    rejected = with_verdict(make_checkin(rep="r2", customer="c2"), CheckinStatus.REJECTED,
                            "GPS_OUTSIDE_GEOFENCE")
    with database.begin() as connection:
        store = Store(connection, "acme")
        store.reference.put_tenant(make_tenant(timezone="Europe/Berlin"))
        store.reference.put_teams([make_team("t1", "east")])
        store.reference.put_reps([make_rep("r1"), make_rep("r2")])
        store.reference.put_customers([make_customer("c1"), make_customer("c2", reps=("r2",))])
        store.crm.put_contacts([make_contact("k1", "c1", "owner"),
                                make_contact("k2", "c1", "finance")])
        store.crm.put_leads([make_lead("l1"), make_lead("l2", customer=None)])
        store.checkins.add_many([done, open_, rejected])
        store.crm.put_lead_touches([make_touch("l1", "09:00")])
        store.crm.add_action_outcomes([make_outcome(done, "2026-11-04T09:00:00+00:00")])
    database.dispose()
    return folder


def _run(*args: str) -> str:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "phi" a named group
    result = CliRunner().invoke(app, ["phi", *args])
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.output


def test_json_report(data_dir: Path) -> None:
    data = json.loads(_run("--period", "2026-11", "--data-dir", str(data_dir),
                           "--tenant", "acme", "--now", NOW))
    reps = {rep["rep_id"]: rep for rep in data["reps"]}
    assert reps["r1"]["lead_activation_rate"] == 0.5  # l1 called after 1 h; l2 never
    assert reps["r1"]["action_closure_rate"] == 0.5
    assert reps["r1"]["penetration"] == 2.0  # owner + finance at c1
    assert reps["r1"]["counts"]["roles_distinct"] == 2
    expected = 100 * (0.35 * 0.5 / 0.95 + 0.40 * 0.5 / 0.88 + 0.25 * 1.0)
    assert reps["r1"]["phi"] == pytest.approx(expected, abs=1e-5)
    assert reps["r2"]["action_closure_rate"] is None
    assert data["excluded_checkins"]["by_reason"] == {"GPS_OUTSIDE_GEOFENCE": 1}
    assert data["period"]["start"] == "2026-10-31T23:00:00+00:00"  # Berlin midnight
    assert data["definition"] == PHI_DEFINITION_VERSION


def test_csv_and_html_to_files(data_dir: Path, tmp_path: Path) -> None:
    common = ["--period", "2026-W45", "--data-dir", str(data_dir), "--tenant", "acme",
              "--now", NOW, "--team", "t1"]
    _run(*common, "--format", "csv", "--out", str(tmp_path / "phi.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "phi.csv").read_text())))
    assert [row["rep_id"] for row in rows] == ["r1", "r2"]
    assert {row["definition"] for row in rows} == {PHI_DEFINITION_VERSION}
    _run(*common, "--format", "html", "--out", str(tmp_path / "phi.html"))
    assert "<svg" in (tmp_path / "phi.html").read_text()
    assert f"PHI definition {PHI_DEFINITION_VERSION}" in (tmp_path / "phi.html").read_text()


def test_explain(data_dir: Path) -> None:
    text = _run("explain", "--rep", "r1", "--period", "2026-11", "--data-dir", str(data_dir),
                "--tenant", "acme", "--now", NOW)
    assert "lead l1" in text
    assert "MISSED" in text  # l2
    assert "account c1: 2 roles" in text
    assert "2 distinct roles in all" in text
    assert f"PHI definition {PHI_DEFINITION_VERSION}" in text
    data = json.loads(_run("explain", "--rep", "r1", "--period", "2026-11", "--format", "json",
                           "--data-dir", str(data_dir), "--tenant", "acme", "--now", NOW))
    assert {lead["lead_id"] for lead in data["leads"]} == {"l1", "l2"}
    assert data["definition"] == PHI_DEFINITION_VERSION


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--period", "2026-13"], InvalidInput),
        ([], InvalidInput),
        (["--period", "2026-11", "--team", "nope"], NotFound),
        (["--period", "2026-11", "--now", "2026-12-01T12:00:00"], InvalidInput),
    ],
)
def test_bad_input(data_dir: Path, args: list[str], error: type[Exception]) -> None:
    with pytest.raises(error):
        _run(*args, "--data-dir", str(data_dir), "--tenant", "acme")
