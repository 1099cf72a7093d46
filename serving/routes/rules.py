"""``/v1/rules``: a director's rules as data (featured SKUs per region and period,
golden-zone policy per fixture type, extra evidence per customer type), versioned.

Every role of the tenant may read the rules (a rep's app can show what is featured); only
``director`` and ``admin`` may post. A post never edits a version: it stores version n + 1,
which judges every upload from then on; earlier verdicts keep the version that judged them.
The body's format and its error codes are :mod:`application.rules`'.

Optimistic concurrency (:mod:`application.rule_book`): a post names the version it was
edited from, ``base_version`` (0 for a tenant's first rules). On the current version it is
stored as the next one (201); on any other it is 409 ``STALE_RULES_VERSION`` with
``current_version`` in the body, and nothing is stored, so two directors editing at once
never silently undo each other: the second re-reads, re-applies and posts again.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from application.rule_book import NO_VERSION, RuleBook, post_rules
from application.rules import ANY_REGION, Evidence, RuleSet
from serving.auth import CurrentUser, Role, User, require_role
from serving.errors import error_responses
from serving.query_params import MAX_VERSION
from serving.runtime import RuntimeDep
from serving.schemas import FiniteBody
from visitproof.errors import NotFound
from visitproof.records import CustomerType
from visitproof.store.rule_sets import RuleSetSummary
from visitproof.values import utc_now

router = APIRouter(prefix="/v1/rules", tags=["rules"])

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


class FeaturedRuleBody(FiniteBody):
    """SKUs featured in one region (``"*"``: every region) over a period of local dates,
    both ends included."""

    model_config = _STRICT

    region: str = Field(default=ANY_REGION, max_length=200, examples=["east"])
    # Emptiness (of the list and of each SKU) is the domain's check: EMPTY_FIELD.
    skus: list[Annotated[str, Field(max_length=128)]] = Field(examples=[["SKU-COLA-330"]])
    valid_from: date
    valid_until: date


#: How deeply ``golden_zones`` may nest (fixture type → policy → field → list → pair).
MAX_POLICY_DEPTH = 16


def _depth(value: Any) -> int:
    """How many levels of objects and lists ``value`` nests (0 for a scalar), counted
    without recursion, so a hostile body can't exhaust the stack."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            if deepest > MAX_POLICY_DEPTH:
                return deepest
            pending.extend((child, level + 1)
                           for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class RulesCreate(FiniteBody):
    """The body of ``POST /v1/rules``. ``base_version`` is the version these rules were
    edited from (``current`` of ``GET /v1/rules/versions``; 0 while the tenant has none).
    ``golden_zones`` maps a fixture type to a golden-zone
    policy (fields of ``vision.golden_zone.policy_from_mapping``: ``rows_by_shelf_count``,
    ``height_band_cm``, ``fixture_height_cm``, ``pass_rule``, ``min_share``); empty means the
    default gondola policy. ``evidence`` maps a customer type to the extra evidence its
    check-ins need: ``contract_number``, ``next_action_contact``, ``concrete_next_action``,
    ``device_clock``."""

    model_config = _STRICT

    base_version: StrictInt = Field(
        ge=NO_VERSION, le=MAX_VERSION, examples=[3],
        description="The version these rules were edited from: the current version to "
        "store the next one, 0 for the tenant's very first rules. Any other is 409 "
        "STALE_RULES_VERSION (someone saved in between; nothing is stored), whose "
        "current_version is the one to re-read, re-apply the change to and post on.")
    note: str | None = Field(default=None, max_length=2000,
                             examples=["November promotion, east region"])
    featured: list[FeaturedRuleBody] = Field(default_factory=list)
    golden_zones: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        examples=[{"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                   "cooler": {"height_band_cm": [100, 160], "fixture_height_cm": 200}}])
    default_fixture_type: str | None = Field(default=None, min_length=1, max_length=64)
    evidence: dict[CustomerType, list[Evidence]] = Field(
        default_factory=dict,
        examples=[{"hospital_department": ["contract_number", "next_action_contact"]}])

    @field_validator("golden_zones")
    @classmethod
    def _shallow_policies(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """A golden-zone policy is a few levels deep; a deeper one (hundreds of nested
        lists) is refused here rather than failing when the body is serialised."""
        if _depth(value) > MAX_POLICY_DEPTH:
            raise ValueError(f"nested deeper than {MAX_POLICY_DEPTH} levels; a golden-zone "
                             "policy is a few levels of objects and lists")
        return value

    def as_body(self) -> dict[str, Any]:
        """The JSON stored as the rule set's body (without the note and the base
        version)."""
        return self.model_dump(mode="json", exclude={"note", "base_version"},
                               exclude_none=True)


class RulesPublic(BaseModel):
    """One stored version: who saved it when, and its body."""

    version: int
    created_at: datetime
    created_by: str
    note: str | None
    featured: list[FeaturedRuleBody]
    golden_zones: dict[str, dict[str, Any]]
    default_fixture_type: str
    evidence: dict[str, list[str]]

    @classmethod
    def of(cls, rules: RuleSet) -> RulesPublic:
        if rules.created_at is None or rules.created_by is None:  # pragma: no cover
            raise ValueError("a stored rule set has created_at and created_by")
        return cls(
            version=rules.version, created_at=rules.created_at, created_by=rules.created_by,
            note=rules.note,
            featured=[FeaturedRuleBody(region=r.region, skus=list(r.skus),
                                       valid_from=r.valid_from, valid_until=r.valid_until)
                      for r in rules.featured],
            golden_zones={name: dict(policy) for name, policy
                          in (rules.body.get("golden_zones") or {}).items()},
            default_fixture_type=rules.default_fixture_type,
            evidence={t.value: [e.value for e in kinds] for t, kinds in rules.evidence.items()})


class RuleVersionPublic(BaseModel):
    version: int
    created_at: datetime
    created_by: str
    note: str | None

    @classmethod
    def of(cls, summary: RuleSetSummary) -> RuleVersionPublic:
        return cls(version=summary.version, created_at=summary.created_at,
                   created_by=summary.created_by, note=summary.note)


class RuleVersionsPublic(BaseModel):
    """Every stored version, oldest first; ``current`` is the newest (null: none yet)."""

    data: list[RuleVersionPublic]
    current: int | None


_DESCRIBED = {
    403: "Only director and admin tokens may change the rules (FORBIDDEN).",
    404: "No such rules version in the tenant (NOT_FOUND).",
    409: "`base_version` is not the tenant's current version: another director saved "
         "since these rules were read (STALE_RULES_VERSION). Nothing was stored; the body's "
         "`current_version` names the version to re-read and post on.",
    422: "Invalid rules; `code` says what (BAD_POLICY, BAD_PERIOD, "
         "UNKNOWN_FIXTURE_TYPE, UNKNOWN_ENUM_VALUE, NUMBER_NOT_FINITE, MISSING_FIELD "
         "(no base_version), ...).",
}
_errors = partial(error_responses, _DESCRIBED)


@router.get("", response_model=RulesPublic, responses=_errors(401, 404, 503))
def current_rules(user: CurrentUser, runtime: RuntimeDep) -> RulesPublic:
    """The rules that judge uploads now (404 while the tenant has none: every registered
    SKU is then featured, with the default golden zone)."""
    with runtime.database.connect() as connection:
        rules = RuleBook(connection, user.tenant_id).current()
    if rules is None:
        raise NotFound("this tenant has no rules yet; a director can POST /v1/rules")
    return RulesPublic.of(rules)


@router.get("/versions", response_model=RuleVersionsPublic, responses=_errors(401, 503))
def rule_versions(user: CurrentUser, runtime: RuntimeDep) -> RuleVersionsPublic:
    """Every version of the tenant's rules, oldest first."""
    with runtime.database.connect() as connection:
        versions = RuleBook(connection, user.tenant_id).versions()
    return RuleVersionsPublic(data=[RuleVersionPublic.of(v) for v in versions],
                              current=versions[-1].version if versions else None)


@router.get("/{version}", response_model=RulesPublic, responses=_errors(401, 404, 422, 503))
def rules_version(version: Annotated[int, Path(ge=1, le=MAX_VERSION)], user: CurrentUser,
                  runtime: RuntimeDep) -> RulesPublic:
    """One version of the tenant's rules, as it was saved."""
    with runtime.database.connect() as connection:
        rules = RuleBook(connection, user.tenant_id).get(version)
    if rules is None:
        raise NotFound(f"no rules version {version} in this tenant")
    return RulesPublic.of(rules)


def current_director(user: CurrentUser) -> User:
    """FastAPI dependency: the caller, who must hold a ``director`` or ``admin`` token. As a
    dependency it answers 403 before the body is validated."""
    require_role(user, Role.DIRECTOR, Role.ADMIN)
    return user


CurrentDirector = Annotated[User, Depends(current_director)]


@router.post("", status_code=201, response_model=RulesPublic,
             responses=_errors(401, 403, 409, 422, 503))
def create_rules(body: RulesCreate, user: CurrentDirector, runtime: RuntimeDep) -> RulesPublic:
    """Store the rules as version ``base_version + 1`` (201); they judge every upload from
    now on. ``base_version`` must be the current version (0: the tenant has none yet),
    else 409 ``STALE_RULES_VERSION`` naming the current one. Directors and admins only; a
    bad or stale body stores nothing."""
    rules = post_rules(runtime.database, user.tenant_id, body.as_body(),
                       base_version=body.base_version, created_by=user.user_id,
                       now=utc_now(), note=body.note)
    return RulesPublic.of(rules)
