"""What a director's rules say for one check-in: the featured SKUs (those of the rep's team
region on the visit's local date), the golden-zone policy (by the upload's fixture type,
else the rules' default; an unknown type is 422 ``UNKNOWN_FIXTURE_TYPE``) and the mandatory
evidence it lacks. A tenant without rules features every registered SKU under the default
golden zone, with no evidence check."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from application.rules import RuleSet
from vision.golden_zone import GoldenZonePolicy
from vision.product_gallery import ProductGallery
from visitproof.records import Checkin, Customer, Reason
from visitproof.store import ReferenceData


@dataclass(frozen=True, slots=True)
class AppliedRules:
    """What the rules (or their absence, ``version`` None) say for one check-in: the
    featured SKUs, the golden-zone policy, the fixture type the upload asked for, and the
    mandatory evidence it lacks."""

    version: int | None
    featured: tuple[str, ...]
    golden_zone: GoldenZonePolicy
    fixture_type: str | None = None
    missing_evidence: tuple[Reason, ...] = ()
    required_evidence: tuple[str, ...] = ()


def applied_rules(reference: ReferenceData, checkin: Checkin, customer: Customer,
                  rules: RuleSet | None, *, fixture_type: str | None, gallery: ProductGallery,
                  default_zone: GoldenZonePolicy, strict: bool = True) -> AppliedRules:
    """What ``rules`` say for ``checkin`` (see the module docstring). Without rules:
    every SKU of the gallery featured, ``default_zone``. ``strict`` False (a
    re-judged check-in whose fixture type the chosen rules don't know) falls back to the
    rules' default fixture type instead of raising ``UNKNOWN_FIXTURE_TYPE``."""
    if rules is None:
        return AppliedRules(version=None, featured=tuple(sorted(gallery.skus)),
                            golden_zone=default_zone, fixture_type=fixture_type)
    tenant = reference.require_tenant()
    try:
        day = checkin.departed_at.astimezone(ZoneInfo(tenant.timezone)).date()
    except OverflowError:  # year 1 or 9999: the fix check says what is wrong with it
        day = checkin.departed_at.date()
    region = reference.rep_region(checkin.rep_id)
    known = fixture_type if strict or fixture_type in rules.golden_zones else None
    return AppliedRules(
        version=rules.version, featured=rules.featured_skus(region, day),
        golden_zone=rules.golden_zone(known), fixture_type=fixture_type,
        missing_evidence=tuple(rules.missing_evidence(checkin, customer.type)),
        required_evidence=tuple(e.value for e in rules.evidence.get(customer.type, ())))
