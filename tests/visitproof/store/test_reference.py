"""Reference data goes into a real SQLite file and comes back equal, within one tenant."""

from __future__ import annotations

from dataclasses import replace

import pytest
from shapely.geometry import Polygon

from tests.builders import TENANT, make_checkin, make_customer, make_rep, make_team, make_tenant
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import Product, Team, Territory
from visitproof.store import Database, ReferenceData, Store

SQUARE = Polygon([(120.1, 30.2), (120.2, 30.2), (120.2, 30.3), (120.1, 30.3)])


def test_reference_records_round_trip(database: Database) -> None:
    team = Team(tenant_id=TENANT, id="t1", name="East", region="Hangzhou", manager_id="m1")
    territory = Territory(tenant_id=TENANT, id="ter-1", name="West Lake", area=SQUARE)
    reps = [make_rep("r1"), make_rep("r2", team=None)]
    customer = make_customer("c1", reps=("r2", "r1"))
    shaped = replace(make_customer("c2", reps=()), footprint=SQUARE.buffer(-0.04))
    product = Product(tenant_id=TENANT, sku="SKU-1", name="Juice 1L",
                      reference_sha256=("a" * 64,))
    with database.begin() as connection:
        reference = ReferenceData(connection, TENANT)
        reference.put_teams([team])
        reference.put_territories([territory])
        reference.put_reps(reps)
        reference.put_customers([customer, shaped])
        reference.put_products([product])
    with database.connect() as connection:
        reference = ReferenceData(connection, TENANT)
        assert reference.tenant() == make_tenant()
        assert reference.require_tenant() == make_tenant()
        assert reference.teams() == [team]
        assert reference.territories()[0].area.equals(territory.area)
        assert reference.reps() == reps
        stored = {c.id: c for c in reference.customers()}
        assert stored["c1"] == customer
        assert stored["c1"].assigned_rep_ids == ("r2", "r1")
        assert stored["c2"].footprint is not None
        assert stored["c2"].footprint.equals(shaped.footprint)
        assert reference.customer("c1") == customer
        assert reference.customer("c404") is None
        assert reference.products() == [product]
        assert reference.ids("reps") == {"r1", "r2"}
        assert reference.ids("customers") == {"c1", "c2"}


def test_put_updates_existing_records(database: Database) -> None:
    with database.begin() as connection:
        reference = ReferenceData(connection, TENANT)
        reference.put_reps([make_rep("r1"), make_rep("r2")])
        reference.put_customers([make_customer("c1", reps=("r1",))])
    with database.begin() as connection:
        reference = ReferenceData(connection, TENANT)
        reference.put_customers([make_customer("c1", tier="C", reps=("r2",))])
        (customer,) = reference.customers()
    assert customer.tier == "C"
    assert customer.assigned_rep_ids == ("r2",)


def test_rep_region_is_the_region_of_the_reps_team(database: Database) -> None:
    with database.begin() as connection:
        reference = ReferenceData(connection, TENANT)
        reference.put_teams([make_team("t1", region="east"), make_team("t2", region=None)])
        reference.put_reps([make_rep("r1", team="t1"), make_rep("r2", team="t2"),
                            make_rep("r3", team=None)])
        assert [reference.rep_region(rep) for rep in ("r1", "r2", "r3", "nobody")] \
            == ["east", None, None, None]


def test_an_unknown_tenant_says_how_to_create_it(database: Database) -> None:
    with database.connect() as connection:
        reference = ReferenceData(connection, "nobody")
        assert reference.tenant() is None
        with pytest.raises(NotFound) as caught:
            reference.require_tenant()
    assert caught.value.code == "TENANT_NOT_FOUND"
    assert "visitproof init --tenant nobody" in str(caught.value)


def test_tenants_never_see_each_other(database: Database) -> None:
    other = "globex"
    with database.begin() as connection:
        theirs = Store(connection, other)
        theirs.reference.put_tenant(make_tenant(other))
        theirs.reference.put_reps([make_rep("r1", tenant=other)])
        theirs.checkins.add(make_checkin(tenant=other))
        ReferenceData(connection, TENANT).put_reps([make_rep("r1")])
    with database.connect() as connection:
        mine = Store(connection, TENANT)
        assert [r.tenant_id for r in mine.reference.reps()] == [TENANT]
        assert mine.checkins.find() == []
    with pytest.raises(InvalidValue) as caught, database.begin() as connection:
        ReferenceData(connection, TENANT).put_reps([make_rep("r9", tenant=other)])
    assert caught.value.code == "TENANT_MISMATCH"
