"""Reading customers, reps, leads and contacts from CSV (header row) or GeoJSON files, and
the visit pack's orders, stock counts and competitor promotions from CSV.

All or nothing: every row is checked, every problem is collected as a
:class:`~visitproof.errors.RowError` (line, field, code, reason), and if there is any the
whole file is refused with :class:`~visitproof.errors.ImportRejected`. Line numbers count
the header as line 1 (CSV) or the features from 1 (GeoJSON, reported as "feature N").

The columns of each kind are in :data:`COLUMNS`; the README documents them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from shapely import wkt
from shapely.errors import GEOSException
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from visitproof.errors import ImportRejected, InvalidValue, RowError
from visitproof.records import (
    Contact,
    Customer,
    CustomerType,
    DecisionRole,
    GeoPoint,
    Lead,
    Order,
    Promotion,
    Rep,
    StockLevel,
    Team,
    Territory,
    Tier,
)
from visitproof.values import parse_utc, require_identifier, require_lat, require_lon

_T = TypeVar("_T")

#: The kinds that export as well as import (``visitproof export``).
REFERENCE_KINDS = ("customers", "reps", "leads", "contacts")
#: The visit pack's data: orders, stock counts (``stock``) and competitor promotions.
COMMERCE_KINDS = ("orders", "stock", "promotions")
#: Teams (with the region promotions and featured rules key on) import too.
KINDS = (*REFERENCE_KINDS, "teams", *COMMERCE_KINDS)

# (required, optional) columns per kind, in export order.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customers": (("id", "name", "type", "tier", "lat", "lon"),
                  ("geofence_radius_m", "territory_id", "assigned_reps", "footprint_wkt")),
    "reps": (("id", "name"), ("team_id", "manager_id", "territory_id", "active")),
    "leads": (("id", "channel", "tier", "created_at"),
              ("customer_id", "contact_name", "assigned_rep_id", "assigned_at",
               "first_touch_at")),
    "contacts": (("id", "customer_id", "name", "role"), ()),
    "teams": (("id", "name"), ("region", "manager_id")),
    "orders": (("id", "customer_id", "ordered_at", "sku", "quantity", "amount"),
               ("currency",)),
    "stock": (("customer_id", "sku", "units", "counted_at"), ()),
    "promotions": (("id", "region", "competitor", "product", "description", "starts_on",
                    "ends_on"), ()),
}

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class ImportBatch:
    """What a valid file holds, ready to store. ``territories`` come from rep polygons in a
    GeoJSON reps file."""

    kind: str
    records: tuple[Customer | Rep | Lead | Contact | Team | Order | StockLevel | Promotion,
                   ...]
    territories: tuple[Territory, ...] = ()


@dataclass(frozen=True)
class _Row:
    line: int
    values: Mapping[str, str]
    geometry: BaseGeometry | None = None


class _Collector:
    """Parses one row's fields, remembering every failure instead of stopping at the first."""

    def __init__(self, row: _Row, errors: list[RowError]) -> None:
        self.row, self.errors, self.ok = row, errors, True

    def columns(self, kind: str) -> dict[str, Any]:
        """Every column of ``kind`` that the row fills, parsed by its rule in :data:`_RULES`
        (a missing required one is a row error; a missing optional one is left out, so the
        record's default applies)."""
        required, optional = COLUMNS[kind]
        values = {}
        for name in required + optional:
            value = self.field(name, _RULES[name], required=name in required)
            if value is not None:
                values[name] = value
        return values

    def field(self, name: str, parse: Callable[[str, str], Any], *, required: bool) -> Any:
        raw = (self.row.values.get(name) or "").strip()
        if not raw:
            if required:
                self.fail(name, "MISSING_FIELD", f"{name} is required and empty")
            return None
        try:
            return parse(raw, name)
        except InvalidValue as error:
            self.fail(name, error.code, error.reason)
        except (ValueError, GEOSException) as error:
            self.fail(name, "BAD_VALUE", f"can't read {raw!r}: {error}")
        return None

    def known(self, name: str, value: str | None, known: set[str] | frozenset[str],
              what: str, hint: str = "") -> None:
        """A row error unless ``value`` (a rep or customer id) is already in the store."""
        if value is not None and value not in known:
            self.fail(name, f"UNKNOWN_{what.upper()}",
                      f"{what} {value!r} is not in the store{hint}")

    def fail(self, field: str, code: str, reason: str) -> None:
        self.ok = False
        self.errors.append(RowError(line=self.row.line, field=field, code=code, reason=reason))


def read_import_file(path: Path, kind: str, *, tenant_id: str,
                     known_reps: set[str] | frozenset[str] = frozenset(),
                     known_customers: set[str] | frozenset[str] = frozenset(),
                     known_regions: set[str] | frozenset[str] = frozenset()) -> ImportBatch:
    """Parse ``path`` as ``kind`` records for ``tenant_id``.

    ``known_reps`` and ``known_customers`` are the ids already in the store, and
    ``known_regions`` the teams' regions; references to anything else (an assigned rep, a
    contact's or order's customer, a promotion's region) are row errors.
    """
    if kind not in KINDS:
        raise InvalidValue("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}",
                           code="UNKNOWN_KIND")
    rows = list(_read_rows(path, kind))
    errors: list[RowError] = []
    known = {"rep": known_reps, "customer": known_customers, "region": known_regions}
    records: list[Any] = []
    territories: list[Territory] = []
    seen: dict[str, int] = {}
    for row in rows:
        collector = _Collector(row, errors)
        record = _parse(collector, kind, tenant_id, known)
        raw_id = _row_key(kind, row)
        first = seen.setdefault(raw_id, row.line) if raw_id else row.line
        if first != row.line:
            collector.fail("id", "DUPLICATE_ID", f"id {raw_id!r} already used on line {first}"
                           if kind != "stock" else f"this SKU's count at this time is "
                           f"already on line {first}")
        if record is None or not collector.ok:
            continue
        records.append(record)
        if kind == "reps" and row.geometry is not None:
            territory = _territory_for(collector, record, row.geometry)
            if territory is not None:
                territories.append(territory)
    if not rows:
        errors.append(RowError(line=1, field="-", code="EMPTY_FILE", reason="no data rows"))
    if errors:
        raise ImportRejected(str(path), errors)
    return ImportBatch(kind=kind, records=tuple(records), territories=tuple(territories))


def _row_key(kind: str, row: _Row) -> str:
    """What must be unique in a file: the id, or a stock count's customer, SKU and time."""
    if kind == "stock":
        parts = [(row.values.get(name) or "").strip()
                 for name in ("customer_id", "sku", "counted_at")]
        return "|".join(parts) if all(parts) else ""
    return (row.values.get("id") or "").strip()


# -- file formats ----------------------------------------------------------------------------

def _read_rows(path: Path, kind: str) -> Iterator[_Row]:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InvalidValue("file", f"can't read {path}: {error.strerror}",
                           code="FILE_UNREADABLE") from None
    if size > MAX_FILE_BYTES:
        raise InvalidValue("file", f"{path} is {size} bytes; split files above "
                           f"{MAX_FILE_BYTES} bytes", code="FILE_TOO_LARGE")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("file", f"{path} is not UTF-8 text; save it as UTF-8 CSV",
                           code="BAD_ENCODING") from None
    if path.suffix.lower() in (".geojson", ".json"):
        yield from _geojson_rows(path, text)
    else:
        yield from _csv_rows(path, text, kind)


def _csv_rows(path: Path, text: str, kind: str) -> Iterator[_Row]:
    if not text.strip():
        raise ImportRejected(str(path), [RowError(line=1, field="-", code="EMPTY_FILE",
                                                  reason="the file is empty")])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    required, _optional = COLUMNS[kind]
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportRejected(str(path), [RowError(
            line=1, field=name, code="MISSING_COLUMN",
            reason=f"the header has no {name!r} column (needed: {', '.join(required)})")
            for name in missing])
    reader.fieldnames = header
    for values in reader:
        if None in values:
            yield _Row(line=reader.line_num, values={"__extra__": "1"})
            continue
        yield _Row(line=reader.line_num, values={k: v or "" for k, v in values.items()})


def _geojson_rows(path: Path, text: str) -> Iterator[_Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRejected(str(path), [RowError(
            line=error.lineno, field="-", code="BAD_JSON", reason=error.msg)]) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportRejected(str(path), [RowError(
            line=1, field="type", code="BAD_GEOJSON", reason="expected a FeatureCollection")])
    for number, feature in enumerate(document.get("features") or [], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            yield _Row(line=number, values={"__bad_feature__": "1"})
            continue
        values = {k: "" if v is None else (v if isinstance(v, str) else json.dumps(v))
                  for k, v in properties.items()}
        geometry = None
        raw_geometry = feature.get("geometry")
        if raw_geometry:
            try:
                geometry = shape(raw_geometry)
            except (GEOSException, ValueError, TypeError, AttributeError, KeyError):
                values["__bad_geometry__"] = "1"
        if isinstance(geometry, Point):
            values.setdefault("lon", repr(geometry.x))
            values.setdefault("lat", repr(geometry.y))
            geometry = None
        yield _Row(line=number, values=values, geometry=geometry)


# -- per-kind parsers ------------------------------------------------------------------------

def _number(text: str, name: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidValue(name, f"must be a finite number, got {text}", code="BAD_NUMBER")
    return value


def _coordinate(check: Callable[[float, str], float]) -> Callable[[str, str], float]:
    def parse(text: str, name: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise InvalidValue(name, f"{text!r} is not a number", code="BAD_NUMBER") from None
        return check(value, name)
    return parse


def _enum_value(kind: type[Any]) -> Callable[[str, str], Any]:
    def parse(text: str, name: str) -> Any:
        try:
            return kind(text.strip())
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise InvalidValue(name, f"unknown value {text!r}; expected one of: {allowed}",
                               code="UNKNOWN_ENUM_VALUE") from None
    return parse


def _boolean(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "y"):
        return True
    if lowered in ("0", "false", "no", "n"):
        return False
    raise InvalidValue(name, f"{text!r} is not true/false", code="BAD_VALUE")


def _whole(minimum: int) -> Callable[[str, str], int]:
    def parse(text: str, name: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise InvalidValue(name, f"{text!r} is not a whole number",
                               code="BAD_NUMBER") from None
        if value < minimum:
            raise InvalidValue(name, f"must be >= {minimum}, got {value}", code="BAD_NUMBER")
        return value
    return parse


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(name, f"{text!r} is not a day (YYYY-MM-DD)",
                           code="BAD_DATE") from None


def _text(text: str, _name: str) -> str:
    return text


def _id_list(text: str, _name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _geometry(text: str, _name: str) -> BaseGeometry:
    return wkt.loads(text)


# How each column's text is read, whichever kind of file it is in.
_RULES: dict[str, Callable[[str, str], Any]] = {
    "name": _text, "channel": _text, "contact_name": _text,
    "type": _enum_value(CustomerType), "tier": _enum_value(Tier),
    "role": _enum_value(DecisionRole), "active": _boolean,
    "lat": _coordinate(require_lat), "lon": _coordinate(require_lon),
    "geofence_radius_m": _number, "footprint_wkt": _geometry, "assigned_reps": _id_list,
    "created_at": parse_utc, "assigned_at": parse_utc, "first_touch_at": parse_utc,
    "ordered_at": parse_utc, "counted_at": parse_utc, "starts_on": _day, "ends_on": _day,
    "quantity": _whole(1), "units": _whole(0), "amount": _number,
    **dict.fromkeys(("currency", "region", "competitor", "product", "description"), _text),
    **dict.fromkeys(("id", "territory_id", "team_id", "manager_id", "customer_id",
                     "assigned_rep_id", "sku"), require_identifier),
}


def _structural(collector: _Collector) -> bool:
    values = collector.row.values
    if "__extra__" in values:
        collector.fail("-", "EXTRA_FIELDS", "row has more fields than the header")
    if "__bad_feature__" in values:
        collector.fail("-", "BAD_GEOJSON", "feature has no properties object")
    if "__bad_geometry__" in values:
        collector.fail("geometry", "BAD_GEOMETRY", "geometry can't be read")
    return collector.ok


def _build(collector: _Collector, build: Callable[[], _T]) -> _T | None:
    if not collector.ok:
        return None
    try:
        return build()
    except InvalidValue as error:
        collector.fail(error.field, error.code, error.reason)
        return None


def _parse(c: _Collector, kind: str, tenant_id: str,
           known: Mapping[str, set[str] | frozenset[str]]) -> Any:
    """One row as a ``kind`` record, or None with its problems collected in ``c``."""
    if not _structural(c):
        return None
    values = c.columns(kind)
    for name, what, hint in _REFERENCES[kind]:
        referenced = values.get(name)
        for value in (referenced if isinstance(referenced, tuple) else (referenced,)):
            c.known(name, value, known[what], what, hint)
    return _build(c, lambda: _RECORDS[kind](tenant_id, values, c.row.geometry))


def _customer(tenant_id: str, values: dict[str, Any],
              geometry: BaseGeometry | None) -> Customer:
    lat, lon = values.pop("lat"), values.pop("lon")
    footprint = values.pop("footprint_wkt", None) or geometry
    return Customer(tenant_id=tenant_id, location=GeoPoint(lat=lat, lon=lon),
                    footprint=footprint, assigned_rep_ids=values.pop("assigned_reps", ()),
                    **values)


def _rep(tenant_id: str, values: dict[str, Any], geometry: BaseGeometry | None) -> Rep:
    if geometry is not None:
        values.setdefault("territory_id", f"territory-{values['id']}")
    return Rep(tenant_id=tenant_id, **values)


# Which columns name a rep or a customer that must already be stored (and what to say).
_REFERENCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "customers": (("assigned_reps", "rep", "; import reps first"),),
    "reps": (),
    "leads": (("customer_id", "customer", ""), ("assigned_rep_id", "rep", "")),
    "contacts": (("customer_id", "customer", "; import customers first"),),
    "teams": (),
    "orders": (("customer_id", "customer", "; import customers first"),),
    "stock": (("customer_id", "customer", "; import customers first"),),
    "promotions": (("region", "region", " (no team has it); import teams first"),),
}

_RECORDS: dict[str, Callable[[str, dict[str, Any], BaseGeometry | None], Any]] = {
    "customers": _customer,
    "reps": _rep,
    "leads": lambda tenant_id, values, _: Lead(tenant_id=tenant_id, **values),
    "contacts": lambda tenant_id, values, _: Contact(tenant_id=tenant_id, **values),
    "teams": lambda tenant_id, values, _: Team(tenant_id=tenant_id, **values),
    "orders": lambda tenant_id, values, _: Order(tenant_id=tenant_id, **values),
    "stock": lambda tenant_id, values, _: StockLevel(tenant_id=tenant_id, **values),
    "promotions": lambda tenant_id, values, _: Promotion(tenant_id=tenant_id, **values),
}


def _territory_for(c: _Collector, rep: Rep, geometry: BaseGeometry) -> Territory | None:
    return _build(c, lambda: Territory(
        tenant_id=rep.tenant_id, id=rep.territory_id or f"territory-{rep.id}",
        name=f"Territory of {rep.name}", area=geometry))
