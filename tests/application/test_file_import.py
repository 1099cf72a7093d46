"""Importing CSV and GeoJSON: every bad row reported, nothing imported from a bad file,
and an export imports back unchanged."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from application.file_export import write_csv
from application.file_import import read_import_file
from tests.builders import TENANT
from visitproof.errors import ImportRejected, InvalidValue
from visitproof.records import Customer, Rep

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "company"
CUSTOMER_HEADER = "id,name,type,tier,lat,lon,assigned_reps\n"


def _write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "field", "code"), [
    ("c1,Shop,supermarket,,30,120,", "tier", "MISSING_FIELD"),
    ("c1,Shop,supermarket,D,30,120,", "tier", "UNKNOWN_ENUM_VALUE"),
    ("c1,Shop,spaceport,A,30,120,", "type", "UNKNOWN_ENUM_VALUE"),
    ("c1,Shop,supermarket,A,91,120,", "lat", "LAT_OUT_OF_RANGE"),
    ("c1,Shop,supermarket,A,30,181,", "lon", "LON_OUT_OF_RANGE"),
    ("c1,Shop,supermarket,A,NaN,120,", "lat", "COORDINATE_NOT_FINITE"),
    ("c1,Shop,supermarket,A,north,120,", "lat", "BAD_NUMBER"),
    ("c 1,Shop,supermarket,A,30,120,", "id", "BAD_IDENTIFIER"),
    ("c1,Shop,supermarket,A,30,120,r404", "assigned_reps", "UNKNOWN_REP"),
    ("c1,Shop,supermarket,A,30,120,r1,surplus", "-", "EXTRA_FIELDS"),
])
def test_each_bad_customer_row_is_reported(tmp_path: Path, row: str, field: str,
                                           code: str) -> None:
    path = _write(tmp_path, CUSTOMER_HEADER + "c0,Fine,pharmacy,B,30.1,120.1,r1\n" + row + "\n")
    with pytest.raises(ImportRejected) as caught:
        read_import_file(path, "customers", tenant_id=TENANT, known_reps={"r1"})
    assert [(e.line, e.field, e.code) for e in caught.value.errors] == [(3, field, code)]


def test_every_problem_of_every_row_is_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, CUSTOMER_HEADER
                  + "c1,Shop,supermarket,Z,91,181,\n"
                  + "c1,,martian,A,nan,120,\n")
    with pytest.raises(ImportRejected) as caught:
        read_import_file(path, "customers", tenant_id=TENANT)
    assert [(e.line, e.field, e.code) for e in caught.value.errors] == [
        (2, "tier", "UNKNOWN_ENUM_VALUE"), (2, "lat", "LAT_OUT_OF_RANGE"),
        (2, "lon", "LON_OUT_OF_RANGE"),
        (3, "name", "MISSING_FIELD"), (3, "type", "UNKNOWN_ENUM_VALUE"),
        (3, "lat", "COORDINATE_NOT_FINITE"), (3, "id", "DUPLICATE_ID"),
    ]
    assert "2 problems" not in caught.value.message
    assert "7 problems found, nothing imported" in caught.value.message


@pytest.mark.parametrize(("text", "field", "code"), [
    ("id,channel,tier,created_at\nl1,,A,2026-11-03T09:00:00+08:00\n", "channel",
     "MISSING_FIELD"),
    ("id,channel,tier,created_at\nl1,hotline,,2026-11-03T09:00:00+08:00\n", "tier",
     "MISSING_FIELD"),
    ("id,channel,tier,created_at\nl1,hotline,A,2026-11-03T09:00:00\n", "created_at",
     "NAIVE_TIMESTAMP"),
    ("id,channel,tier,created_at\nl1,hotline,A,last tuesday\n", "created_at", "BAD_TIMESTAMP"),
    ("id,channel,tier,created_at,first_touch_at\n"
     "l1,hotline,A,2026-11-03T09:00:00Z,2026-11-02T09:00:00Z\n", "first_touch_at",
     "TIME_ORDER"),
    ("id,channel,tier,created_at,customer_id\nl1,hotline,A,2026-11-03T09:00:00Z,c404\n",
     "customer_id", "UNKNOWN_CUSTOMER"),
    ("id,channel,created_at\nl1,hotline,2026-11-03T09:00:00Z\n", "tier", "MISSING_COLUMN"),
])
def test_bad_lead_rows(tmp_path: Path, text: str, field: str, code: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        read_import_file(_write(tmp_path, text), "leads", tenant_id=TENANT)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]


@pytest.mark.parametrize(("text", "code"), [
    ("id,customer_id,name,role\nk1,c1,Dr Zhang,astronaut\n", "UNKNOWN_ENUM_VALUE"),
    ("id,customer_id,name,role\nk1,c404,Dr Zhang,department_head\n", "UNKNOWN_CUSTOMER"),
])
def test_bad_contact_rows(tmp_path: Path, text: str, code: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        read_import_file(_write(tmp_path, text), "contacts", tenant_id=TENANT,
                         known_customers={"c1"})
    assert [e.code for e in caught.value.errors] == [code]


@pytest.mark.parametrize(("content", "code"), [
    (b"", "EMPTY_FILE"),
    (b"id,name,type,tier,lat,lon\n", "EMPTY_FILE"),
    (b"\xff\xfe\x00binary", "BAD_ENCODING"),
])
def test_unusable_files(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises((ImportRejected, InvalidValue)) as caught:
        read_import_file(path, "customers", tenant_id=TENANT)
    error = caught.value
    codes = [e.code for e in error.errors] if isinstance(error, ImportRejected) else [error.code]
    assert code in codes


def test_geojson_reps_bring_their_territories(tmp_path: Path) -> None:
    batch = read_import_file(EXAMPLES / "reps.geojson", "reps", tenant_id=TENANT)
    assert len(batch.records) == 6
    assert {t.id for t in batch.territories} == {
        r.territory_id for r in batch.records if isinstance(r, Rep)}


def test_geojson_customers_take_the_point_geometry(tmp_path: Path) -> None:
    document = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [120.15, 30.27]},
        "properties": {"id": "c1", "name": "Shop", "type": "pharmacy", "tier": "A"}}]}
    path = _write(tmp_path, json.dumps(document), "c.geojson")
    (customer,) = read_import_file(path, "customers", tenant_id=TENANT).records
    assert isinstance(customer, Customer)
    assert (customer.location.lat, customer.location.lon) == (30.27, 120.15)


def test_broken_geojson_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"type": "FeatureCollection", "features": [', "c.geojson")
    with pytest.raises(ImportRejected) as caught:
        read_import_file(path, "customers", tenant_id=TENANT)
    assert caught.value.errors[0].code == "BAD_JSON"


@pytest.mark.parametrize("kind", ["customers", "contacts", "leads"])
def test_export_then_import_gives_the_same_records(tmp_path: Path, kind: str) -> None:
    reps = {f"r-{n}" for n in ("li", "zhang", "wang", "chen", "zhao", "liu")}
    customers = {f"c-{n:03d}" for n in range(1, 37)}
    original = read_import_file(EXAMPLES / f"{kind}.csv", kind, tenant_id=TENANT,
                                known_reps=reps, known_customers=customers).records
    buffer = io.StringIO()
    write_csv(kind, original, buffer)
    again = read_import_file(_write(tmp_path, buffer.getvalue()), kind, tenant_id=TENANT,
                             known_reps=reps, known_customers=customers).records
    assert again == original


# -- the visit pack's kinds: teams, orders, stock, promotions ----------------------------------

ORDER_HEADER = "id,customer_id,ordered_at,sku,quantity,amount,currency\n"
STOCK_HEADER = "customer_id,sku,units,counted_at\n"
PROMOTION_HEADER = "id,region,competitor,product,description,starts_on,ends_on\n"
GOOD = {
    "orders": ORDER_HEADER + "o1,c1,2026-11-01T09:00:00+08:00,SKU-1,3,37.50,CNY\n"
                             "o2,c1,2026-11-02T09:00:00+08:00,SKU-2,1,0,\n",
    "stock": STOCK_HEADER + "c1,SKU-1,0,2026-11-01T18:00:00+08:00\n"
                            "c1,SKU-1,7,2026-11-08T18:00:00+08:00\n",
    "promotions": PROMOTION_HEADER + "p1,east,Rival,SKU-9,two for one,2026-11-01,2026-11-30\n",
    "teams": "id,name,region,manager_id\nt1,East team,east,m1\nt2,No region,,\n",
}
KNOWN = {"known_customers": {"c1"}, "known_regions": {"east"}}


@pytest.mark.parametrize(("kind", "count"), [("orders", 2), ("stock", 2), ("promotions", 1),
                                             ("teams", 2)])
def test_good_visit_pack_files_import(tmp_path: Path, kind: str, count: int) -> None:
    batch = read_import_file(_write(tmp_path, GOOD[kind]), kind, tenant_id=TENANT, **KNOWN)
    assert len(batch.records) == count


@pytest.mark.parametrize(("kind", "text", "field", "code"), [
    ("orders", ORDER_HEADER + "o9,c404,2026-11-01T09:00:00+08:00,SKU-1,3,1,CNY",
     "customer_id", "UNKNOWN_CUSTOMER"),
    ("orders", ORDER_HEADER + "o9,c1,2026-11-01T09:00:00,SKU-1,3,1,CNY", "ordered_at",
     "NAIVE_TIMESTAMP"),
    ("orders", ORDER_HEADER + "o9,c1,2026-11-01T09:00:00+08:00,SKU-1,0,1,CNY", "quantity",
     "BAD_NUMBER"),
    ("orders", ORDER_HEADER + "o9,c1,2026-11-01T09:00:00+08:00,SKU-1,2.5,1,CNY", "quantity",
     "BAD_NUMBER"),
    ("orders", ORDER_HEADER + "o9,c1,2026-11-01T09:00:00+08:00,SKU-1,2,-1,CNY", "amount",
     "BAD_NUMBER"),
    ("orders", ORDER_HEADER + "o9,c1,2026-11-01T09:00:00+08:00,SKU-1,2,inf,CNY", "amount",
     "BAD_NUMBER"),
    ("orders", ORDER_HEADER + "o9,c1,2026-11-01T09:00:00+08:00,SKU-1,2,1,yuan", "currency",
     "BAD_VALUE"),
    ("stock", STOCK_HEADER + "c404,SKU-1,1,2026-11-02T18:00:00+08:00", "customer_id",
     "UNKNOWN_CUSTOMER"),
    ("stock", STOCK_HEADER + "c1,SKU-1,-1,2026-11-02T18:00:00+08:00", "units", "BAD_NUMBER"),
    ("promotions", PROMOTION_HEADER + "p9,west,Rival,SKU-9,two for one,2026-11-01,2026-11-30",
     "region", "UNKNOWN_REGION"),
    ("promotions", PROMOTION_HEADER + "p9,east,Rival,SKU-9,two for one,2026-11-30,2026-11-01",
     "ends_on", "TIME_ORDER"),
    ("promotions", PROMOTION_HEADER + "p9,east,Rival,SKU-9,two for one,2026-11-31,2026-12-01",
     "starts_on", "BAD_DATE"),
    ("promotions", PROMOTION_HEADER + "p9,east,,SKU-9,two for one,2026-11-01,2026-11-30",
     "competitor", "MISSING_FIELD"),
])
def test_each_bad_visit_pack_row_is_reported(tmp_path: Path, kind: str, text: str, field: str,
                                             code: str) -> None:
    good_first = GOOD[kind].splitlines()[1]
    header, bad = text.split("\n", 1)
    path = _write(tmp_path, f"{header}\n{good_first}\n{bad}\n")
    with pytest.raises(ImportRejected) as caught:
        read_import_file(path, kind, tenant_id=TENANT, **KNOWN)
    assert [(e.line, e.field, e.code) for e in caught.value.errors] == [(3, field, code)]


def test_a_stock_count_twice_in_one_file_is_a_duplicate(tmp_path: Path) -> None:
    path = _write(tmp_path, STOCK_HEADER + "c1,SKU-1,1,2026-11-01T18:00:00+08:00\n"
                  "c1,SKU-1,2,2026-11-01T18:00:00+08:00\n")
    with pytest.raises(ImportRejected) as caught:
        read_import_file(path, "stock", tenant_id=TENANT, **KNOWN)
    assert [(e.line, e.code) for e in caught.value.errors] == [(3, "DUPLICATE_ID")]


@pytest.mark.parametrize(("kind", "missing"), [("orders", "quantity"), ("stock", "units"),
                                               ("promotions", "ends_on")])
def test_a_visit_pack_file_without_a_required_column(tmp_path: Path, kind: str,
                                                      missing: str) -> None:
    header, *rows = GOOD[kind].splitlines()
    columns = header.split(",")
    drop = columns.index(missing)
    text = "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != drop)
                     for line in [header, *rows])
    with pytest.raises(ImportRejected) as caught:
        read_import_file(_write(tmp_path, text + "\n"), kind, tenant_id=TENANT, **KNOWN)
    assert [(e.field, e.code) for e in caught.value.errors] == [(missing, "MISSING_COLUMN")]
