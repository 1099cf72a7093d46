"""``/v1/rules``: a director's rules as data (featured SKUs per region and period,
golden-zone policy per fixture type, extra evidence per customer type), versioned.

Every role of the tenant may read the rules (a rep's app can show what is featured); only
``director`` and ``admin`` may post. A post never edits a version: it stores version n + 1,
which judges every upload from then on; earlier verdicts keep the version that judged them.
The body's format and its error codes are :mod:`application.rules`'.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from application.rule_book import RuleBook
from application.rules import ANY_REGION, Evidence, RuleSet
from serving.auth import CurrentUser, Role, User, require_role
from serving.errors import error_responses
from serving.query_params import MAX_VERSION
from serving.runtime import RuntimeDep
from visitproof.errors import NotFound
from visitproof.records import CustomerType
from visitproof.store.rule_sets import RuleSetSummary
from visitproof.values import utc_now

router = APIRouter(prefix="/v1/rules", tags=["rules"])

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


class FeaturedRuleBody(BaseModel):
    """SKUs featured in one region (``"*"``: every region) over a period of local dates,
    both ends included."""

    model_config = _STRICT

    region: str = Field(default=ANY_REGION, max_length=200, examples=["east"])
    # Emptiness (of the list and of each SKU) is the domain's check: EMPTY_FIELD.
    skus: list[Annotated[str, Field(max_length=128)]] = Field(examples=[["SKU-COLA-330"]])
    valid_from: date
    valid_until: date


class RulesCreate(BaseModel):
    """The body of ``POST /v1/rules``. ``golden_zones`` maps a fixture type to a golden-zone
    policy (fields of ``vision.golden_zone.policy_from_mapping``: ``rows_by_shelf_count``,
    ``height_band_cm``, ``fixture_height_cm``, ``pass_rule``, ``min_share``); empty means the
    default gondola policy. ``evidence`` maps a customer type to the extra evidence its
    check-ins need: ``contract_number``, ``next_action_contact``, ``concrete_next_action``,
    ``device_clock``."""

    model_config = _STRICT

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

    def as_body(self) -> dict[str, Any]:
        """The JSON stored as the rule set's body (without the note)."""
        return self.model_dump(mode="json", exclude={"note"}, exclude_none=True)


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
    422: "Invalid rules; `code` says what (BAD_POLICY, BAD_PERIOD, "
         "UNKNOWN_FIXTURE_TYPE, UNKNOWN_ENUM_VALUE, ...).",
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
             responses=_errors(401, 403, 422, 503))
def create_rules(body: RulesCreate, user: CurrentDirector, runtime: RuntimeDep) -> RulesPublic:
    """Store the rules as the next version (201); they judge every upload from now on.
    Directors and admins only; a bad body stores nothing."""
    try:
        return _add_version(body, user, runtime)
    except IntegrityError:
        # Another director saved the same version number a moment earlier: take the next.
        return _add_version(body, user, runtime)


def _add_version(body: RulesCreate, user: User, runtime: RuntimeDep) -> RulesPublic:
    with runtime.database.begin() as connection:
        rules = RuleBook(connection, user.tenant_id).add(
            body.as_body(), created_by=user.user_id, now=utc_now(), note=body.note)
    return RulesPublic.of(rules)
