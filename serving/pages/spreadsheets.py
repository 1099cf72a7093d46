"""The manager exports as one table, written as CSV or as an Excel workbook (``openpyxl``).

A :class:`Sheet` is a header and typed rows; both writers get the same cells, so a CSV and
an ``.xlsx`` of one export always hold the same rows in the same order:

- text: what reps type and the reference data's names reach a spreadsheet, and a cell
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as a
  formula (OWASP "CSV injection"): :func:`spreadsheet_safe` puts an apostrophe before it,
  in both formats. Excel also refuses control characters, which become U+FFFD there.
- instants (tz-aware): CSV writes ISO 8601 in the tenant's zone with its offset (a
  spreadsheet sorts them and the zone is not lost); Excel has no zones, so the workbook
  holds real Excel date-times, naive local, and the column's header names the zone.
- numbers: CSV writes them with the column's format (``.6f``: coordinates), Excel as
  numbers; booleans ``true``/``false`` and Excel booleans; None an empty cell.

The workbook's header row is bold and frozen, and each column is as wide as its longest
value (within bounds).

The exports' tables other than the check-in list's (:mod:`serving.pages.checkin_csv`) are
built here: :func:`phi_sheet` (the rows of ``GET /v1/phi?format=csv``, with names) and
:func:`gaps_sheet` (``GET /v1/coverage-gaps``, every page).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from phi.report import PhiReport
from phi.report_export import report_to_csv
from serving.pages.checkin_filters import Names
from serving.schemas_reports import CoverageGapsPublic

#: The first characters a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The most characters an Excel cell holds.
EXCEL_CELL_CHARS = 32_767
#: Column widths of the workbook, in characters.
MIN_WIDTH, MAX_WIDTH = 8, 60
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

Cell = str | int | float | bool | datetime | None
Format = Literal["csv", "xlsx"]


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its ``name`` (the header), and for numbers the CSV's ``number`` format
    (a :func:`format` spec; ``""``: Python's ``str``)."""

    name: str
    number: str = ""


@dataclass(frozen=True, slots=True)
class Sheet:
    """An export: ``title`` (the workbook's sheet name), columns, rows of cells (one per
    column) and the tenant's ``timezone``, in which instants are written."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Cell]]
    timezone: str

    def __post_init__(self) -> None:
        width = len(self.columns)
        for number, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"row {number} has {len(row)} cells, expected {width}")


def sheet_csv(sheet: Sheet) -> str:
    """The CSV text: the header, then the rows (CRLF line ends, :mod:`csv` quoting)."""
    zone = ZoneInfo(sheet.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(column.name) for column in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_cell(value, column, zone)
                         for value, column in zip(row, sheet.columns, strict=True)])
    return out.getvalue()


def sheet_xlsx(sheet: Sheet) -> bytes:
    """The workbook (one sheet) as ``.xlsx`` bytes."""
    zone = ZoneInfo(sheet.timezone)
    book = Workbook()
    page = book.worksheets[0]
    page.title = _sheet_title(sheet.title)
    instants = {i for row in sheet.rows for i, v in enumerate(row) if isinstance(v, datetime)}
    header = [f"{c.name} ({sheet.timezone})" if i in instants else c.name
              for i, c in enumerate(sheet.columns)]
    page.append([_excel_text(name) for name in header])
    for cell in page[1]:
        cell.font = Font(bold=True)
    widths = [len(name) for name in header]
    for row in sheet.rows:
        values = [_excel_cell(value, zone) for value in row]
        page.append(values)
        for i, value in enumerate(values):
            widths[i] = max(widths[i], _shown_width(value))
    for i in instants:
        for (cell,) in page.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
            cell.number_format = DATETIME_FORMAT
    for i, width in enumerate(widths, start=1):
        page.column_dimensions[get_column_letter(i)].width = min(max(width + 2, MIN_WIDTH),
                                                                 MAX_WIDTH)
    page.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_bytes(sheet: Sheet, kind: Format) -> tuple[bytes, str]:
    """The export in ``kind`` and its media type."""
    if kind == "xlsx":
        return sheet_xlsx(sheet), XLSX
    return sheet_csv(sheet).encode("utf-8"), CSV_TYPE


# -- the exports' tables ----------------------------------------------------------------------

#: The text columns of :func:`phi.report_export.report_to_csv`; the others are numbers.
PHI_TEXT_COLUMNS = frozenset({"period", "definition", "rep_id", "team_id", "region"})
GAP_COLUMNS = ("customer_id", "customer_name", "tier", "owner_rep_ids", "owner_rep_names",
               "territory_id", "last_touch", "last_touch_rep_id", "last_touch_rep_name",
               "days_untouched", "reason_code", "reason", "lat", "lon")


def phi_sheet(report: PhiReport, *, names: Names) -> Sheet:
    """The rows of ``GET /v1/phi?format=csv`` (:func:`~phi.report_export.report_to_csv`:
    one per rep, the same figures), numbers as numbers, and the rep's name after its id."""
    header, *lines = list(csv.reader(io.StringIO(report_to_csv(report))))
    at = header.index("rep_id") + 1
    rows = []
    for line in lines:
        cells: list[Cell] = [text if name in PHI_TEXT_COLUMNS else _number(text)
                             for name, text in zip(header, line, strict=True)]
        cells.insert(at, names.reps.get(line[at - 1], ""))
        rows.append(cells)
    columns = [Column(name) for name in header]
    columns.insert(at, Column("rep_name"))
    return Sheet(title=f"PHI {report.period.label}", columns=tuple(columns), rows=rows,
                 timezone=report.period.timezone)


def gaps_sheet(gaps: CoverageGapsPublic, *, timezone: str, names: Names) -> Sheet:
    """One row per coverage gap, in the ranking of ``/v1/coverage-gaps``, owners named."""
    reps: Mapping[str, str] = names.reps
    rows = [(gap.customer_id, gap.name, gap.tier, " ".join(gap.owner_rep_ids),
             "; ".join(reps.get(rep, rep) for rep in gap.owner_rep_ids), gap.territory_id,
             gap.last_touch, gap.last_touch_rep_id,
             reps.get(gap.last_touch_rep_id, "") if gap.last_touch_rep_id else None,
             gap.days_untouched, gap.reason.code, gap.reason.message, gap.lat, gap.lon)
            for gap in gaps.data]
    numbers = {"days_untouched": ".2f", "lat": ".6f", "lon": ".6f"}
    return Sheet(title="coverage gaps", timezone=timezone, rows=rows,
                 columns=tuple(Column(name, numbers.get(name, "")) for name in GAP_COLUMNS))


def _number(text: str) -> int | float | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def _csv_cell(value: Cell, column: Column, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _aware(value).astimezone(zone).isoformat()
    if isinstance(value, (int, float)):
        return format(value, column.number) if column.number else str(value)
    return spreadsheet_safe(value)


def _excel_cell(value: Cell, zone: ZoneInfo) -> Cell:
    if isinstance(value, datetime):
        return _aware(value).astimezone(zone).replace(tzinfo=None)
    if isinstance(value, str):
        return _excel_text(value)
    return value


def _excel_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", spreadsheet_safe(text))[:EXCEL_CELL_CHARS]


def _shown_width(value: Cell) -> int:
    if value is None:
        return 0
    return len(DATETIME_FORMAT) if isinstance(value, datetime) else len(str(value))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"a naive time can't be placed in a time zone: {value.isoformat()}")
    return value


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'")
    return cleaned[:31] or "export"
