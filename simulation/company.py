"""The simulated distributor: teams, reps with home bases and territories, customers with
types, tiers, footprints and decision contacts, and products.

Customers cluster around district seats by population weight; each belongs to the territory
of the nearest rep base and is assigned to that rep. Three neighbouring, aggressive city reps
also "farm" the A-tier accounts of their patch (extra assigned reps), which is what the
overlap map must show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from geo.fix_policy import FixIntegrityPolicy
from simulation.region import DISTRICTS, territories, to_degrees, to_metres
from visitproof.records import (
    Contact,
    Customer,
    CustomerType,
    DecisionRole,
    GeoPoint,
    Product,
    Rep,
    Team,
    Territory,
    Tier,
)

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]
T = CustomerType
R = DecisionRole

_TYPE_MIX: tuple[tuple[CustomerType, float], ...] = (
    (T.CONVENIENCE_STORE, 0.27), (T.SUPERMARKET, 0.20), (T.PHARMACY, 0.15),
    (T.HOSPITAL_DEPARTMENT, 0.15), (T.CLINIC, 0.10), (T.HYPERMARKET, 0.06),
    (T.WHOLESALER, 0.07))
_ROLES: dict[CustomerType, tuple[DecisionRole, ...]] = {
    T.HOSPITAL_DEPARTMENT: (R.DEPARTMENT_HEAD, R.EQUIPMENT_HEAD, R.IT_ENGINEER,
                            R.PURCHASING_OFFICER, R.HEAD_NURSE),
    T.CLINIC: (R.OWNER, R.HEAD_NURSE, R.PURCHASING_OFFICER),
    T.PHARMACY: (R.PHARMACIST, R.OWNER, R.STORE_MANAGER),
    T.WHOLESALER: (R.OWNER, R.PURCHASING_OFFICER, R.FINANCE),
}
_RETAIL_ROLES = (R.STORE_MANAGER, R.CATEGORY_MANAGER, R.OWNER, R.FINANCE)
_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
             "Xu", "Sun", "Hu", "Zhu", "Gao", "Lin", "He", "Guo", "Ma", "Luo")
_GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yang", "Jun", "Yan", "Qiang", "Jie",
          "Tao", "Ming", "Chao", "Xiu", "Hui", "Ping", "Gang", "Hong", "Ling")
_SHOP_NAMES = {T.CONVENIENCE_STORE: "Lawson", T.SUPERMARKET: "Lianhua Supermarket",
               T.PHARMACY: "Jiuzhou Pharmacy", T.HOSPITAL_DEPARTMENT: "People's Hospital",
               T.CLINIC: "Community Clinic", T.HYPERMARKET: "Wumart Hypermarket",
               T.WHOLESALER: "Wholesale Market"}
_DEPARTMENTS = ("Orthopaedics", "Radiology (DSA)", "Cardiology", "ICU", "Surgery",
                "Endoscopy")


@dataclass(frozen=True, slots=True, eq=False)
class Company:
    """Everything static about the distributor; arrays are aligned with ``reps`` and
    ``customers`` (metres in EPSG:32651)."""

    teams: tuple[Team, ...]
    territories: tuple[Territory, ...]
    reps: tuple[Rep, ...]
    rep_x: Float
    rep_y: Float
    rep_urban: npt.NDArray[np.bool_]
    farmers: tuple[int, ...]
    customers: tuple[Customer, ...]
    customer_x: Float
    customer_y: Float
    customer_owner: Int
    customer_urban: npt.NDArray[np.bool_]
    contacts: tuple[Contact, ...]
    contacts_of: dict[str, tuple[str, ...]]
    products: tuple[Product, ...]


def _name(rng: np.random.Generator) -> str:
    return f"{_SURNAMES[rng.integers(len(_SURNAMES))]} {_GIVEN[rng.integers(len(_GIVEN))]}"


def _scatter(rng: np.random.Generator, count: int,
             weights: Float) -> tuple[Int, Float, Float]:
    """District index and metres position of ``count`` points around district seats."""
    district = rng.choice(len(DISTRICTS), size=count, p=weights / weights.sum())
    seat_x, seat_y = to_metres(np.array([d.lon for d in DISTRICTS]),
                               np.array([d.lat for d in DISTRICTS]))
    spread = np.array([d.spread_km * 1000.0 for d in DISTRICTS])[district]
    x = seat_x[district] + rng.normal(0.0, 1.0, count) * spread
    y = seat_y[district] + rng.normal(0.0, 1.0, count) * spread
    return district.astype(np.int64), x, y


def build_company(rng: np.random.Generator, *, tenant: str, reps: int, customers: int,
                  policy: FixIntegrityPolicy) -> Company:
    """A company of ``reps`` reps and ``customers`` customers (deterministic for ``rng``)."""
    weights = np.array([d.weight for d in DISTRICTS])
    district, cx, cy = _scatter(rng, customers, weights)
    # reps live among their customers: bases at randomly drawn customers, 0-2 km off
    based_at = rng.choice(customers, size=reps, replace=False)
    rep_district = district[based_at]
    rep_x = cx[based_at] + rng.normal(0, 1000.0, reps)
    rep_y = cy[based_at] + rng.normal(0, 1000.0, reps)
    teams = tuple(Team(tenant_id=tenant, id=f"team-{i:02d}", name=f"{d.name} team",
                       region=d.name, manager_id=f"mgr-{i:02d}")
                  for i, d in enumerate(DISTRICTS))
    cells = territories(rep_x, rep_y)
    territory_list = tuple(Territory(tenant_id=tenant, id=f"terr-{i:03d}",
                                     name=f"{DISTRICTS[rep_district[i]].name} {i:03d}",
                                     area=cells[i]) for i in range(reps))
    rep_list = tuple(Rep(tenant_id=tenant, id=f"rep-{i:03d}", name=_name(rng),
                         team_id=f"team-{rep_district[i]:02d}",
                         manager_id=f"mgr-{rep_district[i]:02d}", territory_id=f"terr-{i:03d}")
                     for i in range(reps))
    rep_urban = np.array([DISTRICTS[d].urban for d in rep_district])

    owner = np.argmin((cx[:, None] - rep_x[None, :]) ** 2 + (cy[:, None] - rep_y[None, :]) ** 2,
                      axis=1).astype(np.int64)
    kinds = [kind for kind, _ in _TYPE_MIX]
    kind_of = rng.choice(len(kinds), size=customers, p=[p for _, p in _TYPE_MIX])
    tier_of = rng.choice(3, size=customers, p=[0.2, 0.35, 0.45])
    lon, lat = to_degrees(cx, cy)
    urban_reps = [i for i in range(reps) if rep_urban[i]]
    farmers = _farmers(rng, urban_reps, rep_x, rep_y)
    farmed = _farmed(rep_x, rep_y, owner, tier_of, farmers)
    customer_list: list[Customer] = []
    contact_list: list[Contact] = []
    contacts_of: dict[str, tuple[str, ...]] = {}
    for i in range(customers):
        kind = kinds[kind_of[i]]
        cid = f"cust-{i:05d}"
        assigned = (f"rep-{owner[i]:03d}", *tuple(f"rep-{f:03d}" for f in farmed.get(i, ())))
        footprint = None
        if kind in (T.HOSPITAL_DEPARTMENT, T.HYPERMARKET):
            footprint = _footprint(rng, cx[i], cy[i])
        label = (f"{DISTRICTS[district[i]].name} {_SHOP_NAMES[kind]}"
                 + (f" - {_DEPARTMENTS[rng.integers(len(_DEPARTMENTS))]}"
                    if kind is T.HOSPITAL_DEPARTMENT else f" #{i}"))
        customer_list.append(Customer(
            tenant_id=tenant, id=cid, name=label, type=kind, tier=list(Tier)[tier_of[i]],
            location=GeoPoint(lat=float(lat[i]), lon=float(lon[i])), footprint=footprint,
            geofence_radius_m=policy.radius_for(kind, 150.0),
            territory_id=f"terr-{owner[i]:03d}", assigned_rep_ids=assigned))
        roles = _ROLES.get(kind, _RETAIL_ROLES)
        count = int(rng.integers(1, min(4, len(roles)) + 1))
        picked = rng.choice(len(roles), size=count, replace=False)
        ids = tuple(f"{cid}-k{j}" for j in range(count))
        contact_list.extend(Contact(tenant_id=tenant, id=ids[j], customer_id=cid,
                                    name=_name(rng), role=roles[picked[j]])
                            for j in range(count))
        contacts_of[cid] = ids
    products = tuple(Product(tenant_id=tenant, sku=f"SKU-{k:03d}", name=name, brand="Visitco")
                     for k, name in enumerate(("Orthopaedic brace M", "DSA contrast kit",
                                               "Vitamin C 500", "Sparkling tea 330ml",
                                               "Instant noodles spicy", "Hand sanitiser 500ml",
                                               "Blood glucose strips", "Baby formula 900g")))
    return Company(teams=teams, territories=territory_list, reps=rep_list, rep_x=rep_x,
                   rep_y=rep_y, rep_urban=rep_urban, farmers=farmers,
                   customers=tuple(customer_list), customer_x=cx, customer_y=cy,
                   customer_owner=owner,
                   customer_urban=np.array([DISTRICTS[d].urban for d in district]),
                   contacts=tuple(contact_list), contacts_of=contacts_of, products=products)


def _farmers(rng: np.random.Generator, urban_reps: list[int], rep_x: Float,
             rep_y: Float) -> tuple[int, ...]:
    """Three neighbouring city reps: the brief's "top reps farming the same accounts" are a
    pack working one patch, not three strangers."""
    if not urban_reps:
        return ()
    first = int(rng.choice(urban_reps))
    urban = np.array(urban_reps)
    distance = np.hypot(rep_x[urban] - rep_x[first], rep_y[urban] - rep_y[first])
    return tuple(int(urban[i]) for i in np.argsort(distance, kind="stable")[:3])


def _farmed(rep_x: Float, rep_y: Float, owner: Int, tier: Int,
            farmers: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    """The A-tier customers of the farmers and of their four nearest neighbour reps get every
    farmer as an extra assigned rep (besides their owner)."""
    patch: set[int] = set(farmers)
    for farmer in farmers:
        distance = np.hypot(rep_x - rep_x[farmer], rep_y - rep_y[farmer])
        patch.update(int(n) for n in np.argsort(distance)[1:5])
    extra: dict[int, list[int]] = {}
    for customer in np.flatnonzero(np.isin(owner, sorted(patch)) & (tier == 0)):
        others = [f for f in farmers if f != owner[customer]]
        if others:
            extra[int(customer)] = others
    return {key: tuple(value) for key, value in extra.items()}


def _footprint(rng: np.random.Generator, x: float, y: float) -> shapely.Polygon:
    """A rotated rectangle of 80-220 m by 60-160 m around (x, y) metres, in lon/lat."""
    width, depth = rng.uniform(80, 220), rng.uniform(60, 160)
    angle = rng.uniform(0, np.pi)
    corners = np.array([[-width, -depth], [width, -depth], [width, depth], [-width, depth]]) / 2
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    xy = corners @ rotation.T + np.array([x, y])
    lon, lat = to_degrees(xy[:, 0], xy[:, 1])
    return shapely.Polygon(np.column_stack([lon, lat]))
