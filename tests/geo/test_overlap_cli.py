"""``visitproof overlap`` on a real SQLite store: JSON shape and figures, the page, the
output files, and refusals."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pytest
import typer
from typer.testing import CliRunner

from cli.overlap import register
from tests.builders import (
    HANGZHOU,
    make_checkin,
    make_customer,
    make_fix,
    make_rep,
    make_tenant,
    make_territory,
    shifted,
)
from visitproof.errors import InvalidInput
from visitproof.records import CheckinStatus
from visitproof.store import Store, open_database

NOW = "2026-12-01T00:00:00+08:00"
WHERE = {"c1": (0, 0), "c2": (0, 1500), "c3": (20_000, 0), "c4": (1000, -800),
         "c5": (-900, 700)}


def place(customer: str) -> tuple[float, float]:
    north, east = WHERE[customer]
    return shifted(*HANGZHOU, north_m=north, east_m=east)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """r1 and r2 walk the same two customers each day; r3 works 20 km away; c4 is never
    visited and c5 only by a rejected check-in."""
    folder = tmp_path / "data"
    database = open_database(f"sqlite:///{folder / 'visitproof.sqlite3'}", create_dir=True)
    database.migrate()
    checkins = []
    for day in (3, 4, 10):
        for rep in ("r1", "r2"):
            for hour, customer in ((9, "c1"), (11, "c2")):
                departed = f"2026-11-{day:02d}T{hour:02d}:40:00+00:00"
                checkins.append(make_checkin(
                    rep=rep, customer=customer, arrived=f"2026-11-{day:02d}T{hour:02d}:00:00Z",
                    departed=departed, captured=departed, submitted=departed,
                    fix=make_fix(*place(customer), t=departed)))
    checkins.append(make_checkin(rep="r3", customer="c3", fix=make_fix(*place("c3"))))
    checkins.append(make_checkin(rep="r1", customer="c5", status=CheckinStatus.REJECTED,
                                 fix=make_fix(*place("c5"))))
    with database.begin() as connection:
        store = Store(connection, "acme")
        store.reference.put_tenant(make_tenant())
        store.reference.put_territories([make_territory("t1",
                                                        (120.10, 30.20, 120.20, 30.30))])
        store.reference.put_reps([replace(make_rep(r), territory_id="t1")
                                  for r in ("r1", "r2", "r3")])
        store.reference.put_customers([
            replace(make_customer(c, *place(c), tier=tier, reps=reps), territory_id="t1")
            for c, tier, reps in (("c1", "A", ("r1",)), ("c2", "B", ("r1",)),
                                  ("c3", "A", ("r3",)), ("c4", "A", ("r2",)),
                                  ("c5", "C", ()))])
        store.checkins.add_many(checkins)
    database.dispose()
    return folder


def _run(data_dir: Path, *args: str) -> str:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "overlap" a named command
    result = CliRunner().invoke(app, ["overlap", "--data-dir", str(data_dir),
                                      "--tenant", "acme", "--now", NOW, *args])
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_report(data_dir: Path) -> None:
    data = json.loads(_run(data_dir, "--from", "2026-11-01", "--to", "2026-11-30", "--json",
                           "--top", "2"))
    (pair,) = data["pairs"]
    assert (pair["rep_a"], pair["rep_b"], pair["shared_accounts"]) == ("r1", "r2", 2)
    assert pair["share_a_in_b"] == pair["iou"] == 1.0  # the same route, day after day
    assert data["top"]["reps"] == ["r1", "r2"]
    assert data["top"]["group_overlap"] == 1.0
    assert "share_a_in_b = area(A∩B) / area(A)" in data["definition"]
    assert data["crs"] == "EPSG:32651"
    gaps = [(g["customer_id"], g["owner_rep_ids"], g["last_touch"]) for g in
            data["coverage_gaps"]]
    # c3's one visit (3 Nov) is 27 days before "now"; c5's only check-in was rejected.
    assert gaps == [("c4", ["r2"], None), ("c3", ["r3"], "2026-11-03T09:40:00Z"),
                    ("c5", ["r1", "r2", "r3"], None)]
    outside = {(c["rep_id"], c["customer_id"]) for c in data["conflicts"]["outside_territory"]}
    assert outside == {("r3", "c3")}
    foreign = {(c["rep_id"], c["customer_id"]) for c in data["conflicts"]["foreign_accounts"]}
    assert foreign == {("r2", "c1"), ("r2", "c2")}


def test_period_is_in_the_tenant_time_zone(data_dir: Path) -> None:
    # Shanghai is UTC+8: 4 Nov local runs from 3 Nov 16:00 UTC, so 3 Nov's visits are out.
    data = json.loads(_run(data_dir, "--from", "2026-11-04", "--to", "2026-11-04", "--json"))
    assert data["period"] == {"from": "2026-11-03T16:00:00Z", "to": "2026-11-04T16:00:00Z"}
    assert {rep["rep_id"]: rep["visits"] for rep in data["reps"]} == {"r1": 2, "r2": 2}


def test_page_and_output_files(data_dir: Path, tmp_path: Path) -> None:
    page, outputs = tmp_path / "overlap.html", tmp_path / "out"
    _run(data_dir, "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(page),
         "--outputs", str(outputs), "--tiles", "none")
    html = page.read_text(encoding="utf-8")
    assert '"tile_url":null' in html
    assert "<script src" not in html
    data = json.loads(html.split('id="vp-data">')[1].split("</script>")[0])
    # The whole month, then its six calendar weeks (Mon 26 Oct .. Sun 6 Dec, clipped).
    assert [p["label"] for p in data["periods"]][:3] == [
        "2026-11-01..2026-11-30", "2026-11-01..2026-11-01", "2026-11-02..2026-11-08"]
    assert len(data["periods"]) == 1 + 6
    rows = list(csv.DictReader(io.StringIO((outputs / "matrix.csv").read_text())))
    assert {(r["rep_a"], r["rep_b"]): r["iou"] for r in rows}[("r1", "r2")] == "1.0000"
    assert len(gpd.read_parquet(outputs / "footprints.parquet")) == 3
    customers = json.loads((outputs / "customers.geojson").read_text())
    status = {f["properties"]["customer_id"]: f["properties"]["status"]
              for f in customers["features"]}
    assert status == {"c1": "covered", "c2": "covered", "c3": "neglected", "c4": "never",
                      "c5": "never"}


@pytest.mark.parametrize(("args", "code"), [
    (("--from", "2026-11-30", "--to", "2026-11-01", "--json"), "TIME_ORDER"),
    (("--from", "30.11.2026", "--to", "2026-12-01", "--json"), "BAD_DATE"),
    (("--from", "2026-11-01", "--to", "2026-11-30"), "MISSING_OUTPUT"),
])
def test_refusals(data_dir: Path, args: tuple[str, ...], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _run(data_dir, *args)
    assert raised.value.code == code


def test_given_ranking_chooses_the_top_reps(data_dir: Path) -> None:
    data = json.loads(_run(data_dir, "--from", "2026-11-01", "--to", "2026-11-30", "--json",
                           "--top", "2", "--ranking", "r3, r9,r1"))
    assert data["top"]["reps"] == ["r3", "r1"]  # r9 has no footprint
    assert data["top"]["iou"] == [[1.0, 0.0], [0.0, 1.0]]
    assert "Top 2 = the first reps of the ranking given" in data["definition"]
