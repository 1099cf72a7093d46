"""Every record goes into a real SQLite file and comes back equal."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa
from shapely.geometry import Polygon

from geo.fix_integrity import PriorFix
from tests.builders import (
    TENANT,
    at,
    make_checkin,
    make_contact,
    make_customer,
    make_lead,
    make_rep,
    make_tenant,
    stored_fix,
)
from visitproof.errors import InvalidValue
from visitproof.records import (
    ActionOutcome,
    CheckinStatus,
    LeadTouch,
    Product,
    Reason,
    Team,
    Territory,
    Verification,
)
from visitproof.store import Database, Repository

SQUARE = Polygon([(120.1, 30.2), (120.2, 30.2), (120.2, 30.3), (120.1, 30.3)])


def test_reference_records_round_trip(database: Database) -> None:
    team = Team(tenant_id=TENANT, id="t1", name="East", region="Hangzhou", manager_id="m1")
    territory = Territory(tenant_id=TENANT, id="ter-1", name="West Lake", area=SQUARE)
    reps = [make_rep("r1"), make_rep("r2", team=None)]
    customer = make_customer("c1", reps=("r2", "r1"))
    shaped = replace(make_customer("c2", reps=()), footprint=SQUARE.buffer(-0.04))
    contact = make_contact("k1", customer="c1", role="purchasing_officer")
    lead = make_lead("l1", first_touch="10:00")
    touch = LeadTouch(tenant_id=TENANT, id="t-1", lead_id="l1", rep_id="r1", kind="call",
                      at=at("10:00"))
    product = Product(tenant_id=TENANT, sku="SKU-1", name="Juice 1L",
                      reference_sha256=("a" * 64,))
    with database.begin() as connection:
        repo = Repository(connection, TENANT)
        repo.put_teams([team])
        repo.put_territories([territory])
        repo.put_reps(reps)
        repo.put_customers([customer, shaped])
        repo.put_contacts([contact])
        repo.put_leads([lead])
        repo.put_lead_touches([touch])
        repo.put_products([product])
    with database.connect() as connection:
        repo = Repository(connection, TENANT)
        assert repo.tenant() == make_tenant()
        assert repo.teams() == [team]
        assert repo.territories()[0].area.equals(territory.area)
        assert repo.reps() == reps
        stored = {c.id: c for c in repo.customers()}
        assert stored["c1"] == customer
        assert stored["c1"].assigned_rep_ids == ("r2", "r1")
        assert stored["c2"].footprint is not None
        assert stored["c2"].footprint.equals(shaped.footprint)
        assert repo.contacts() == [contact]
        assert repo.leads() == [lead]
        assert repo.lead_touches() == [touch]
        assert repo.products() == [product]


def test_put_updates_existing_records(database: Database) -> None:
    with database.begin() as connection:
        repo = Repository(connection, TENANT)
        repo.put_reps([make_rep("r1"), make_rep("r2")])
        repo.put_customers([make_customer("c1", reps=("r1",))])
    with database.begin() as connection:
        repo = Repository(connection, TENANT)
        repo.put_customers([make_customer("c1", tier="C", reps=("r2",))])
        (customer,) = repo.customers()
    assert customer.tier == "C"
    assert customer.assigned_rep_ids == ("r2",)


def test_checkins_round_trip_with_verification_history(database: Database) -> None:
    checkin = make_checkin(status=CheckinStatus.RECEIVED, checkin_id=uuid.uuid4())
    first = Verification(checkin_id=checkin.id, checker="fix", status="rejected",
                         reasons=(Reason(code="GPS_OUTSIDE_GEOFENCE",
                                         message="1,820 m from the store, 150 m allowed"),),
                         model_version=None, policy_version="fix-1", verified_at=at("09:49"),
                         details={"distance_m": 1820.0})
    second = Verification(checkin_id=checkin.id, checker="fix", status="verified", reasons=(),
                          model_version=None, policy_version="fix-2",
                          verified_at=at("12:00"))
    outcome = ActionOutcome(tenant_id=TENANT, checkin_id=checkin.id,
                            completed_at=at("2026-11-05T09:00:00+00:00"), completed_by="r1")
    with database.begin() as connection:
        repo = Repository(connection, TENANT)
        repo.add_checkin(checkin)
        repo.add_verification(first, update_status=CheckinStatus.REJECTED)
        repo.add_verification(second, update_status=CheckinStatus.VERIFIED)
        repo.add_action_outcome(outcome)
    with database.connect() as connection:
        repo = Repository(connection, TENANT)
        stored = repo.checkin(checkin.id)
        assert stored is not None
        assert stored.status is CheckinStatus.VERIFIED
        assert stored.verifications == (first, second)
        assert stored == replace(checkin, status=CheckinStatus.VERIFIED,
                                 verifications=(first, second))
        assert repo.action_outcomes() == [outcome]
        assert repo.checkins_with_photo(checkin.photo_sha256) == [stored]


def test_checkin_filters(database: Database) -> None:
    early = make_checkin(rep="r1", departed="08:00", arrived="07:30", captured="07:40",
                         submitted="08:05")
    late = make_checkin(rep="r2", customer="c2", departed="15:00", arrived="14:00",
                        captured="14:30", submitted="15:05", status=CheckinStatus.REJECTED)
    with database.begin() as connection:
        Repository(connection, TENANT).add_checkins([late, early])
    with database.connect() as connection:
        repo = Repository(connection, TENANT)
        assert [c.id for c in repo.checkins()] == [early.id, late.id]
        assert [c.id for c in repo.checkins(rep_id="r2")] == [late.id]
        assert [c.id for c in repo.checkins(customer_id="c2")] == [late.id]
        assert [c.id for c in repo.checkins(status=CheckinStatus.VERIFIED)] == [early.id]
        assert [c.id for c in repo.checkins(departed_from=at("09:00"))] == [late.id]
        assert [c.id for c in repo.checkins(departed_until=at("15:00"))] == [early.id]


def test_fix_history_reads_the_fixes_and_their_latest_fix_verdict(database: Database) -> None:
    from tests.builders import with_verdict

    # Doubted then cleared: the latest fix verdict counts, the shelf one is ignored.
    cleared = with_verdict(with_verdict(make_checkin(departed="08:00", arrived="07:30",
                                                     captured="07:40", submitted="08:05"),
                                        CheckinStatus.REJECTED, "GPS_OUTSIDE_GEOFENCE"),
                           CheckinStatus.VERIFIED)
    cleared = with_verdict(cleared, CheckinStatus.REJECTED, "PHOTO_REUSED", checker="shelf")
    unjudged = make_checkin(departed="10:00", arrived="09:30", captured="09:40",
                            submitted="10:05", status=CheckinStatus.REJECTED)
    received_later = make_checkin(departed="11:00", arrived="10:30", captured="10:40",
                                  submitted="13:00")
    other_rep = make_checkin(rep="r2", departed="09:00", arrived="08:30", captured="08:40",
                             submitted="09:05")
    current = make_checkin(departed="12:00", arrived="11:30", captured="11:40",
                           submitted="12:05")
    with database.begin() as connection:
        Repository(connection, TENANT).add_checkins(
            [cleared, unjudged, received_later, other_rep, current])
    with database.connect() as connection:
        history = Repository(connection, TENANT).fix_history(
            rep_id="r1", departed_from=at("07:00"), departed_until=at("23:00"),
            submitted_until=at("12:05"), excluding=current.id)

    assert history == [stored_fix(cleared), stored_fix(unjudged)]
    assert history[0].fix_reason_codes == ()
    assert history[1].fix_reason_codes is None
    assert [PriorFix.of(h).position_trusted for h in history] == [True, False]


def test_a_duplicate_checkin_id_is_refused_and_nothing_half_written(database: Database) -> None:
    checkin = make_checkin()
    with database.begin() as connection:
        Repository(connection, TENANT).add_checkin(checkin)

    def retry_inside_a_bigger_transaction() -> None:
        with database.begin() as connection:
            repo = Repository(connection, TENANT)
            repo.add_checkin(make_checkin(customer="c9"))
            repo.add_checkin(checkin)

    with pytest.raises(sa.exc.IntegrityError):
        retry_inside_a_bigger_transaction()
    with database.connect() as connection:
        assert [c.id for c in Repository(connection, TENANT).checkins()] == [checkin.id]


def test_tenants_never_see_each_other(database: Database) -> None:
    other = "globex"
    with database.begin() as connection:
        Repository(connection, other).put_tenant(make_tenant(other))
        Repository(connection, other).put_reps([make_rep("r1", tenant=other)])
        Repository(connection, other).add_checkin(make_checkin(tenant=other))
        Repository(connection, TENANT).put_reps([make_rep("r1")])
    with database.connect() as connection:
        mine = Repository(connection, TENANT)
        assert [r.tenant_id for r in mine.reps()] == [TENANT]
        assert mine.checkins() == []
    with pytest.raises(InvalidValue) as caught, database.begin() as connection:
        Repository(connection, TENANT).put_reps([make_rep("r9", tenant=other)])
    assert caught.value.code == "TENANT_MISMATCH"


def test_the_perceptual_hash_survives_the_signed_bigint_column(database: Database) -> None:
    high = replace(make_checkin(), photo_phash=(1 << 64) - 3)
    with database.begin() as connection:
        Repository(connection, TENANT).add_checkin(high)
    with database.connect() as connection:
        stored = Repository(connection, TENANT).checkin(high.id)
    assert stored is not None
    assert stored.photo_phash == (1 << 64) - 3
