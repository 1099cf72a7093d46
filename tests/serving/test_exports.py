"""The manager exports as CSV and Excel: ``/manager/checkins.xlsx`` (the rows of the CSV),
``/manager/phi.csv|.xlsx`` (the rows of ``/v1/phi?format=csv``) and
``/manager/gaps.csv|.xlsx`` (``/v1/coverage-gaps``), opened with openpyxl: a bold, frozen
header, real local date-times, text escaped against formulas, the caller's scope, and
readable refusals.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from serving.pages.checkin_csv import COLUMNS
from serving.pages.spreadsheets import (
    XLSX,
    Column,
    Sheet,
    sheet_csv,
    sheet_xlsx,
    spreadsheet_safe,
)
from tests.api_harness import Api
from tests.builders import TENANT, make_customer
from tests.pages_harness import refused_page, sign_in
from tests.serving.test_reports import NOW, seed_reports, visit
from visitproof.records import Commitment, NextAction
from visitproof.store import Store

ZONE = "Asia/Shanghai"
HTML = "text/html; charset=utf-8"
HOSTILE_NOTE = "=HYPERLINK(\"http://evil\",\"ok\")"


@pytest.fixture
def seeded(api: Api) -> Api:
    """The reports' company, with r1's check-in of 11 Nov carrying a formula as its note."""
    seed_reports(api.database)
    hostile = replace(visit("r1", "c1", 11, 2), commitment=Commitment(text=HOSTILE_NOTE))
    hostile = replace(hostile, next_action=NextAction(
        text="@SUM(1+1)", due_at=hostile.next_action.due_at, kind=hostile.next_action.kind))
    with api.database.begin() as connection:
        Store(connection, TENANT).checkins.add(hostile)
    return api


def _workbook(response: Any, stem: str) -> Worksheet:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{stem}'), disposition
    assert disposition.endswith('.xlsx"'), disposition
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    return sheet


def _csv(response: Any, stem: str) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="{stem}')
    return list(csv.DictReader(io.StringIO(response.text)))


def _rows(sheet: Worksheet) -> list[dict[str, Any]]:
    header = [str(cell.value) for cell in sheet[1]]
    return [dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)]


# -- the check-in list -------------------------------------------------------------------------

def test_checkins_workbook_has_the_csvs_rows(seeded: Api) -> None:
    sign_in(seeded, "manager")
    params = {"sort": "oldest", "from": "2026-11-03", "to": "2026-11-11"}
    rows = _csv(seeded.client.get("/manager/checkins.csv", params=params), "checkins")
    sheet = _workbook(seeded.client.get("/manager/checkins.xlsx", params=params), "checkins")
    header = [cell.value for cell in sheet[1]]
    instants = ("submitted_at", "departed_at", "arrived_at", "next_action_due_at")
    assert header == [f"{c} ({ZONE})" if c in instants else c for c in COLUMNS]
    assert sheet.column_dimensions["A"].width >= 36  # a check-in id fits
    book = _rows(sheet)
    assert len(book) == len(rows) == sheet.max_row - 1 > 0
    assert [r["checkin_id"] for r in book] == [r["checkin_id"] for r in rows]
    for line, row in zip(rows, book, strict=True):
        submitted = row[f"submitted_at ({ZONE})"]
        assert isinstance(submitted, datetime)
        assert submitted.tzinfo is None
        # A real date-time, naive local: the CSV's instant in the tenant's zone.
        local = datetime.fromisoformat(line["submitted_at"]).astimezone(ZoneInfo(ZONE))
        assert submitted == local.replace(tzinfo=None)
        assert row["rep_name"] == line["rep_name"]
        assert row["fix_is_mock"] is False
        assert row["fix_lat"] == pytest.approx(float(line["fix_lat"]))


def test_checkins_workbook_escapes_reps_free_text(seeded: Api) -> None:
    sign_in(seeded, "manager")
    response = seeded.client.get("/manager/checkins.xlsx", params={"from": "2026-11-11"})
    sheet = _workbook(response, "checkins")
    (row,) = _rows(sheet)
    assert row["commitment"] == f"'{HOSTILE_NOTE}"
    assert row["next_action"] == "'@SUM(1+1)"
    column = [c.value for c in sheet[1]].index("commitment")
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.data_type == "s"  # text, not a formula


def test_checkins_workbook_scope_and_refusals(seeded: Api) -> None:
    sign_in(seeded, "manager_t2")
    rows = _rows(_workbook(seeded.client.get("/manager/checkins.xlsx"), "checkins"))
    assert {r["rep_id"] for r in rows} == {"r3"}
    refused_page(seeded.client.get("/manager/checkins.xlsx", params={"from": "2026-02-30"}),
             422, "BAD_DATE")
    seeded.client.get("/manager/logout")
    refused_page(seeded.client.get("/manager/checkins.xlsx"), 401, "UNAUTHENTICATED")


# -- PHI ---------------------------------------------------------------------------------------

def test_phi_exports_are_the_apis_rows_with_names(seeded: Api) -> None:
    api_rows = list(csv.DictReader(io.StringIO(seeded.client.get(
        "/v1/phi", params={"period": "2026-11", "format": "csv"},
        headers=seeded.auth("manager")).text)))
    sign_in(seeded, "manager")
    rows = _csv(seeded.client.get("/manager/phi.csv", params={"period": "2026-11"}),
                "phi-2026-11-t1")
    assert [r["rep_id"] for r in rows] == [r["rep_id"] for r in api_rows] == ["r1", "r2"]
    for ours, theirs in zip(rows, api_rows, strict=True):
        assert ours.pop("rep_name") == f"Rep {theirs['rep_id']}"
        assert ours == theirs
    book = _rows(_workbook(seeded.client.get("/manager/phi.xlsx",
                                             params={"period": "2026-11"}), "phi-2026-11"))
    assert len(book) == len(rows)
    for row, line in zip(book, api_rows, strict=True):
        assert row["rep_id"] == line["rep_id"]
        assert row["leads_new"] == int(line["leads_new"])  # numbers, not text
        assert row["phi"] == (float(line["phi"]) if line["phi"] else None)
        assert row["definition"] == line["definition"] == "phi-2"  # the PHI version, as text


def test_phi_exports_default_period_and_refusals(seeded: Api) -> None:
    sign_in(seeded, "manager")
    default = seeded.client.get("/manager/phi.csv")
    assert {r["period"] for r in _csv(default, "phi-2026-11")} == {"2026-11"}
    refused_page(seeded.client.get("/manager/phi.xlsx", params={"period": "2026-13"}), 422,
             "BAD_PERIOD")
    refused_page(seeded.client.get("/manager/phi.csv", params={"team": "t2"}), 404, "NOT_FOUND")
    sign_in(seeded, "director")
    rows = _csv(seeded.client.get("/manager/phi.csv", params={"team": "t2"}), "phi-2026-11")
    assert [r["rep_id"] for r in rows] == ["r3"]


# -- coverage gaps -----------------------------------------------------------------------------

def test_gap_exports_are_the_apis_gaps_in_scope(seeded: Api) -> None:
    api_gaps = seeded.client.get("/v1/coverage-gaps", params={"now": NOW},
                                 headers=seeded.auth("manager")).json()["data"]
    sign_in(seeded, "manager")
    rows = _csv(seeded.client.get("/manager/gaps.csv", params={"now": NOW}), "coverage-gaps")
    assert [r["customer_id"] for r in rows] == [g["customer_id"] for g in api_gaps]
    assert {r["customer_id"] for r in rows} == {"c2", "c6"}  # team t1's
    by_id = {r["customer_id"]: r for r in rows}
    assert by_id["c6"]["reason_code"] == "NEVER_VISITED"
    assert by_id["c6"]["owner_rep_names"] == "Rep r2"
    assert by_id["c2"]["last_touch_rep_name"] == "Rep r2"
    # 4 Nov 03:40 UTC is 11:40 in Shanghai.
    assert by_id["c2"]["last_touch"] == "2026-11-04T11:40:00+08:00"
    book = _rows(_workbook(seeded.client.get("/manager/gaps.xlsx", params={"now": NOW}),
                           "coverage-gaps"))
    assert [r["customer_id"] for r in book] == [r["customer_id"] for r in rows]
    touched = next(r for r in book if r["customer_id"] == "c2")
    assert touched[f"last_touch ({ZONE})"] == datetime(2026, 11, 4, 11, 40)
    assert isinstance(touched["days_untouched"], float)


def test_gap_exports_escape_names_and_refuse_bad_input(seeded: Api) -> None:
    hostile = replace(make_customer("c9", reps=("r1",)), name="=cmd|' /C calc'!A0")
    with seeded.database.begin() as connection:
        Store(connection, TENANT).reference.put_customers([hostile])
    sign_in(seeded, "manager")
    rows = _csv(seeded.client.get("/manager/gaps.csv", params={"now": NOW, "tier": "A"}),
                "coverage-gaps")
    assert {r["tier"] for r in rows} == {"A"}
    assert next(r for r in rows if r["customer_id"] == "c9")["customer_name"] == \
        "'=cmd|' /C calc'!A0"
    book = _rows(_workbook(seeded.client.get("/manager/gaps.xlsx", params={"now": NOW}),
                           "coverage-gaps"))
    assert next(r for r in book if r["customer_id"] == "c9")["customer_name"] == \
        "'=cmd|' /C calc'!A0"
    for params, code in (({"neglect_days": 0}, "OUT_OF_RANGE"),
                         ({"now": "yesterday"}, "BAD_TIMESTAMP"),
                         ({"tier": "Z"}, "UNKNOWN_ENUM_VALUE")):
        response = seeded.client.get("/manager/gaps.xlsx", params=params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == HTML
        assert code in response.text


# -- the writers -------------------------------------------------------------------------------

def _sheet(*rows: tuple[Any, ...]) -> Sheet:
    return Sheet(title="t: [x]?", timezone=ZONE, rows=list(rows),
                 columns=(Column("note"), Column("at"), Column("n", ".2f")))


@pytest.mark.parametrize(("text", "shown"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\nx"),  # XML reads a stored carriage return back as a line feed
    ("a = b", "a = b"), ("", None), ("bell\x07here", "bell\ufffdhere"),
])
def test_every_text_cell_is_safe_in_both_formats(text: str, shown: str | None) -> None:
    at = datetime(2026, 11, 3, 1, 40, tzinfo=ZoneInfo("UTC"))
    sheet = _sheet((text, at, 1.5))
    (line,) = list(csv.reader(io.StringIO(sheet_csv(sheet))))[1:]
    assert line == [spreadsheet_safe(text), "2026-11-03T09:40:00+08:00", "1.50"]
    book = load_workbook(io.BytesIO(sheet_xlsx(sheet))).worksheets[0]
    assert book.title == "t_ _x__"
    assert [c.value for c in book[1]] == ["note", f"at ({ZONE})", "n"]
    assert [c.value for c in book[2]] == [shown, datetime(2026, 11, 3, 9, 40), 1.5]


def test_a_sheet_refuses_ragged_rows_and_naive_times() -> None:
    with pytest.raises(ValueError, match="row 0 has 2 cells, expected 3"):
        _sheet(("a", None))
    with pytest.raises(ValueError, match="naive"):
        sheet_csv(_sheet(("a", datetime(2026, 11, 3), 1.0)))
