"""Personal API tokens (for a meter app): create, list, revoke, and check one per request.

Only a keyed hash of a token is stored (HMAC-SHA256 under a key derived from SECRET_KEY),
so checking a token is one indexed lookup by digest, never a slow password hash, and a
copy of the database does not hand out working tokens.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update

from pgd import crypto, db, security_log
from pgd.accounts.models import ApiToken, Role, User
from pgd.accounts.services import AccountError
from pgd.sharing.policy import Principal, second_factor_enrolled

TOKEN_PREFIX = "pgd_"  # noqa: S105  (a public marker, not a secret)
NAME_MAX = 60
MAX_ACTIVE = 20
# last_used_at is a hint for the patient, not an audit trail: writing it on every request
# would turn each read into a write, so it is refreshed at most once per interval.
TOUCH_INTERVAL = timedelta(minutes=1)
_SHAPE = re.compile(r"^pgd_[A-Za-z0-9_-]{43}$")

# What a key may do. "write": add and delete measurements (a meter app); "read": every
# GET of the JSON API and FHIR. Stored space-separated in a fixed order.
READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)
# Validity to choose from at creation, in days, and the default, per role (issue 13): a
# patient's meter app may run a year; a practice system's key is renewed every quarter.
VALIDITY_DAYS = {Role.PATIENT: (30, 90, 365, 730), Role.CLINICIAN: (30, 90)}
DEFAULT_DAYS = {Role.PATIENT: 365, Role.CLINICIAN: 90}
# A clinician cannot write measurements anyway: their keys only read.
ALLOWED_SCOPES = {Role.PATIENT: (READ, WRITE), Role.CLINICIAN: (READ,)}
DEFAULT_SCOPES = {Role.PATIENT: (READ, WRITE), Role.CLINICIAN: (READ,)}


class NotFound(LookupError):
    """No such active token of this patient (the caller answers 404)."""


class Expired(LookupError):
    """A known, unrevoked key past its expiry: the caller answers 401 and says when."""

    def __init__(self, token_id: uuid.UUID, user_id: uuid.UUID, expired_at: datetime) -> None:
        super().__init__(token_id)
        self.token_id = token_id
        self.user_id = user_id
        self.expired_at = expired_at


@dataclass(frozen=True)
class TokenInfo:
    """What the settings page shows of a token: never the token itself."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    scope: tuple[str, ...]

    @property
    def expired(self) -> bool:
        return self.expires_at <= db.utcnow()


@dataclass(frozen=True)
class ApiPrincipal:
    """The patient a bearer token speaks for; services only need .id and .role."""

    id: uuid.UUID
    role: str
    token_id: uuid.UUID
    scope: tuple[str, ...] = (READ, WRITE)

    def allows(self, needed: str) -> bool:
        return needed in self.scope


def _aware(when: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything PGD stores is UTC."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=UTC)


def role_may_have(role: str, scope: str) -> bool:
    """Whether any key of this role can have this scope (a clinician's never writes)."""
    return any(role == r and scope in allowed for r, allowed in ALLOWED_SCOPES.items())


def parse_scope(text: str | None) -> tuple[str, ...]:
    """The stored scope as a tuple in SCOPES order; unknown words are dropped."""
    words = set((text or "").split())
    return tuple(s for s in SCOPES if s in words)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.name,
        row.prefix,
        _aware(row.created_at),  # type: ignore[arg-type]
        _aware(row.last_used_at),
        _aware(row.expires_at),  # type: ignore[arg-type]
        parse_scope(row.scope),
    )


def clean_validity(role: str, days: int | None) -> int:
    """The chosen validity in days, or the role's default; anything not offered refused."""
    if days is None:
        return DEFAULT_DAYS[Role(role)]
    if days not in VALIDITY_DAYS[Role(role)]:
        raise AccountError("valid_days", "not_offered")
    return days


def clean_scope(role: str, scopes: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The chosen scope (at least one; only what the role may have), in SCOPES order."""
    if scopes is None:
        return DEFAULT_SCOPES[Role(role)]
    chosen = set(scopes)
    if not chosen:
        raise AccountError("scope", "empty")
    if not chosen <= set(ALLOWED_SCOPES[Role(role)]):
        raise AccountError("scope", "not_offered")
    return tuple(s for s in SCOPES if s in chosen)


def clean_name(name: str) -> str:
    value = " ".join((name or "").split())
    if not value:
        raise AccountError("name", "empty")
    if len(value) > NAME_MAX:
        raise AccountError("name", "too_long")
    return value


def active(user_id: uuid.UUID) -> list[TokenInfo]:
    """The user's keys that are not revoked, newest first (expired ones too: the list
    shows them as expired until the user revokes them)."""
    rows = db.session().scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    )
    return [_info(row) for row in rows]


def get_active(user_id: uuid.UUID, token_id: uuid.UUID) -> TokenInfo:
    row = db.session().scalar(
        select(ApiToken).where(
            ApiToken.id == token_id,
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(token_id)
    return _info(row)


def create(
    principal: Principal,
    name: str,
    *,
    valid_days: int | None = None,
    scopes: list[str] | tuple[str, ...] | None = None,
) -> tuple[TokenInfo, str]:
    """Make a key; the raw key is returned here once and never stored. Validity and scope
    default per role. The web form checks the password (and a clinician's code) first."""
    if principal.role not in (Role.PATIENT, Role.CLINICIAN):
        raise NotFound(principal.id)
    if principal.role == Role.CLINICIAN and not second_factor_enrolled(principal.id):
        raise NotFound(principal.id)  # a clinician's key needs a second factor first
    clean = clean_name(name)
    days = clean_validity(principal.role, valid_days)
    scope = clean_scope(principal.role, scopes)
    if sum(1 for t in active(principal.id) if not t.expired) >= MAX_ACTIVE:
        raise AccountError("name", "too_many")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = db.utcnow()
    row = ApiToken(
        id=db.new_id(),
        user_id=principal.id,
        name=clean,
        digest=crypto.token_digest(raw),
        prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        created_at=now,
        expires_at=now + timedelta(days=days),
        scope=" ".join(scope),
    )
    with db.transaction() as sess:
        sess.add(row)
    security_log.event(
        security_log.Events.API_KEY_CREATED,
        user_id=principal.id,
        role=principal.role,
        outcome="success",
        key_id=row.id,
        scope=list(scope),
        valid_days=days,
    )
    return _info(row), raw


def revoke(user_id: uuid.UUID, token_id: uuid.UUID) -> None:
    """Stops the token at once: the next request with it answers 401."""
    with db.transaction() as sess:
        result = sess.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
            )
            .values(revoked_at=db.utcnow())
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(token_id)
    security_log.event(
        security_log.Events.API_KEY_REVOKED, user_id=user_id, outcome="success", key_id=token_id
    )


# Core, not ORM: the one query every API request makes, compiled once.
_TOKENS = ApiToken.__table__
_USERS = User.__table__
_LOOKUP = (
    select(
        _TOKENS.c.id,
        _TOKENS.c.user_id,
        _TOKENS.c.last_used_at,
        _TOKENS.c.expires_at,
        _TOKENS.c.scope,
        _USERS.c.role,
    )
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id))
    .where(_TOKENS.c.digest == bindparam("digest"), _TOKENS.c.revoked_at.is_(None))
)


def authenticate(raw: str) -> ApiPrincipal | None:
    """One indexed lookup by keyed digest; None for an unknown, revoked or malformed token.
    Raises Expired for a known key past its expiry (the caller says so, with the date)."""
    if not _SHAPE.fullmatch(raw):
        return None
    sess = db.session()
    found = sess.connection().execute(_LOOKUP, {"digest": crypto.token_digest(raw)}).first()
    # A clinician's token reads only what the sharing policy allows (second factor too).
    if found is None or found.role not in (Role.PATIENT, Role.CLINICIAN):
        return None
    now = db.utcnow()
    expires = _aware(found.expires_at)
    if expires is not None and expires <= now:
        raise Expired(found.id, found.user_id, expires)
    last = _aware(found.last_used_at)
    if last is None or now - last >= TOUCH_INTERVAL:
        with db.transaction():
            sess.execute(update(ApiToken).where(ApiToken.id == found.id).values(last_used_at=now))
    return ApiPrincipal(found.user_id, found.role, found.id, parse_scope(found.scope))
