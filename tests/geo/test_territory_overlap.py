"""Pairwise overlap, the top-N matrix and its group figure: hand-computed lens areas,
properties (symmetry, self-overlap, disjointness, relabelling) and the STRtree path against
the all-pairs loop."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS

from geo.routes import Footprints, Period, Visits, rep_footprints
from geo.territory_overlap import (
    OverlapPolicy,
    PairOverlap,
    overlap_matrix,
    pairwise_overlap,
    top_reps,
)
from tests.builders import DAY, HANGZHOU, make_visits, shifted
from visitproof.errors import InvalidValue

UTM51 = CRS.from_epsg(32651)
WEEK = Period(DAY - timedelta(days=1), DAY + timedelta(days=6))
R = 500.0


def east(metres: float, north: float = 0.0) -> tuple[float, float]:
    return shifted(*HANGZHOU, east_m=metres, north_m=north)


def footprints(visits: Visits) -> Footprints:
    return rep_footprints(visits, WEEK, UTM51, buffer_m=R)


def pairs_of(visits: Visits) -> dict[tuple[str, str], PairOverlap]:
    return {(p.rep_a, p.rep_b): p for p in pairwise_overlap(footprints(visits), visits)}


def lens_area(r: float, d: float) -> float:
    """Area shared by two discs of radius r whose centres are d apart (d < 2r)."""
    return 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)


def test_two_discs_500m_apart_hand_computed() -> None:
    visits = make_visits(("a", "c1", "09:00", east(0)), ("b", "c2", "09:00", east(500)))
    pair = pairs_of(visits)[("a", "b")]
    lens, disc = lens_area(R, 500), math.pi * R * R  # 307,093 m² and 785,398 m²
    # Discs are 32-gons: the lens, bounded by two polygonised arcs, comes out ~1.2% small.
    assert pair.overlap_m2 == pytest.approx(lens, rel=0.02)
    assert pair.share_a_in_b == pytest.approx(lens / disc, rel=0.02)  # 0.391
    assert pair.share_b_in_a == pytest.approx(pair.share_a_in_b)
    assert pair.iou == pytest.approx(lens / (2 * disc - lens), rel=0.02)  # 0.243
    assert pair.shared_accounts == 0


def test_small_footprint_inside_a_big_one_is_asymmetric() -> None:
    visits = make_visits(("big", "c1", "09:00", east(-2000)), ("big", "c2", "10:00", east(2000)),
                         ("small", "c3", "09:00", east(0)))
    pair = pairs_of(visits)[("big", "small")]
    big_area = 4000 * 2 * R + math.pi * R * R
    assert pair.share_b_in_a == pytest.approx(1.0, abs=1e-9)  # all of small is in big
    assert pair.share_a_in_b == pytest.approx(math.pi * R * R / big_area, rel=0.01)


def test_shared_accounts_count_distinct_customers_visited_by_both() -> None:
    visits = make_visits(("a", "c1", "09:00", east(0)), ("a", "c1", "2026-11-04T09:00Z", east(0)),
                         ("a", "c2", "10:00", east(300)), ("b", "c1", "11:00", east(0)),
                         ("b", "c2", "12:00", east(300)), ("b", "c3", "13:00", east(600)),
                         ("a", "c3", "2026-12-20T09:00Z", east(600)))  # outside the period
    assert pairs_of(visits)[("a", "b")].shared_accounts == 2


def test_shared_account_far_apart_still_reported() -> None:
    # Two reps whose routes don't meet on the map can't share a customer; but a pair with
    # no area in common and an account in common must still be listed, not dropped.
    visits = make_visits(("a", "c1", "09:00", east(0)), ("b", "c1", "15:00", east(0)),
                         ("b", "c9", "16:00", east(50_000)))
    assert pairs_of(visits)[("a", "b")].shared_accounts == 1


def test_top_reps_by_verified_visits_ties_by_id_or_given_ranking() -> None:
    visits = make_visits(("r3", "c1", "09:00", east(0)), ("r3", "c2", "10:00", east(10)),
                         ("r2", "c1", "09:00", east(0)), ("r1", "c1", "09:00", east(0)))
    fp = footprints(visits)
    assert top_reps(fp, 2) == ("r3", "r1")
    assert top_reps(fp, 2, ranking=["r9", "r2", "r1"]) == ("r2", "r1")


def test_matrix_and_group_overlap_for_three_reps() -> None:
    # a and b identical, c disjoint: covered = 2 discs, covered twice = 1 disc -> 50%.
    visits = make_visits(("a", "c1", "09:00", east(0)), ("b", "c1", "10:00", east(0)),
                         ("c", "c2", "09:00", east(10_000)))
    fp = footprints(visits)
    matrix = overlap_matrix(fp, pairwise_overlap(fp, visits), ("a", "b", "c"))
    assert matrix.share_in[0] == pytest.approx((1.0, 1.0, 0.0))
    assert matrix.iou[2] == pytest.approx((0.0, 0.0, 1.0))
    assert matrix.shared_accounts == ((1, 1, 0), (1, 1, 0), (0, 0, 1))
    assert matrix.group_overlap == pytest.approx(0.5, rel=1e-6)
    assert matrix.mean_pairwise_iou == pytest.approx(1 / 3, rel=1e-6)
    assert "area(A∩B) / area(A)" in matrix.definition
    assert "Top 3" in matrix.definition


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"buffer_m": 0}, "buffer_m"), ({"neglect_days": 0}, "neglect_days"),
    ({"top_n": 0}, "top_n"), ({"trip_gap_h": 0}, "trip_gap_h")])
def test_policy_refuses_nonsense(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        OverlapPolicy(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


# -- properties ---------------------------------------------------------------------------

offsets = st.tuples(st.integers(-4000, 4000), st.integers(-4000, 4000))
rep_routes = st.lists(st.lists(offsets, min_size=1, max_size=5), min_size=2, max_size=5)


def _visits(routes: list[list[tuple[int, int]]], names: list[str] | None = None,
            shift_m: float = 0.0) -> Visits:
    names = names or [f"r{i}" for i in range(len(routes))]
    rows = []
    for rep, route in zip(names, routes, strict=True):
        for k, (x, y) in enumerate(route):
            rows.append((rep, f"c{x}_{y}", DAY + timedelta(hours=8, minutes=30 * k),
                         east(x + (shift_m if rep == names[0] else 0.0), y)))
    return make_visits(*rows)


def _figures(visits: Visits, rename: dict[str, str] | None = None,
             ) -> dict[frozenset[str], tuple[float, int, tuple[float, ...]]]:
    rename = rename or {}
    out = {}
    for p in pairwise_overlap(footprints(visits), visits):
        a, b = rename.get(p.rep_a, p.rep_a), rename.get(p.rep_b, p.rep_b)
        shares = {a: p.share_a_in_b, b: p.share_b_in_a}
        out[frozenset((a, b))] = (round(p.iou, 9), p.shared_accounts,
                                  tuple(round(shares[k], 9) for k in sorted(shares)))
    return out


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow])


@SETTINGS
@given(routes=rep_routes)
def test_iou_is_symmetric_and_shares_bounded(routes: list[list[tuple[int, int]]]) -> None:
    visits = _visits(routes)
    fp = footprints(visits)
    pairs = pairwise_overlap(fp, visits)
    matrix = overlap_matrix(fp, pairs, tuple(fp.frame.index))
    n = len(matrix.reps)
    for i in range(n):
        for j in range(n):
            assert matrix.iou[i][j] == matrix.iou[j][i]
            assert 0.0 <= matrix.share_in[i][j] <= 1.0
            assert matrix.iou[i][j] <= min(matrix.share_in[i][j], matrix.share_in[j][i]) + 1e-12


@SETTINGS
@given(route=st.lists(offsets, min_size=1, max_size=6))
def test_self_overlap_is_one(route: list[tuple[int, int]]) -> None:
    pair = pairs_of(_visits([route, route], ["a", "b"]))[("a", "b")]
    assert (pair.iou, pair.share_a_in_b, pair.share_b_in_a) == pytest.approx((1.0, 1.0, 1.0))
    assert pair.shared_accounts == len(set(route))


@SETTINGS
@given(routes=rep_routes)
def test_disjoint_footprints_overlap_zero(routes: list[list[tuple[int, int]]]) -> None:
    visits = _visits(routes[:2], ["a", "b"], shift_m=30_000)
    # Customers are named by position, so move the shifted rep's customers apart too.
    visits = Visits(visits.frame.assign(customer_id=visits.frame["rep_id"] + visits.frame[
        "customer_id"]))
    assert ("a", "b") not in pairs_of(visits)
    fp = footprints(visits)
    matrix = overlap_matrix(fp, pairwise_overlap(fp, visits), ("a", "b"))
    assert matrix.iou[0][1] == matrix.share_in[0][1] == matrix.share_in[1][0] == 0.0
    assert matrix.group_overlap == 0.0


@SETTINGS
@given(routes=rep_routes, data=st.data())
def test_invariant_under_relabelling_reps(routes: list[list[tuple[int, int]]],
                                          data: st.DataObject) -> None:
    names = [f"r{i}" for i in range(len(routes))]
    relabelled = data.draw(st.permutations([f"x{i}" for i in range(len(routes))]))
    rename = dict(zip(relabelled, names, strict=True))
    assert _figures(_visits(routes, relabelled), rename) == _figures(_visits(routes, names))


@SETTINGS
@given(routes=rep_routes)
def test_strtree_path_matches_the_all_pairs_loop(routes: list[list[tuple[int, int]]]) -> None:
    visits = _visits(routes)
    fp = footprints(visits)
    geoms, reps = list(fp.frame.geometry), list(fp.frame.index)
    expected = {}
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            inter = geoms[i].intersection(geoms[j]).area
            if inter > 0:
                expected[(reps[i], reps[j])] = inter / geoms[i].union(geoms[j]).area
    got = {(p.rep_a, p.rep_b): p.iou for p in pairwise_overlap(fp, visits) if p.overlap_m2 > 0}
    assert got.keys() == expected.keys()
    for key, iou in expected.items():
        assert got[key] == pytest.approx(iou, rel=1e-6, abs=1e-9)
