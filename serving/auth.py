"""Who is calling, and what they may see.

Bearer tokens are ``secrets.token_urlsafe(32)`` strings, printed once by
``visitproof tokens create``; the store keeps only their SHA-256 (and the first characters,
for telling tokens apart in listings). A token carries the tenant, the user, the role and,
for a manager, the team. ``visitproof tokens list`` shows them (:func:`list_tokens`, never
the secret) and ``visitproof tokens revoke ID`` revokes one (:func:`revoke_token`): every
request looks its token up, so a revoked token gets 401 from the next request on.

Scope rules (every query is also limited to the token's tenant):

- ``rep``: their own check-ins only; a rep's ``user_id`` is their rep id, and the rep of an
  upload is always the token's user, never a field of the body;
- ``manager``: the check-ins of the reps of their team;
- ``director``, ``admin``: the whole tenant.

A check-in outside the caller's scope answers 404, exactly like one that does not exist (in
this tenant or at all), so ids of other reps' or tenants' check-ins don't leak.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.errors import Forbidden, Unauthenticated
from serving.runtime import RuntimeDep
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import Checkin
from visitproof.store import Database, ReferenceData
from visitproof.store.tables import api_tokens
from visitproof.values import require_identifier, require_utc, utc_now

PREFIX_LENGTH = 8


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    DIRECTOR = "director"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    """The caller, as its token says."""

    tenant_id: str
    user_id: str
    role: Role
    team_id: str | None
    token_prefix: str


def issue_token(database: Database, *, tenant_id: str, user_id: str, role: Role | str,
                team_id: str | None = None, expires_at: datetime | None = None,
                now: datetime | None = None) -> str:
    """Create a token and return it (the only time it is seen in clear).

    A rep token needs the rep to exist in the tenant; a manager token needs ``team_id``.
    """
    require_identifier(tenant_id, "tenant")
    require_identifier(user_id, "user")
    try:
        role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidValue("role", f"unknown role {role!r}; expected one of: {allowed}",
                           code="UNKNOWN_ENUM_VALUE") from None
    if team_id is not None:
        require_identifier(team_id, "team")
    if role is Role.MANAGER and team_id is None:
        raise InvalidValue("team", "a manager token needs --team", code="MISSING_FIELD")
    created_at = require_utc(now or utc_now(), "now")
    if expires_at is not None:
        expires_at = require_utc(expires_at, "expires_at")
    token = secrets.token_urlsafe(32)
    with database.begin() as connection:
        reference = ReferenceData(connection, tenant_id)
        reference.require_tenant()
        if role is Role.REP and user_id not in {rep.id for rep in reference.reps()}:
            raise NotFound(f"no rep {user_id!r} in tenant {tenant_id!r}")
        connection.execute(sa.insert(api_tokens), [{
            "tenant_id": tenant_id, "token_sha256": _digest(token),
            "prefix": token[:PREFIX_LENGTH], "user_id": user_id, "role": role.value,
            "team_id": team_id, "created_at": created_at, "expires_at": expires_at,
            "revoked": False}])
    return token


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """One stored token as an operator sees it: its id and first characters, never the
    secret (only its hash is stored anyway)."""

    id: int
    prefix: str
    user_id: str
    role: Role
    team_id: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``active`` at ``now``."""
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {"id": self.id, "prefix": self.prefix, "user": self.user_id,
                "role": self.role.value, "team": self.team_id,
                "created_at": self.created_at.isoformat(),
                "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
                "revoked": self.revoked, "state": self.state(now)}


def list_tokens(database: Database, tenant_id: str) -> list[TokenInfo]:
    """Every token of ``tenant_id``, oldest first (revoked and expired ones included)."""
    require_identifier(tenant_id, "tenant")
    c = api_tokens.c
    with database.connect() as connection:
        rows = connection.execute(
            sa.select(c.id, c.prefix, c.user_id, c.role, c.team_id, c.created_at,
                      c.expires_at, c.revoked)
            .where(c.tenant_id == tenant_id).order_by(c.id)).mappings().all()
    return [TokenInfo(id=row["id"], prefix=row["prefix"], user_id=row["user_id"],
                      role=Role(row["role"]), team_id=row["team_id"],
                      created_at=row["created_at"], expires_at=row["expires_at"],
                      revoked=bool(row["revoked"])) for row in rows]


def revoke_token(database: Database, tenant_id: str, token_id: int) -> bool:
    """Revoke token ``token_id`` of ``tenant_id``: True if this call revoked it, False if it
    already was (nothing changes: revoking is idempotent). :class:`NotFound`
    (``UNKNOWN_TOKEN``) when the tenant has no such token."""
    require_identifier(tenant_id, "tenant")
    c = api_tokens.c
    with database.begin() as connection:
        revoked = connection.execute(
            sa.select(c.revoked).where(c.tenant_id == tenant_id, c.id == token_id)
        ).scalar_one_or_none()
        if revoked is None:
            raise NotFound(f"tenant {tenant_id!r} has no token {token_id}; see "
                           "`visitproof tokens list`", code="UNKNOWN_TOKEN")
        if revoked:
            return False
        connection.execute(sa.update(api_tokens).where(c.tenant_id == tenant_id,
                                                       c.id == token_id)
                           .values(revoked=True))
    return True


def authenticate(database: Database, token: str, now: datetime) -> User:
    """The user of a bearer token; :class:`Unauthenticated` unless it is known, unexpired
    and not revoked (the message doesn't say which, so tokens can't be probed)."""
    if not token or len(token) > 200:
        raise Unauthenticated("invalid bearer token")
    with database.connect() as connection:
        row = connection.execute(sa.select(api_tokens).where(
            api_tokens.c.token_sha256 == _digest(token))).mappings().first()
    if row is None or row["revoked"] or (row["expires_at"] is not None
                                         and row["expires_at"] <= now):
        raise Unauthenticated("invalid, expired or revoked bearer token")
    return User(tenant_id=row["tenant_id"], user_id=row["user_id"], role=Role(row["role"]),
                team_id=row["team_id"], token_prefix=row["prefix"])


_bearer = HTTPBearer(auto_error=False, description="A token from `visitproof tokens create`.")


async def current_user(runtime: RuntimeDep,
                       credentials: Annotated[HTTPAuthorizationCredentials | None,
                                              Depends(_bearer)]) -> User:
    """FastAPI dependency: the caller, from ``Authorization: Bearer <token>`` (looked up on
    one of the service's worker threads: see ``serving.runtime.WorkerThreads``)."""
    if credentials is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    return await runtime.workers.run(authenticate, runtime.database,
                                     credentials.credentials, utc_now())


CurrentUser = Annotated[User, Depends(current_user)]


async def current_rep(user: CurrentUser) -> User:
    """FastAPI dependency: the caller, who must hold a ``rep`` token (only reps upload).
    As a dependency it answers 403 before the body is validated."""
    require_role(user, Role.REP)
    return user


CurrentRep = Annotated[User, Depends(current_rep)]

REVIEWER_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
"""Who may decide a ``needs_review`` check-in (a manager: of their team's reps only)."""


async def current_reviewer(user: CurrentUser) -> User:
    """FastAPI dependency: the caller, who must hold a manager, director or admin token
    (403 before the body is validated)."""
    require_role(user, *REVIEWER_ROLES)
    return user


CurrentReviewer = Annotated[User, Depends(current_reviewer)]


def require_role(user: User, *roles: Role) -> None:
    """:class:`Forbidden` unless the user has one of ``roles``."""
    if user.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(f"this needs the role {allowed}; the token's role is {user.role}")


def visible_rep_ids(user: User, reference: ReferenceData) -> frozenset[str] | None:
    """The reps whose check-ins ``user`` may see; None means every rep of the tenant."""
    if user.role is Role.REP:
        return frozenset({user.user_id})
    if user.role is Role.MANAGER:
        return frozenset(rep.id for rep in reference.reps() if rep.team_id == user.team_id)
    return None


def listed_rep_ids(user: User, reference: ReferenceData,
                   rep_id: str | None = None) -> list[str] | None:
    """The reps a list endpoint shows ``user``: those they may see (None: every rep of the
    tenant), narrowed to ``rep_id`` when the query asks for one (empty when that rep isn't
    visible: nothing, not an error, so ids don't leak)."""
    visible = visible_rep_ids(user, reference)
    if rep_id is not None:
        return [rep_id] if visible is None or rep_id in visible else []
    return None if visible is None else sorted(visible)


def can_see(user: User, checkin: Checkin, reference: ReferenceData) -> bool:
    visible = visible_rep_ids(user, reference)
    return checkin.tenant_id == user.tenant_id and (visible is None
                                                    or checkin.rep_id in visible)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
