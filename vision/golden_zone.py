"""The golden zone: are the featured products at eye level?

The zone is policy, not code: a sales director sets it per fixture type, either as rows
counted from the top for each shelf count (rows 2–3 of a 5-shelf gondola) or as a height
band in cm above the floor when the fixture's height is known (the bay's detected extent is
mapped linearly onto the fixture height: a front-on photo's approximation, documented in the
README). The verdict lists, per featured SKU, facings in the zone, facings elsewhere and the
rows they stand on, and applies the policy's pass rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from vision.shelf_geometry import ShelfLayout
from visitproof.errors import InvalidInput
from visitproof.reasons import ReasonCode, reason
from visitproof.records import Reason

_DEFAULT_ROWS: Mapping[int, tuple[int, ...]] = MappingProxyType({
    1: (1,), 2: (1,), 3: (1, 2), 4: (2, 3), 5: (2, 3), 6: (2, 3, 4), 7: (3, 4), 8: (3, 4, 5),
})


class PassRule(StrEnum):
    """How the featured SKUs' placement becomes pass or fail."""

    EVERY_FEATURED_IN_ZONE = "every_featured_in_zone"  # >= 1 facing of each SKU in the zone
    ANY_FEATURED_IN_ZONE = "any_featured_in_zone"  # >= 1 facing of some SKU in the zone
    SHARE_IN_ZONE = "share_in_zone"  # share of featured facings in the zone >= min_share


@dataclass(frozen=True, slots=True)
class GoldenZonePolicy:
    """Where eye level is for one fixture type, and what passes.

    ``rows_by_shelf_count`` maps a bay's number of shelves to its golden rows (1 = top).
    ``height_band_cm`` (floor = 0) with ``fixture_height_cm`` replaces the row table when
    both are set. ``version`` is stamped on every verdict.
    """

    version: str = "golden-zone-default-1"
    fixture_type: str = "gondola"
    rows_by_shelf_count: Mapping[int, tuple[int, ...]] = field(
        default_factory=lambda: _DEFAULT_ROWS)
    height_band_cm: tuple[float, float] | None = None
    fixture_height_cm: float | None = None
    pass_rule: PassRule = PassRule.EVERY_FEATURED_IN_ZONE
    min_share: float = 0.5

    def golden_rows(self, shelf_count: int, bay_extent_y: tuple[float, float] | None = None,
                    row_boxes_y: Sequence[tuple[float, float]] = ()) -> tuple[int, ...]:
        """Golden rows (1 = top) of a bay with ``shelf_count`` rows. With a height band,
        ``bay_extent_y`` (top, bottom pixels) and the rows' (top, bottom) pixels are used."""
        if self.height_band_cm is not None and self.fixture_height_cm and bay_extent_y:
            top, bottom = bay_extent_y
            span = max(bottom - top, 1e-6)
            low, high = self.height_band_cm
            chosen = []
            for number, (row_top, row_bottom) in enumerate(row_boxes_y, start=1):
                # pixel y -> cm above the floor (bottom of the bay = 0 cm)
                row_high = (bottom - row_top) / span * self.fixture_height_cm
                row_low = (bottom - row_bottom) / span * self.fixture_height_cm
                overlap = min(row_high, high) - max(row_low, low)
                if overlap >= 0.5 * max(row_high - row_low, 1e-6):
                    chosen.append(number)
            return tuple(chosen)
        if shelf_count in self.rows_by_shelf_count:
            return tuple(self.rows_by_shelf_count[shelf_count])
        largest = max(self.rows_by_shelf_count)
        return tuple(r for r in self.rows_by_shelf_count[largest] if r <= shelf_count)


@dataclass(frozen=True, slots=True)
class FeaturedPlacement:
    """Where one featured SKU was found. ``rows`` are the distinct rows (1 = top) holding at
    least one facing, in or out of the zone."""

    sku: str
    facings_in_zone: int
    facings_elsewhere: int
    rows: tuple[int, ...]

    @property
    def absent(self) -> bool:
        return self.facings_in_zone + self.facings_elsewhere == 0


@dataclass(frozen=True, slots=True)
class GoldenZoneVerdict:
    """Per featured SKU placement, the golden rows (union over bays), the share of featured
    facings in the zone (None with no featured facing), pass/fail and the reasons."""

    featured: tuple[FeaturedPlacement, ...]
    golden_rows: tuple[int, ...]
    share_in_zone: float | None
    passed: bool
    reasons: tuple[Reason, ...]
    policy_version: str


def golden_zone_verdict(layout: ShelfLayout, product_skus: Sequence[str | None],
                        featured: Sequence[str], policy: GoldenZonePolicy) -> GoldenZoneVerdict:
    """Judge placement. ``product_skus[i]`` is the identified SKU of the layout's i-th
    product (None = unknown); ``featured`` are the SKUs that must be at eye level."""
    if len(product_skus) != len(layout.product_boxes):
        raise InvalidInput(f"product_skus must have one entry per product box "
                           f"({len(layout.product_boxes)}), got {len(product_skus)}")
    zone_by_bay = _zones(layout, policy)
    golden_union = tuple(sorted({r for rows in zone_by_bay.values() for r in rows}))
    placements: list[FeaturedPlacement] = []
    for sku in dict.fromkeys(featured):
        in_zone = elsewhere = 0
        rows: set[int] = set()
        for index, identified in enumerate(product_skus):
            if identified != sku:
                continue
            row = layout.product_rows[index]
            bay = layout.product_bays[index]
            if row is None or bay is None:
                elsewhere += 1  # on no row found: not in the zone
                continue
            rows.add(row)
            if row in zone_by_bay.get(bay, ()):
                in_zone += 1
            else:
                elsewhere += 1
        placements.append(FeaturedPlacement(sku=sku, facings_in_zone=in_zone,
                                            facings_elsewhere=elsewhere,
                                            rows=tuple(sorted(rows))))
    total = sum(p.facings_in_zone + p.facings_elsewhere for p in placements)
    share = (sum(p.facings_in_zone for p in placements) / total) if total else None
    reasons = _reasons(placements, golden_union)
    passed = _passes(placements, share, policy)
    return GoldenZoneVerdict(featured=tuple(placements), golden_rows=golden_union,
                             share_in_zone=share, passed=passed,
                             reasons=tuple(reasons) if not passed else (),
                             policy_version=policy.version)


def policy_from_mapping(data: Mapping[str, Any]) -> GoldenZonePolicy:
    """Build a policy from JSON-like data (a director's rules file), validating every field."""
    allowed = {"version", "fixture_type", "rows_by_shelf_count", "height_band_cm",
               "fixture_height_cm", "pass_rule", "min_share"}
    unknown = set(data) - allowed
    if unknown:
        raise InvalidInput(f"golden-zone policy has unknown fields: {', '.join(sorted(unknown))}",
                           code="BAD_POLICY")
    try:
        rows = {int(count): tuple(int(r) for r in chosen)
                for count, chosen in (data.get("rows_by_shelf_count") or _DEFAULT_ROWS).items()}
        band = data.get("height_band_cm")
        policy = GoldenZonePolicy(
            version=str(data.get("version", "golden-zone-custom")),
            fixture_type=str(data.get("fixture_type", "gondola")),
            rows_by_shelf_count=MappingProxyType(rows),
            height_band_cm=(float(band[0]), float(band[1])) if band else None,
            fixture_height_cm=(float(data["fixture_height_cm"])
                               if data.get("fixture_height_cm") is not None else None),
            pass_rule=PassRule(data.get("pass_rule", PassRule.EVERY_FEATURED_IN_ZONE)),
            min_share=float(data.get("min_share", 0.5)),
        )
    except (TypeError, ValueError, IndexError, AttributeError) as error:
        raise InvalidInput(f"golden-zone policy can't be read: {error}",
                           code="BAD_POLICY") from None
    for count, chosen in policy.rows_by_shelf_count.items():
        if count < 1 or any(not 1 <= r <= count for r in chosen):
            raise InvalidInput(f"rows_by_shelf_count[{count}] = {list(chosen)}: rows must be "
                               f"between 1 and {count}", code="BAD_POLICY")
    if policy.height_band_cm and policy.height_band_cm[0] >= policy.height_band_cm[1]:
        raise InvalidInput("height_band_cm must be [low, high] with low < high",
                           code="BAD_POLICY")
    if not 0.0 <= policy.min_share <= 1.0:
        raise InvalidInput("min_share must be within [0, 1]", code="BAD_POLICY")
    return policy


def _zones(layout: ShelfLayout, policy: GoldenZonePolicy) -> dict[int, tuple[int, ...]]:
    zones: dict[int, tuple[int, ...]] = {}
    for bay, count in enumerate(layout.rows_per_bay):
        bay_rows = [r for r in layout.rows if r.bay == bay]
        extent = (min(r.box[1] for r in bay_rows), max(r.box[3] for r in bay_rows))
        zones[bay] = policy.golden_rows(count, extent, [(r.box[1], r.box[3]) for r in bay_rows])
    return zones


def _passes(placements: Sequence[FeaturedPlacement], share: float | None,
            policy: GoldenZonePolicy) -> bool:
    if not placements:
        return True
    if policy.pass_rule is PassRule.EVERY_FEATURED_IN_ZONE:
        return all(p.facings_in_zone > 0 for p in placements)
    if policy.pass_rule is PassRule.ANY_FEATURED_IN_ZONE:
        return any(p.facings_in_zone > 0 for p in placements)
    return share is not None and share >= policy.min_share


def _reasons(placements: Sequence[FeaturedPlacement],
             golden_rows: tuple[int, ...]) -> list[Reason]:
    reasons: list[Reason] = []
    zone = "-".join(str(r) for r in golden_rows) if golden_rows else "none"
    for placement in placements:
        if placement.absent:
            reasons.append(reason(ReasonCode.FEATURED_ABSENT, sku=placement.sku))
        elif placement.facings_in_zone == 0:
            rows = ", ".join(str(r) for r in placement.rows) or "none detected"
            reasons.append(reason(ReasonCode.FEATURED_NOT_IN_GOLDEN_ZONE,
                                  sku=placement.sku, zone=zone, rows=rows))
    return reasons
