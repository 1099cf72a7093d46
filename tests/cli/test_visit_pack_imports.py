"""``visitproof import teams|orders|stock|promotions``: the example company's files, and a
bad file that writes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.subprocess_cli import run_visitproof

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "company"
TABLES = ("teams", "orders", "stock_levels", "promotions")


def _counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "visitproof.sqlite3") as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in TABLES}


@pytest.fixture
def company(tmp_path: Path) -> Path:
    data_dir = tmp_path / "var"
    assert run_visitproof(data_dir, "init").returncode == 0
    for kind, name in (("reps", "reps.geojson"), ("customers", "customers.csv"),
                       ("teams", "teams.csv"), ("orders", "orders.csv"),
                       ("stock", "stock.csv"), ("promotions", "promotions.csv")):
        result = run_visitproof(data_dir, "import", kind, str(EXAMPLES / name))
        assert result.returncode == 0, result.stderr
    return data_dir


def test_the_example_company_imports_its_visit_pack_data(company: Path) -> None:
    lines = {name: len((EXAMPLES / name).read_text(encoding="utf-8").splitlines()) - 1
             for name in ("teams.csv", "orders.csv", "stock.csv", "promotions.csv")}
    assert _counts(company) == {"teams": lines["teams.csv"], "orders": lines["orders.csv"],
                                "stock_levels": lines["stock.csv"],
                                "promotions": lines["promotions.csv"]}
    again = run_visitproof(company, "import", "orders", str(EXAMPLES / "orders.csv"))
    assert again.returncode == 0  # re-importing updates by id
    assert _counts(company)["orders"] == lines["orders.csv"]


def test_a_bad_row_writes_nothing_and_every_bad_row_is_listed(company: Path,
                                                              tmp_path: Path) -> None:
    before = _counts(company)
    bad = tmp_path / "promotions.csv"
    bad.write_text("id,region,competitor,product,description,starts_on,ends_on\n"
                   "p-new,Hangzhou East,Rival,SKU-1,fine,2026-11-01,2026-11-30\n"
                   "p-bad,Atlantis,Rival,SKU-1,unknown region,2026-11-01,2026-11-30\n"
                   "p-bad2,Hangzhou West,Rival,SKU-1,ends first,2026-11-30,2026-11-01\n",
                   encoding="utf-8")
    result = run_visitproof(company, "import", "promotions", str(bad))
    assert result.returncode != 0
    assert "line 3, region" in result.stderr
    assert "UNKNOWN_REGION" in result.stderr
    assert "line 4, ends_on" in result.stderr
    assert "TIME_ORDER" in result.stderr
    assert _counts(company) == before


def test_export_refuses_the_import_only_kinds(company: Path) -> None:
    result = run_visitproof(company, "export", "orders")
    assert result.returncode != 0
