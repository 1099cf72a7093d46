"""Rules as data: reading a director's body, what it says for a check-in, and the insert-only
versioned store (plus ``visitproof rules set|show`` as a user runs it)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from application.rule_book import RuleBook
from application.rules import MISSING_EVIDENCE, Evidence, rules_from_mapping
from tests.builders import TENANT, make_checkin, make_rep, make_team, make_tenant
from tests.subprocess_cli import run_visitproof
from vision.golden_zone import PassRule
from visitproof.errors import InvalidValue
from visitproof.records import CustomerType, NextActionKind
from visitproof.store import Database, Store
from visitproof.store.tables import rule_sets
from visitproof.values import utc_now


def featured(region: str = "east", skus: tuple[str, ...] = ("SKU-1",),
             period: tuple[str, str] = ("2026-11-01", "2026-11-30")) -> dict[str, Any]:
    return {"region": region, "skus": list(skus), "valid_from": period[0],
            "valid_until": period[1]}


BODY: dict[str, Any] = {
    "featured": [featured("east", ("SKU-1", "SKU-2")), featured("*", ("SKU-9",)),
                 featured("west", ("SKU-W",)),
                 featured("east", ("SKU-DEC", "SKU-1"), ("2026-12-01", "2026-12-31"))],
    "golden_zones": {"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                     "cooler": {"height_band_cm": [100, 160], "fixture_height_cm": 200,
                                "pass_rule": "any_featured_in_zone"}},
    "default_fixture_type": "gondola",
    "evidence": {"hospital_department": ["contract_number", "next_action_contact"],
                 "supermarket": ["concrete_next_action"]},
}


@pytest.mark.parametrize(("region", "day", "expected"), [
    ("east", date(2026, 11, 3), ("SKU-1", "SKU-2", "SKU-9")),
    ("east", date(2026, 11, 30), ("SKU-1", "SKU-2", "SKU-9")),  # valid_until is inclusive
    ("east", date(2026, 12, 1), ("SKU-DEC", "SKU-1")),
    ("west", date(2026, 11, 3), ("SKU-9", "SKU-W")),
    (None, date(2026, 11, 3), ("SKU-9",)),  # a team without region: only "*" rules
    ("east", date(2026, 10, 31), ()),  # nothing applies: nothing featured
])
def test_featured_skus_by_region_and_period(region: str | None, day: date,
                                            expected: tuple[str, ...]) -> None:
    assert rules_from_mapping(BODY, version=1).featured_skus(region, day) == expected


def test_golden_zone_by_fixture_type_with_a_stamped_version() -> None:
    rules = rules_from_mapping(BODY, version=4)
    assert rules.golden_zone(None).fixture_type == "gondola"
    assert rules.golden_zone(None).rows_by_shelf_count[5] == (2, 3)
    cooler = rules.golden_zone("cooler")
    assert (cooler.version, cooler.height_band_cm, cooler.pass_rule) == \
        ("rules-4/cooler", (100.0, 160.0), PassRule.ANY_FEATURED_IN_ZONE)
    with pytest.raises(InvalidValue) as raised:
        rules.golden_zone("pallet")
    assert (raised.value.code, raised.value.field) == ("UNKNOWN_FIXTURE_TYPE",
                                                       "meta.fixture_type")


def test_an_empty_body_keeps_the_default_golden_zone_and_features_nothing() -> None:
    rules = rules_from_mapping({}, version=1)
    assert rules.default_fixture_type == "gondola"
    assert rules.golden_zone(None).version == "rules-1/gondola"
    assert rules.featured_skus("east", date(2026, 11, 3)) == ()


@pytest.mark.parametrize(("customer_type", "contract", "contact", "kind", "missing"), [
    (CustomerType.HOSPITAL_DEPARTMENT, "HT-2026-001", "k1", NextActionKind.CALL, 0),
    (CustomerType.HOSPITAL_DEPARTMENT, None, "k1", NextActionKind.CALL, 1),
    (CustomerType.HOSPITAL_DEPARTMENT, None, None, NextActionKind.CALL, 2),
    (CustomerType.SUPERMARKET, None, None, NextActionKind.WAITING_FOR_CUSTOMER, 1),
    (CustomerType.SUPERMARKET, None, None, NextActionKind.CALL, 0),
    (CustomerType.PHARMACY, None, None, NextActionKind.WAITING_FOR_CUSTOMER, 0),  # no rule
])
def test_missing_evidence_per_customer_type(customer_type: CustomerType, contract: str | None,
                                            contact: str | None, kind: NextActionKind,
                                            missing: int) -> None:
    checkin = make_checkin(contact=contact, action_kind=kind)
    checkin = replace(checkin, commitment=replace(checkin.commitment,
                                                  contract_number=contract))
    reasons = rules_from_mapping(BODY, version=2).missing_evidence(checkin, customer_type)
    assert [r.code for r in reasons] == [MISSING_EVIDENCE] * missing
    assert all("rules version 2" in r.message and customer_type.value in r.message
               for r in reasons)


def test_every_evidence_kind_has_a_message() -> None:
    checkin = make_checkin(contact=None, action_kind=NextActionKind.WAITING_FOR_CUSTOMER)
    body = {"evidence": {"clinic": [e.value for e in Evidence]}}
    reasons = rules_from_mapping(body, version=1).missing_evidence(checkin, CustomerType.CLINIC)
    assert len(reasons) == len(Evidence)
    assert len({r.message for r in reasons}) == len(Evidence)


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"colour": "red"}, "colour", "UNKNOWN_FIELD"),
    ({"featured": [featured(period=("2026-11-30", "2026-11-01"))]}, "featured.0.valid_until",
     "BAD_PERIOD"),
    ({"featured": [featured(period=("2026-11-31", "2026-12-01"))]}, "featured.0.valid_from",
     "BAD_DATE"),
    ({"featured": [featured(skus=())]}, "featured.0.skus", "EMPTY_FIELD"),
    ({"featured": [{**featured(), "shop": "x"}]}, "featured.0.shop", "UNKNOWN_FIELD"),
    ({"featured": "SKU-1"}, "featured", "BAD_TYPE"),
    ({"golden_zones": {"gondola": {"rows_by_shelf_count": {"5": [6]}}}},
     "golden_zones.gondola", "BAD_POLICY"),
    ({"golden_zones": {"gondola": {"height_band_cm": [160, 100], "fixture_height_cm": 200}}},
     "golden_zones.gondola", "BAD_POLICY"),
    ({"golden_zones": {"gondola": {"pass_rule": "most"}}}, "golden_zones.gondola",
     "BAD_POLICY"),
    ({"default_fixture_type": "pallet"}, "default_fixture_type", "UNKNOWN_FIXTURE_TYPE"),
    ({"evidence": {"spaceport": ["contract_number"]}}, "evidence.spaceport",
     "UNKNOWN_ENUM_VALUE"),
    ({"evidence": {"clinic": ["selfie"]}}, "evidence.clinic", "UNKNOWN_EVIDENCE"),
])
def test_bad_bodies_are_refused_with_a_stable_code(change: dict[str, Any], field: str,
                                                   code: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        rules_from_mapping({**BODY, **change}, version=1)
    assert (raised.value.field, raised.value.code) == (field, code)


def test_versions_increase_per_tenant_and_rows_are_only_added(database: Database) -> None:
    with database.begin() as connection:
        Store(connection, "globex").reference.put_tenant(make_tenant("globex"))
        acme = RuleBook(connection, TENANT)
        assert (acme.latest_version(), acme.current()) == (None, None)
        first = acme.add(BODY, base_version=0, created_by="d1", now=utc_now(),
                         note="november")
        second = acme.add({**BODY, "featured": []}, base_version=1, created_by="d2",
                          now=utc_now())
        other = RuleBook(connection, "globex").add({}, base_version=0, created_by="a9",
                                                   now=utc_now())
    assert (first.version, second.version, other.version) == (1, 2, 1)
    with database.connect() as connection:
        acme = RuleBook(connection, TENANT)
        assert [v.version for v in acme.versions()] == [1, 2]
        assert [(v.created_by, v.note) for v in acme.versions()] == [("d1", "november"),
                                                                      ("d2", None)]
        current = acme.current()
        assert current is not None
        assert current.version == 2
        assert current.featured == ()
        old = acme.get(1)
        assert old is not None
        assert old.featured_skus("east", date(2026, 11, 3)) == \
            ("SKU-1", "SKU-2", "SKU-9")
        assert acme.get(3) is None
        assert [v.version for v in RuleBook(connection, "globex").versions()] == [1]
        stored = connection.execute(sa.select(sa.func.count()).select_from(rule_sets)
                                    ).scalar_one()
    assert stored == 3


def test_a_bad_body_stores_nothing(database: Database) -> None:
    with pytest.raises(InvalidValue), database.begin() as connection:
        RuleBook(connection, TENANT).add({"default_fixture_type": "pallet"}, base_version=0,
                                         created_by="d1", now=utc_now())
    with database.connect() as connection:
        assert RuleBook(connection, TENANT).versions() == []


def test_the_region_of_a_rep_is_their_teams(database: Database) -> None:
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams([make_team("t1", region="east"), make_team("t2", region=None)])
        store.reference.put_reps([make_rep("r1", team="t1"), make_rep("r2", team="t2"),
                                  make_rep("r3", team=None)])
        assert [store.reference.rep_region(rep) for rep in ("r1", "r2", "r3", "nobody")] \
            == ["east", None, None, None]


_visitproof = partial(run_visitproof, VISITPROOF_TENANT=TENANT)


def test_the_rules_command_sets_and_shows_versions(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    assert _visitproof(data_dir, "init").returncode == 0
    missing = _visitproof(data_dir, "rules", "show")
    assert missing.returncode == 2
    assert "no rules yet" in missing.stderr
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps(BODY), encoding="utf-8")
    stored = _visitproof(data_dir, "rules", "set", str(rules_file), "--by", "d1",
                         "--note", "november")
    assert stored.returncode == 0, stored.stderr
    assert "stored rules version 1" in stored.stdout
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps({**BODY, "default_fixture_type": "pallet"}),
                        encoding="utf-8")
    refused = _visitproof(data_dir, "rules", "set", str(bad_file))
    assert refused.returncode == 2
    assert "UNKNOWN_FIXTURE_TYPE" in refused.stderr
    assert "default_fixture_type" in refused.stderr
    shown = _visitproof(data_dir, "rules", "show")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert (body["version"], body["created_by"], body["note"]) == (1, "d1", "november")
    assert body["featured"] == BODY["featured"]
    assert _visitproof(data_dir, "rules", "show", "--version", "2").returncode == 2
