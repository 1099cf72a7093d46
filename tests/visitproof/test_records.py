"""Records refuse bad values when built, each with a stable code."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import datetime, timedelta

import pytest
from shapely.geometry import LineString, Polygon

from tests.builders import at, make_checkin, make_customer, make_fix, make_lead, with_verdict
from visitproof.errors import InvalidValue
from visitproof.records import (
    CheckinStatus,
    Customer,
    GeoPoint,
    GpsFix,
    Lead,
    NextAction,
    Territory,
    Tier,
)


def test_records_are_frozen() -> None:
    customer = make_customer()
    with pytest.raises(FrozenInstanceError):
        customer.name = "other"  # type: ignore[misc]


def test_strings_are_coerced_to_enums_and_times_to_utc() -> None:
    lead = make_lead(created="2026-11-03T09:00:00+08:00")
    assert lead.tier is Tier.B
    assert lead.created_at == at("01:00")
    assert lead.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("build", "code"), [
    (lambda: GeoPoint(lat=91, lon=0), "LAT_OUT_OF_RANGE"),
    (lambda: GeoPoint(lat=0, lon=181), "LON_OUT_OF_RANGE"),
    (lambda: GeoPoint(lat=float("nan"), lon=0), "COORDINATE_NOT_FINITE"),
    (lambda: make_fix(accuracy_m=-1), "BAD_NUMBER"),
    (lambda: make_fix(t=datetime(2026, 11, 3, 9)), "NAIVE_TIMESTAMP"),
    (lambda: make_customer(type="martian"), "UNKNOWN_ENUM_VALUE"),
    (lambda: make_customer(tier="D"), "UNKNOWN_ENUM_VALUE"),
    (lambda: make_customer(radius_m=2), "BAD_NUMBER"),
    (lambda: make_customer(reps=("r1", "r1")), "DUPLICATE_ID"),
    (lambda: make_customer("bad id"), "BAD_IDENTIFIER"),
    (lambda: make_lead(channel="  "), "EMPTY_FIELD"),
    (lambda: make_lead(tier=""), "UNKNOWN_ENUM_VALUE"),
    (lambda: make_lead(created="09:00", first_touch="08:00"), "TIME_ORDER"),
    (lambda: make_checkin(photo="not-a-digest"), "BAD_SHA256"),
    (lambda: make_checkin(action_kind="pray"), "UNKNOWN_ENUM_VALUE"),
    (lambda: NextAction(text="call", due_at=datetime(2026, 11, 5), kind="call"),
     "NAIVE_TIMESTAMP"),
    (lambda: Territory(tenant_id="acme", id="t", name="t",
                       area=LineString([(120, 30), (121, 31)])), "BAD_GEOMETRY"),
    (lambda: Territory(tenant_id="acme", id="t", name="t",
                       area=Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])), "BAD_GEOMETRY"),
    (lambda: Territory(tenant_id="acme", id="t", name="t",
                       area=Polygon([(300, 0), (301, 0), (301, 1)])), "BAD_GEOMETRY"),
])
def test_bad_values_are_refused_with_their_code(build: object, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        build()  # type: ignore[operator]
    assert caught.value.code == code


def test_a_lead_needs_channel_and_tier() -> None:
    with pytest.raises(TypeError):
        Lead(tenant_id="acme", id="l1", created_at=at("09:00"))  # type: ignore[call-arg]


def test_waiting_for_customer_is_a_recordable_next_action_kind() -> None:
    checkin = make_checkin(action_kind="waiting_for_customer")
    assert checkin.next_action.kind == "waiting_for_customer"
    assert checkin.status is CheckinStatus.VERIFIED


def test_replace_revalidates() -> None:
    fix = make_fix()
    with pytest.raises(InvalidValue):
        replace(fix, lat=95.0)
    assert isinstance(replace(fix, lat=31.0), GpsFix)
    assert isinstance(make_customer(), Customer)


def test_a_checkin_answers_its_latest_verification_per_checker() -> None:
    checkin = make_checkin()
    assert checkin.latest("fix") is None
    assert checkin.latest_verifications() == {}
    judged = with_verdict(checkin, CheckinStatus.REJECTED, "GPS_OUTSIDE_GEOFENCE")
    judged = with_verdict(judged, CheckinStatus.NEEDS_REVIEW, "NO_SHELF_FOUND", checker="shelf")
    judged = with_verdict(judged, CheckinStatus.VERIFIED)  # re-verified: the newest stands
    first_fix, shelf, newest_fix = judged.verifications
    assert judged.latest("fix") is newest_fix
    assert judged.latest("shelf") is shelf
    assert judged.latest("evidence") is None
    assert judged.latest_verifications() == {"fix": newest_fix, "shelf": shelf}
    assert list(judged.latest_verifications()) == ["fix", "shelf"]
    assert first_fix is not newest_fix


def test_a_verification_carries_the_rules_version_that_judged_it() -> None:
    (plain,) = with_verdict(make_checkin(), CheckinStatus.VERIFIED).verifications
    assert plain.rules_version is None
    stamped = replace(plain, rules_version=4)
    assert (stamped.rules_version, dict(stamped.details)) == (4, {})


def test_every_record_is_importable_from_its_aggregate_module_and_the_package() -> None:
    import visitproof.records as records
    from visitproof.records import checkins, crm, reference

    for module in (checkins, crm, reference):
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, type) and value.__module__ == module.__name__:
                assert getattr(records, name) is value, name
