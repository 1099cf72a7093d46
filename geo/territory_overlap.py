"""Territory overlap: how much of one rep's footprint another rep also works.

For reps A and B with footprints F_A and F_B (see :mod:`geo.routes`), areas in m² in the
region's metric CRS:

* ``share_a_in_b`` = area(F_A ∩ F_B) / area(F_A): the share of A's footprint inside B's.
  Asymmetric: a rep working a small patch inside a colleague's big one has a share near 1,
  the colleague a small one.
* ``iou`` = area(F_A ∩ F_B) / area(F_A ∪ F_B): symmetric, 1 for identical footprints, 0 for
  disjoint ones.
* ``shared_accounts``: customers with at least one verified visit by each of A and B in the
  period.

For the **top N** reps (most verified visits in the period, ties by rep id, or an explicit
ranking) the matrix of those figures, plus two group figures: ``group_overlap`` = area
covered by at least two of the N footprints / area covered by any of them, and
``mean_pairwise_iou``. "The top 3 reps overlap 62%" is ``group_overlap`` for N = 3.

Only candidate pairs whose footprints' envelopes meet (an STRtree query) are intersected;
every other pair is 0 by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.routes import Footprints, Visits, require_metric
from visitproof.errors import InvalidValue

DEFINITION = (
    "Footprint: a rep's verified visits in the period, in order of departure, joined into a "
    "route through the customers' locations (split where visits are more than {gap:g} h "
    "apart) and buffered by {buffer:g} m, measured in {crs}. share_a_in_b = area(A∩B) / "
    "area(A); iou = area(A∩B) / area(A∪B); shared_accounts = customers verified-visited by "
    "both in the period. Top {n} = {ranked_by}. "
    "group_overlap = area covered by two or more of the top-{n} footprints / area covered by "
    "any of them; mean_pairwise_iou = mean iou over the top-{n} pairs."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlapPolicy:
    """How footprints are drawn and gaps judged.

    ``buffer_m``: footprint half-width around the route (metres). ``neglect_days``: days
    without a verified touch that make a customer a coverage gap. ``top_n``: reps in the
    matrix. ``trip_gap_h``: hours between visits that split a route into trips.
    """

    buffer_m: float = 500.0
    neglect_days: int = 21
    top_n: int = 10
    trip_gap_h: float = 8.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.buffer_m) or self.buffer_m <= 0:
            raise InvalidValue("buffer_m", f"must be > 0 metres, got {self.buffer_m}",
                               code="BAD_NUMBER")
        if self.neglect_days < 1:
            raise InvalidValue("neglect_days", f"must be >= 1, got {self.neglect_days}",
                               code="BAD_NUMBER")
        if self.top_n < 1:
            raise InvalidValue("top_n", f"must be >= 1, got {self.top_n}", code="BAD_NUMBER")
        if not self.trip_gap_h > 0:
            raise InvalidValue("trip_gap_h", f"must be > 0 hours, got {self.trip_gap_h}",
                               code="BAD_NUMBER")


@dataclass(frozen=True, slots=True)
class PairOverlap:
    """One unordered pair of reps (``rep_a`` < ``rep_b``); areas in m², shares in [0, 1]."""

    rep_a: str
    rep_b: str
    overlap_m2: float
    share_a_in_b: float
    share_b_in_a: float
    iou: float
    shared_accounts: int


@dataclass(frozen=True, slots=True)
class OverlapMatrix:
    """The top-N reps and their pairwise figures; row i, column j is rep i against rep j
    (``share_in[i][j]`` = share of rep i's footprint inside rep j's; diagonal 1)."""

    reps: tuple[str, ...]
    share_in: tuple[tuple[float, ...], ...]
    iou: tuple[tuple[float, ...], ...]
    shared_accounts: tuple[tuple[int, ...], ...]
    group_overlap: float
    mean_pairwise_iou: float
    definition: str


def pairwise_overlap(footprints: Footprints, visits: Visits) -> tuple[PairOverlap, ...]:
    """Every pair of reps whose footprints intersect or who share an account, sorted by
    iou then shared accounts (descending), then rep ids. Pairs absent are all zero."""
    frame = footprints.frame
    require_metric(footprints.crs, "footprints")
    geoms = frame.geometry.to_numpy()
    reps = np.asarray(frame.index, dtype=object)
    left, right = _candidate_pairs(geoms)
    inter = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    area = frame["area_m2"].to_numpy(dtype=float)
    pairs = pd.DataFrame({"a": reps[left], "b": reps[right], "overlap_m2": inter,
                          "area_a": area[left], "area_b": area[right]})
    pairs = pairs.loc[pairs["overlap_m2"] > 0]
    shared = shared_accounts(visits.in_period(footprints.period))
    merged = pairs.merge(shared, how="outer", on=["a", "b"])
    merged = merged.loc[merged["a"].isin(frame.index) & merged["b"].isin(frame.index)]
    merged["overlap_m2"] = merged["overlap_m2"].fillna(0.0)
    merged["shared_accounts"] = merged["shared_accounts"].fillna(0).astype(int)
    area_by_rep = frame["area_m2"]
    a_area = area_by_rep.reindex(merged["a"]).to_numpy(dtype=float)
    b_area = area_by_rep.reindex(merged["b"]).to_numpy(dtype=float)
    inter_m2 = merged["overlap_m2"].to_numpy(dtype=float)
    union = a_area + b_area - inter_m2
    merged["share_a_in_b"] = _ratio(inter_m2, a_area)
    merged["share_b_in_a"] = _ratio(inter_m2, b_area)
    merged["iou"] = _ratio(inter_m2, union)
    merged = merged.sort_values(["iou", "shared_accounts", "a", "b"],
                                ascending=[False, False, True, True])
    return tuple(PairOverlap(str(r.a), str(r.b), float(r.overlap_m2), float(r.share_a_in_b),
                             float(r.share_b_in_a), float(r.iou), int(r.shared_accounts))
                 for r in merged.itertuples(index=False))


def shared_accounts(visits: Visits) -> pd.DataFrame:
    """Columns ``a`` < ``b`` (rep ids) and ``shared_accounts``: distinct customers that both
    reps visited among ``visits``. Only pairs sharing at least one customer appear."""
    touched = visits.frame[["customer_id", "rep_id"]].drop_duplicates()
    both = touched.merge(touched, on="customer_id", suffixes=("_a", "_b"))
    both = both.loc[both["rep_id_a"] < both["rep_id_b"]]
    counts = both.groupby(["rep_id_a", "rep_id_b"]).size()
    return pd.DataFrame({"a": counts.index.get_level_values(0).astype(object),
                         "b": counts.index.get_level_values(1).astype(object),
                         "shared_accounts": counts.to_numpy(dtype=int)})


def top_reps(footprints: Footprints, n: int, ranking: Sequence[str] | None = None,
             ) -> tuple[str, ...]:
    """The ``n`` reps with the most verified visits in the period (ties by rep id), or the
    first ``n`` of ``ranking`` that have a footprint."""
    frame = footprints.frame
    if ranking is not None:
        present = set(frame.index)
        return tuple(rep for rep in ranking if rep in present)[:n]
    order = pd.DataFrame({"visits": frame["visits"].to_numpy(), "rep": frame.index})
    order = order.sort_values(["visits", "rep"], ascending=[False, True])
    return tuple(str(rep) for rep in order["rep"].head(n))


BY_VISITS = "the reps with the most verified visits in the period"
BY_RANKING = "the first reps of the ranking given"


def overlap_matrix(footprints: Footprints, pairs: Sequence[PairOverlap],
                   reps: Sequence[str], *, trip_gap_h: float = 8.0,
                   ranked_by: str = BY_VISITS) -> OverlapMatrix:
    """The matrix of ``reps`` (in that order) from ``pairs``, with the group figures;
    ``ranked_by`` says in the definition how ``reps`` were chosen."""
    index = {rep: i for i, rep in enumerate(reps)}
    n = len(reps)
    share = np.eye(n)
    iou = np.eye(n)
    shared = np.zeros((n, n), dtype=int)
    visited = footprints.frame["customers"]
    for i, rep in enumerate(reps):
        shared[i, i] = int(visited.get(rep, 0))
    for pair in pairs:
        if pair.rep_a not in index or pair.rep_b not in index:
            continue
        i, j = index[pair.rep_a], index[pair.rep_b]
        share[i, j], share[j, i] = pair.share_a_in_b, pair.share_b_in_a
        iou[i, j] = iou[j, i] = pair.iou
        shared[i, j] = shared[j, i] = pair.shared_accounts
    upper = np.triu_indices(n, k=1)
    definition = DEFINITION.format(gap=trip_gap_h, buffer=footprints.buffer_m,
                                   crs=footprints.crs.to_string(), n=n, ranked_by=ranked_by)
    return OverlapMatrix(
        reps=tuple(reps),
        share_in=tuple(tuple(float(v) for v in row) for row in share),
        iou=tuple(tuple(float(v) for v in row) for row in iou),
        shared_accounts=tuple(tuple(int(v) for v in row) for row in shared),
        group_overlap=group_overlap(footprints, reps),
        mean_pairwise_iou=float(iou[upper].mean()) if n > 1 else 0.0,
        definition=definition)


def group_overlap(footprints: Footprints, reps: Sequence[str]) -> float:
    """Area covered by two or more of these reps' footprints / area covered by any (0 for
    fewer than two reps)."""
    geoms = footprints.frame.geometry.reindex(list(reps)).dropna().to_numpy()
    if len(geoms) < 2:
        return 0.0
    left, right = _candidate_pairs(geoms)
    covered = shapely.area(shapely.union_all(geoms))
    multiple = shapely.area(shapely.union_all(shapely.intersection(geoms[left],
                                                                     geoms[right])))
    return float(multiple / covered) if covered > 0 else 0.0


def _candidate_pairs(geoms: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.intp],
                                                               npt.NDArray[np.intp]]:
    """Index pairs (i < j) whose geometries intersect, found through an STRtree."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    return left[keep], right[keep]


def _ratio(numerator: npt.NDArray[np.float64],
           denominator: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return np.clip(out, 0.0, 1.0)
