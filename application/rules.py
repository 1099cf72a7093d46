"""A director's rules as data: what is featured where and when, where eye level is per
fixture type, and what extra evidence a customer type needs. Versioned, never edited.

    rules = rules_from_mapping(body, version=4, created_at=now, created_by="d1")
    rules.featured_skus(region="east", day=date(2026, 11, 27))   # ("SKU-1", "SKU-7")
    rules.golden_zone("cooler")                                   # GoldenZonePolicy
    rules.missing_evidence(checkin, CustomerType.HOSPITAL_DEPARTMENT)  # [Reason, ...]

The body (``POST /v1/rules``, ``visitproof rules set FILE``) is JSON::

    {"featured": [{"region": "east", "skus": ["SKU-1"],
                   "valid_from": "2026-11-01", "valid_until": "2026-11-30"}],
     "golden_zones": {"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                      "cooler": {"height_band_cm": [100, 160], "fixture_height_cm": 200}},
     "default_fixture_type": "gondola",
     "evidence": {"hospital_department": ["contract_number", "next_action_contact"]}}

- ``featured``: a rule applies to a team whose ``region`` equals ``region`` (``"*"``: every
  region, including teams without one) from ``valid_from`` to ``valid_until`` inclusive, in
  the tenant's local calendar. The featured SKUs of a check-in are the union of the rules
  that apply to its rep's team on its departure date; none applying means nothing featured.
- ``golden_zones``: one :class:`~vision.golden_zone.GoldenZonePolicy` mapping per fixture
  type (:func:`vision.golden_zone.policy_from_mapping`); without a ``version`` one is stamped
  (``rules-4/cooler``). An upload names its fixture type, or gets ``default_fixture_type``.
- ``evidence``: per customer type, the :class:`Evidence` an upload must carry; each one
  missing is a ``MANDATORY_EVIDENCE_MISSING`` reason, which sends the check-in to review
  (needs_review: the visit may be real, a person decides).

Refused bodies raise :class:`~visitproof.errors.InvalidValue` with a stable code and the
field's path: ``BAD_POLICY`` (a golden-zone policy), ``BAD_PERIOD`` (until before from),
``BAD_DATE``, ``UNKNOWN_FIXTURE_TYPE``, ``UNKNOWN_EVIDENCE``, ``UNKNOWN_ENUM_VALUE``
(customer type), ``UNKNOWN_FIELD``, ``EMPTY_FIELD``, ``BAD_TYPE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from vision.golden_zone import GoldenZonePolicy, policy_from_mapping
from visitproof.errors import InvalidInput, InvalidValue
from visitproof.reasons import ReasonCode, reason
from visitproof.records import Checkin, CustomerType, NextActionKind, Reason

ANY_REGION = "*"
MISSING_EVIDENCE = ReasonCode.MANDATORY_EVIDENCE_MISSING.value


class Evidence(StrEnum):
    """What a customer type may require on top of the three elements. Each checks a field
    the upload really carries."""

    CONTRACT_NUMBER = "contract_number"  # commitment.contract_number is set
    NEXT_ACTION_CONTACT = "next_action_contact"  # next_action.contact_id names a person
    CONCRETE_NEXT_ACTION = "concrete_next_action"  # next_action.kind isn't waiting_for_customer
    DEVICE_CLOCK = "device_clock"  # device_submitted_at is sent (clock-skew estimate)


_EVIDENCE_MESSAGES: Mapping[Evidence, str] = MappingProxyType({
    Evidence.CONTRACT_NUMBER: "the commitment needs a contract number",
    Evidence.NEXT_ACTION_CONTACT: "the next action needs a contact person (contact_id)",
    Evidence.CONCRETE_NEXT_ACTION: "the next action must be a concrete step, not waiting "
                                   "for the customer",
    Evidence.DEVICE_CLOCK: "the upload must carry the phone's clock (device_submitted_at)",
})


@dataclass(frozen=True, slots=True)
class FeaturedRule:
    """SKUs featured in one region (``"*"``: all) from ``valid_from`` to ``valid_until``,
    both inclusive, local dates."""

    region: str
    skus: tuple[str, ...]
    valid_from: date
    valid_until: date

    def applies(self, region: str | None, day: date) -> bool:
        return (self.region == ANY_REGION or self.region == region) and \
            self.valid_from <= day <= self.valid_until


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One version of a tenant's rules. ``version`` counts from 1 per tenant."""

    version: int
    featured: tuple[FeaturedRule, ...]
    golden_zones: Mapping[str, GoldenZonePolicy]
    default_fixture_type: str
    evidence: Mapping[CustomerType, tuple[Evidence, ...]]
    created_at: datetime | None = None
    created_by: str | None = None
    note: str | None = None
    body: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def featured_skus(self, region: str | None, day: date) -> tuple[str, ...]:
        """SKUs featured for a team in ``region`` (None: a team without one) on ``day``,
        in rule order without repeats."""
        skus = [sku for rule in self.featured if rule.applies(region, day) for sku in rule.skus]
        return tuple(dict.fromkeys(skus))

    def golden_zone(self, fixture_type: str | None) -> GoldenZonePolicy:
        """The policy of ``fixture_type`` (None: the default); an unknown type is
        ``UNKNOWN_FIXTURE_TYPE`` on ``meta.fixture_type``."""
        chosen = fixture_type or self.default_fixture_type
        policy = self.golden_zones.get(chosen)
        if policy is None:
            known = ", ".join(sorted(self.golden_zones))
            raise InvalidValue("meta.fixture_type", f"rules version {self.version} has no "
                               f"fixture type {chosen!r}; known: {known}",
                               code="UNKNOWN_FIXTURE_TYPE")
        return policy

    def missing_evidence(self, checkin: Checkin, customer_type: CustomerType) -> list[Reason]:
        """One ``MANDATORY_EVIDENCE_MISSING`` reason per required evidence the check-in
        lacks."""
        return [reason(ReasonCode.MANDATORY_EVIDENCE_MISSING, evidence=_EVIDENCE_MESSAGES[kind],
                       customer_type=customer_type.value, version=self.version)
                for kind in self.evidence.get(customer_type, ()) if not _has(checkin, kind)]


def rules_from_mapping(body: Mapping[str, Any], *, version: int,
                       created_at: datetime | None = None, created_by: str | None = None,
                       note: str | None = None) -> RuleSet:
    """Build and validate a rule set from its JSON body (module docstring)."""
    allowed = {"featured", "golden_zones", "default_fixture_type", "evidence", "note"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidValue(unknown[0], f"unknown field; a rules body has: "
                           f"{', '.join(sorted(allowed))}", code="UNKNOWN_FIELD")
    featured = tuple(_featured(rule, f"featured.{i}")
                     for i, rule in enumerate(_list(body.get("featured", []), "featured")))
    zones = _golden_zones(body.get("golden_zones") or {}, version)
    default = body.get("default_fixture_type") or next(iter(zones))
    if not isinstance(default, str) or default not in zones:
        raise InvalidValue("default_fixture_type", f"{default!r} is not one of the golden "
                           f"zones' fixture types ({', '.join(zones)})",
                           code="UNKNOWN_FIXTURE_TYPE")
    evidence = _evidence(body.get("evidence") or {})
    return RuleSet(version=version, featured=featured, golden_zones=MappingProxyType(zones),
                   default_fixture_type=default, evidence=MappingProxyType(evidence),
                   created_at=created_at, created_by=created_by,
                   note=note if note is not None else body.get("note"),
                   body=MappingProxyType(dict(body)))


def _featured(rule: Any, where: str) -> FeaturedRule:
    if not isinstance(rule, Mapping):
        raise InvalidValue(where, "must be an object with region, skus, valid_from, "
                           "valid_until", code="BAD_TYPE")
    extra = sorted(set(rule) - {"region", "skus", "valid_from", "valid_until"})
    if extra:
        raise InvalidValue(f"{where}.{extra[0]}", "unknown field", code="UNKNOWN_FIELD")
    region = rule.get("region", ANY_REGION)
    if not isinstance(region, str) or not region.strip():
        raise InvalidValue(f"{where}.region", "must be a region name or \"*\"",
                           code="EMPTY_FIELD")
    skus = _list(rule.get("skus"), f"{where}.skus")
    if not skus or not all(isinstance(s, str) and s.strip() for s in skus):
        raise InvalidValue(f"{where}.skus", "must list at least one SKU (non-blank strings)",
                           code="EMPTY_FIELD")
    valid_from = _date(rule.get("valid_from"), f"{where}.valid_from")
    valid_until = _date(rule.get("valid_until"), f"{where}.valid_until")
    if valid_until < valid_from:
        raise InvalidValue(f"{where}.valid_until", f"{valid_until} is before valid_from "
                           f"{valid_from}", code="BAD_PERIOD")
    return FeaturedRule(region=region.strip(), skus=tuple(s.strip() for s in skus),
                        valid_from=valid_from, valid_until=valid_until)


def _golden_zones(data: Any, version: int) -> dict[str, GoldenZonePolicy]:
    if not isinstance(data, Mapping):
        raise InvalidValue("golden_zones", "must map fixture types to policies",
                           code="BAD_TYPE")
    if not data:
        return {"gondola": GoldenZonePolicy(version=f"rules-{version}/gondola")}
    zones = {}
    for fixture_type, policy in data.items():
        where = f"golden_zones.{fixture_type}"
        if not str(fixture_type).strip() or not isinstance(policy, Mapping):
            raise InvalidValue(where, "must be a named fixture type with a policy object",
                               code="BAD_POLICY")
        stamped = {"version": f"rules-{version}/{fixture_type}", **policy,
                   "fixture_type": fixture_type}
        try:
            zones[str(fixture_type)] = policy_from_mapping(stamped)
        except InvalidInput as error:
            raise InvalidValue(where, error.message, code=error.code) from None
    return zones


def _evidence(data: Any) -> dict[CustomerType, tuple[Evidence, ...]]:
    if not isinstance(data, Mapping):
        raise InvalidValue("evidence", "must map customer types to evidence lists",
                           code="BAD_TYPE")
    evidence = {}
    for name, kinds in data.items():
        try:
            customer_type = CustomerType(name)
        except ValueError:
            raise InvalidValue(f"evidence.{name}", "unknown customer type; expected one of: "
                               f"{', '.join(t.value for t in CustomerType)}",
                               code="UNKNOWN_ENUM_VALUE") from None
        chosen = []
        for kind in _list(kinds, f"evidence.{name}"):
            try:
                chosen.append(Evidence(kind))
            except ValueError:
                raise InvalidValue(f"evidence.{name}", f"unknown evidence {kind!r}; expected "
                                   f"one of: {', '.join(e.value for e in Evidence)}",
                                   code="UNKNOWN_EVIDENCE") from None
        evidence[customer_type] = tuple(dict.fromkeys(chosen))
    return evidence


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidValue(where, "must be a list", code="BAD_TYPE")
    return value


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(where, f"must be a date YYYY-MM-DD, got {value!r}",
                           code="BAD_DATE") from None


def _has(checkin: Checkin, kind: Evidence) -> bool:
    if kind is Evidence.CONTRACT_NUMBER:
        return bool(checkin.commitment.contract_number)
    if kind is Evidence.NEXT_ACTION_CONTACT:
        return bool(checkin.next_action.contact_id)
    if kind is Evidence.CONCRETE_NEXT_ACTION:
        return checkin.next_action.kind is not NextActionKind.WAITING_FOR_CUSTOMER
    return checkin.device_submitted_at is not None
