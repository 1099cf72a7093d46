"""Check-ins and their verifications go into a real SQLite file and come back equal."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.fix_integrity import PriorFix
from tests.builders import (
    TENANT,
    at,
    make_checkin,
    stored_fix,
    with_verdict,
)
from visitproof.records import CheckinStatus, Reason, Verification
from visitproof.store import Checkins, Database, HashedPhoto, Page, UploadFingerprint
from visitproof.store.tables import verifications

REPOSITORY = Path(__file__).resolve().parents[3]


def test_checkins_round_trip_with_verification_history(database: Database) -> None:
    checkin = make_checkin(status=CheckinStatus.RECEIVED, checkin_id=uuid.uuid4())
    first = Verification(checkin_id=checkin.id, checker="fix", status="rejected",
                         reasons=(Reason(code="GPS_OUTSIDE_GEOFENCE",
                                         message="1,820 m from the store, 150 m allowed"),),
                         model_version=None, policy_version="fix-1", verified_at=at("09:49"),
                         details={"distance_m": 1820.0})
    second = Verification(checkin_id=checkin.id, checker="fix", status="verified", reasons=(),
                          model_version=None, policy_version="fix-2",
                          verified_at=at("12:00"), rules_version=3)
    with database.begin() as connection:
        checkins = Checkins(connection, TENANT)
        checkins.add(checkin)
        checkins.add_verifications([first], update_status=(checkin.id, CheckinStatus.REJECTED))
        checkins.add_verifications([second], update_status=(checkin.id, CheckinStatus.VERIFIED))
    with database.connect() as connection:
        checkins = Checkins(connection, TENANT)
        stored = checkins.get(checkin.id)
        assert stored is not None
        assert stored.status is CheckinStatus.VERIFIED
        assert stored.verifications == (first, second)
        assert [v.rules_version for v in stored.verifications] == [None, 3]
        assert stored == replace(checkin, status=CheckinStatus.VERIFIED,
                                 verifications=(first, second))
        assert checkins.with_photo(checkin.photo_sha256) == [stored]
        assert checkins.get(uuid.uuid4()) is None


def test_rules_version_is_a_column_for_single_and_bulk_inserts(database: Database) -> None:
    judged = with_verdict(make_checkin(), CheckinStatus.VERIFIED)
    stamped = replace(judged, verifications=tuple(replace(v, rules_version=7)
                                                  for v in judged.verifications))
    bulk = make_checkin(checkin_id=uuid.uuid4(), customer="c2")
    bulk = replace(bulk, verifications=(replace(stamped.verifications[0],
                                                checkin_id=bulk.id, rules_version=2),))
    with database.begin() as connection:
        Checkins(connection, TENANT).add(stamped)
        Checkins(connection, TENANT).add_many([bulk])
    with database.connect() as connection:
        columns = sorted(connection.execute(
            sa.select(verifications.c.rules_version, verifications.c.details)).all())
        stored = Checkins(connection, TENANT).get(bulk.id)
    assert columns == [(2, {}), (7, {})]  # stored once: the column, not the details
    assert stored is not None
    assert stored.verifications[0].rules_version == 2


def test_an_old_row_with_rules_version_in_its_details_reads_fine(database: Database) -> None:
    checkin = make_checkin()
    with database.begin() as connection:
        Checkins(connection, TENANT).add(checkin)
        connection.execute(sa.insert(verifications), [{
            "tenant_id": TENANT, "checkin_id": checkin.id, "checker": "shelf",
            "status": "verified", "reasons": [], "model_version": "m1",
            "policy_version": "shelf-1", "verified_at": at("09:50"),
            "details": {"status": "verified", "rules_version": 4, "fixture_type": None},
            "rules_version": 4}])
    with database.connect() as connection:
        stored = Checkins(connection, TENANT).get(checkin.id)
    assert stored is not None
    (shelf,) = stored.verifications
    assert shelf.rules_version == 4
    assert shelf.details["rules_version"] == 4


def test_find_and_page_share_their_filters(database: Database) -> None:
    early = make_checkin(rep="r1", departed="08:00", arrived="07:30", captured="07:40",
                         submitted="08:05")
    late = make_checkin(rep="r2", customer="c2", departed="15:00", arrived="14:00",
                        captured="14:30", submitted="15:05", status=CheckinStatus.REJECTED)
    with database.begin() as connection:
        Checkins(connection, TENANT).add_many([late, early])
    with database.connect() as connection:
        checkins = Checkins(connection, TENANT)
        assert [c.id for c in checkins.find()] == [early.id, late.id]
        assert [c.id for c in checkins.find(rep_ids=["r2"])] == [late.id]
        assert checkins.find(rep_ids=[]) == []
        assert [c.id for c in checkins.find(customer_id="c2")] == [late.id]
        assert [c.id for c in checkins.find(status=CheckinStatus.VERIFIED)] == [early.id]
        assert [c.id for c in checkins.find(departed_from=at("09:00"))] == [late.id]
        assert [c.id for c in checkins.find(departed_until=at("15:00"))] == [early.id]
        assert [c.id for c in checkins.find(limit=1, offset=1)] == [late.id]
        page = checkins.page(limit=1)
        assert ([c.id for c in page.items], page.count) == ([late.id], 2)
        page = checkins.page(rep_ids=["r1", "r2"], departed_until=at("15:00"))
        assert ([c.id for c in page.items], page.count) == ([early.id], 1)
        assert checkins.page(rep_ids=[]) == Page(items=(), count=0)


def test_fix_history_reads_the_fixes_and_their_latest_fix_verdict(database: Database) -> None:
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
        Checkins(connection, TENANT).add_many(
            [cleared, unjudged, received_later, other_rep, current])
    with database.connect() as connection:
        history = Checkins(connection, TENANT).fix_history(
            rep_id="r1", departed_from=at("07:00"), departed_until=at("23:00"),
            submitted_until=at("12:05"), excluding=current.id)

    assert history == [stored_fix(cleared), stored_fix(unjudged)]
    assert history[0].fix_reason_codes == ()
    assert history[1].fix_reason_codes is None
    assert [PriorFix.of(h).position_trusted for h in history] == [True, False]


def test_a_duplicate_checkin_id_is_refused_and_nothing_half_written(database: Database) -> None:
    checkin = make_checkin()
    with database.begin() as connection:
        Checkins(connection, TENANT).add(checkin)

    def retry_inside_a_bigger_transaction() -> None:
        with database.begin() as connection:
            checkins = Checkins(connection, TENANT)
            checkins.add(make_checkin(customer="c9"))
            checkins.add(checkin)

    with pytest.raises(sa.exc.IntegrityError):
        retry_inside_a_bigger_transaction()
    with database.connect() as connection:
        assert [c.id for c in Checkins(connection, TENANT).find()] == [checkin.id]


def test_the_upload_fingerprint_is_named_and_absent_for_an_unknown_checkin(
        database: Database) -> None:
    uploaded, imported = make_checkin(), make_checkin(checkin_id=uuid.uuid4())
    with database.begin() as connection:
        checkins = Checkins(connection, TENANT)
        checkins.add_many([uploaded, imported])
        checkins.set_upload_fingerprint(uploaded.id, "f" * 64)
    with database.connect() as connection:
        checkins = Checkins(connection, TENANT)
        assert checkins.upload_fingerprint(uploaded.id) == UploadFingerprint(
            checkin_id=uploaded.id, fingerprint="f" * 64)
        assert checkins.upload_fingerprint(imported.id) == UploadFingerprint(
            checkin_id=imported.id, fingerprint=None)
        assert checkins.upload_fingerprint(uuid.uuid4()) is None


def test_the_perceptual_hash_survives_the_signed_bigint_column(database: Database) -> None:
    high = replace(make_checkin(), photo_phash=(1 << 64) - 3)
    unhashed = make_checkin(checkin_id=uuid.uuid4(), submitted="10:00")
    with database.begin() as connection:
        Checkins(connection, TENANT).add_many([high, unhashed])
    with database.connect() as connection:
        checkins = Checkins(connection, TENANT)
        stored = checkins.get(high.id)
        hashed = checkins.hashed_photos()
        assert checkins.hashed_photos(submitted_from=at("09:59")) == []
    assert stored is not None
    assert stored.photo_phash == (1 << 64) - 3
    assert hashed == [HashedPhoto(checkin_id=str(high.id), customer_id=high.customer_id,
                                  submitted_at=high.submitted_at, phash=(1 << 64) - 3,
                                  status=high.status)]


def test_nothing_but_the_checkins_aggregate_inserts_verifications() -> None:
    writers = [path.relative_to(REPOSITORY).as_posix()
               for folder in ("visitproof", "application", "serving", "cli", "simulation",
                              "benchmarks", "vision", "geo", "phi")
               for path in (REPOSITORY / folder).rglob("*.py")
               if "insert(tables.verifications)" in path.read_text(encoding="utf-8")
               or "insert(verifications)" in path.read_text(encoding="utf-8")]
    assert writers == ["visitproof/store/checkins.py"]
