"""What the rep's later fixes say of a stored check-in: only re-verification can see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.look_ahead import later_fix_reasons
from geo.fix_policy import FixIntegrityPolicy
from tests.builders import (
    HANGZHOU,
    TENANT,
    make_checkin,
    make_customer,
    make_fix,
    make_rep,
    shifted,
)
from visitproof.records import Checkin
from visitproof.store import Database, Store

DAY = datetime(2026, 11, 2, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def visit(day: int, *, north_m: float, accuracy_m: float, rep: str = "r1") -> Checkin:
    departed = DAY + timedelta(days=day, hours=10)
    fix = make_fix(*shifted(*HANGZHOU, north_m=north_m, east_m=4.0),
                   t=departed - timedelta(minutes=10), accuracy_m=accuracy_m)
    return make_checkin(rep=rep, arrived=departed - timedelta(minutes=30), departed=departed,
                        captured=departed - timedelta(minutes=15),
                        submitted=departed + timedelta(minutes=5), fix=fix)


def stored(database: Database, checkins: list[Checkin]) -> None:
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_reps([make_rep("r1"), make_rep("r2")])
        store.reference.put_customers([make_customer(reps=("r1", "r2"))])
        for checkin in checkins:
            store.checkins.add(checkin)


def found(database: Database, window: list[Checkin]) -> dict[str, tuple[str, ...]]:
    with database.connect() as connection:
        later = later_fix_reasons(connection, TENANT, window, history=timedelta(days=30),
                                  now=NOW, policy=FixIntegrityPolicy())
    return {checkin_id: tuple(r.code for r in reasons) for checkin_id, reasons in later.items()}


def test_a_fix_replayed_days_later_marks_the_original_for_review(database: Database) -> None:
    original = visit(0, north_m=20.0, accuracy_m=8.0)
    honest = visit(1, north_m=35.0, accuracy_m=11.0)
    replayed = visit(6, north_m=20.0, accuracy_m=9.0)  # the same coordinates, days later
    other_rep = visit(2, north_m=50.0, accuracy_m=6.0, rep="r2")
    stored(database, [original, honest, replayed, other_rep])
    # Only the original gains a look-ahead code: the replay carries the upload-time
    # FIX_REPEATED_COORDINATES already, the others repeat nothing.
    assert found(database, [original, honest, replayed, other_rep]) == {
        str(original.id): ("FIX_COORDINATES_SENT_AGAIN",)}
    # Judging only the window's first day still looks at the rep's later check-ins.
    assert found(database, [original]) == {str(original.id): ("FIX_COORDINATES_SENT_AGAIN",)}


def test_the_start_of_a_run_of_one_accuracy_value_is_marked(database: Database) -> None:
    run = [visit(day, north_m=10.0 + 9 * day, accuracy_m=10.0) for day in range(6)]
    stored(database, run)
    later = found(database, run)
    # The run's first four fixes, which upload time judged before the run existed; from the
    # fifth on, upload time's own FIX_ACCURACY_CONSTANT stands.
    assert set(later) == {str(checkin.id) for checkin in run[:4]}
    assert set(later.values()) == {("FIX_ACCURACY_CONSTANT_RUN",)}


def test_varied_honest_fixes_and_no_check_ins_give_nothing(database: Database) -> None:
    week = [visit(day, north_m=10.0 + 9 * day, accuracy_m=5.0 + day) for day in range(6)]
    stored(database, week)
    assert found(database, week) == {}
    assert found(database, []) == {}
