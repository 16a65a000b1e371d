"""Who may pass before the second factor: the half-logged-in state and the detours
that pgd.policy.enforce() takes for clinicians (and patients with a second factor).

After a right password, a user with a second factor is *not* logged in: the session
holds only "waiting for a code" (user id, session version, time). Until the code is
right, that session reaches the code step, logout and the language switch, nothing else.
"""

from __future__ import annotations

import time
import uuid

from flask import current_app, redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from pgd.accounts import second_factor, services, sessions, throttle
from pgd.accounts.models import Role, User
from pgd.extensions import limiter

PENDING_KEY = "sf_pending"
PENDING_SECONDS = 10 * 60
CODE_STEP = "accounts.second_factor_code"
SETUP = "accounts.second_factor_setup"
# What a half-logged-in session may open (plus the static files and hashed assets).
PENDING_ALLOWED = frozenset(
    {CODE_STEP, "accounts.logout", "accounts.set_language", "static", "assets.asset"}
)
# Defaults live in pgd.config.Defaults (SECOND_FACTOR_LIMIT_*); these serve an app
# built without them.
DEFAULT_LIMIT_ACCOUNT = "5 per 15 minutes"
DEFAULT_LIMIT_IP = "20 per 15 minutes"


# -- the half-logged-in state ----------------------------------------------------------


def begin_pending(user: User, next_url: str | None) -> None:
    """Right password, code still to come: a fresh session that knows only that."""
    sessions.clear_keeping_language()
    session[PENDING_KEY] = {
        "user": str(user.id),
        "version": user.session_version,
        "since": int(time.time()),
        "next": next_url,
    }


def pending_user() -> User | None:
    """The user waiting at the code step; None when nobody is, or the wait is over."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict):
        return None
    try:
        user_id = uuid.UUID(str(state["user"]))
        fresh = time.time() - float(state["since"]) <= PENDING_SECONDS
    except (KeyError, ValueError, TypeError):
        return None
    if not fresh:
        return None
    user = services.user_by_id(user_id)
    if user is None or user.session_version != state.get("version"):
        return None  # password changed or second factor removed meanwhile
    if not second_factor.is_enrolled(user.id):
        return None
    return user


def pending_next() -> str | None:
    state = session.get(PENDING_KEY)
    target = state.get("next") if isinstance(state, dict) else None
    return target if isinstance(target, str) else None


def is_pending() -> bool:
    return PENDING_KEY in session


def clear_pending() -> None:
    session.pop(PENDING_KEY, None)


# -- detours taken by pgd.policy.enforce() ---------------------------------------------


def pending_detour(endpoint: str) -> ResponseReturnValue | None:
    """A half-logged-in session goes back to the code step from anywhere else."""
    if PENDING_KEY not in session or endpoint in PENDING_ALLOWED:
        return None  # checked first: static files need no user loaded
    if current_user.is_authenticated:
        return None
    return redirect(url_for(CODE_STEP))


def second_factor_detour(policy: str) -> ResponseReturnValue | None:
    """Clinicians: set up first, then pass the code step. Others: the code step if enrolled."""
    user_id: uuid.UUID = current_user.id
    enrolled = second_factor.is_enrolled(user_id)
    if policy == "clinician" and current_user.role == Role.CLINICIAN and not enrolled:
        return redirect(url_for(SETUP))
    if enrolled and not second_factor.session_verified():
        return redirect(url_for(CODE_STEP))
    return None


# -- attempt limits for codes (same approach as pgd.accounts.throttle) ------------------


def _strategy() -> FixedWindowRateLimiter:
    existing = current_app.extensions.get("pgd.second_factor_throttle")
    if existing is None or existing.storage is not limiter.storage:
        existing = FixedWindowRateLimiter(limiter.storage)
        current_app.extensions["pgd.second_factor_throttle"] = existing
    return existing


def _items(user_id: uuid.UUID) -> list[tuple[RateLimitItem, str, str]]:
    cfg = current_app.config
    return [
        (
            parse(cfg.get("SECOND_FACTOR_LIMIT_ACCOUNT", DEFAULT_LIMIT_ACCOUNT)),
            "user",
            str(user_id),
        ),
        (
            parse(cfg.get("SECOND_FACTOR_LIMIT_IP", DEFAULT_LIMIT_IP)),
            "ip",
            throttle.client_address(),
        ),
    ]


def attempt(user_id: uuid.UUID) -> bool:
    """Count one code attempt (before checking it); False when over a limit."""
    strategy = _strategy()
    allowed = True
    for item, scope, key in _items(user_id):
        if not strategy.hit(item, "pgd-second-factor", scope, key):
            allowed = False
    return allowed


def succeeded(user_id: uuid.UUID) -> None:
    """A right code does not count against the limit."""
    strategy = _strategy()
    for item, scope, key in _items(user_id):
        strategy.hit(item, "pgd-second-factor", scope, key, cost=-1)


def wait_minutes() -> int:
    limit = current_app.config.get("SECOND_FACTOR_LIMIT_ACCOUNT", DEFAULT_LIMIT_ACCOUNT)
    return max(1, parse(limit).get_expiry() // 60)
