"""Bearer-token check for every "api" endpoint, with a limit on failed checks per address.

Runs as the blueprint's before_request (pgd.policy lets "api" endpoints pass without a
session login). The failure limit is checked with the rate limiter's own storage and
strategy, so it is shared across workers when Redis is configured, and a request with a
valid key costs one in-memory test, not Flask-Limiter's full per-request machinery.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import lru_cache

from flask import current_app, g, request
from flask_babel import format_date
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage

from pgd import crypto, db, policy, security_log
from pgd.accounts import throttle, tokens
from pgd.api import bp
from pgd.api.problems import Problem, unauthorized
from pgd.extensions import limiter

log = logging.getLogger(__name__)
# Failed key checks (any 401) per client address; a valid key never counts.
AUTH_FAILURE_LIMIT = "30 per minute"
SCOPE = "api-auth-failures"
# Requests per valid key (setting API_KEY_RATE_LIMIT, pgd.config): a runaway meter app or
# a leaked key cannot hold the server.
KEY_RATE_LIMIT = "600 per minute"
KEY_SCOPE = "api-key-rate"


@lru_cache(maxsize=8)
def _item(text: str) -> RateLimitItem:
    return parse(text)


def _limit() -> RateLimitItem:
    return _item(current_app.config.get("API_AUTH_FAILURE_LIMIT", AUTH_FAILURE_LIMIT))


def _address() -> str:
    """The client group of pgd.accounts.throttle (an IPv6 client counts per /64)."""
    return throttle.client_address()


def _retry_after(reset: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(reset - time.time())))}


# The per-key count when the limiter's storage is this process's memory anyway: a plain
# fixed window here. The limits library's memory storage starts a timer thread to expire
# its counters, about once every seven requests; that cost a tenth of an API create.
_key_windows: dict[str, tuple[float, int]] = {}  # key id -> (window end, count)
_key_windows_lock = threading.Lock()


def _hit_in_process(item: RateLimitItem, token_id: str) -> tuple[bool, float]:
    """(within the rate, end of the window) for one more request with this key; a window
    opens with a key's first request, as the limits library's fixed window does."""
    span = float(item.get_expiry())
    now = time.time()
    with _key_windows_lock:
        window = _key_windows.get(token_id)
        if window is None or window[0] <= now:
            window = (now + span, 0)
        end, count = window[0], window[1] + 1
        _key_windows[token_id] = (end, count)
        if len(_key_windows) > 50_000:  # closed windows go
            for key in [k for k, w in _key_windows.items() if w[0] <= now]:
                del _key_windows[key]
    return count <= item.amount, end


def _refuse_if_key_over_rate(token_id: str) -> None:
    """Count this request against its key's rate; 429 once over it."""
    if not limiter.enabled:
        return
    item = _item(current_app.config.get("API_KEY_RATE_LIMIT", KEY_RATE_LIMIT))
    try:
        if isinstance(limiter.limiter.storage, MemoryStorage):
            allowed, reset = _hit_in_process(item, token_id)
            if allowed:
                return
        else:
            if limiter.limiter.hit(item, KEY_SCOPE, token_id):
                return
            reset = limiter.limiter.get_window_stats(item, KEY_SCOPE, token_id).reset_time
    except Exception:  # storage down: the key still works, only its rate is not counted
        log.exception("API key rate limit unavailable")
        return
    raise Problem(
        429,
        _(
            "Too many requests with this API key. Wait a minute and try again, "
            "and send readings in fewer requests."
        ),
        headers=_retry_after(reset),
    )


def _refuse_if_over_limit() -> None:
    if not limiter.enabled:
        return
    item = _limit()
    try:
        if limiter.limiter.test(item, SCOPE, _address()):
            return
        reset = limiter.limiter.get_window_stats(item, SCOPE, _address()).reset_time
    except Exception:  # storage down: keys are still checked, only the brake is off
        log.exception("API failure limit unavailable")
        return
    security_log.event(security_log.Events.API_KEY_LIMITED, outcome="limited")
    raise Problem(
        429,
        _(
            "Too many requests with a wrong API key came from your address. "
            "Wait a few minutes and try again."
        ),
        headers=_retry_after(reset),
    )


def _count_failure() -> None:
    if not limiter.enabled:
        return
    try:
        limiter.limiter.hit(_limit(), SCOPE, _address())
    except Exception:
        log.exception("API failure limit unavailable")


@bp.before_request
def authenticate() -> None:
    """Every "api" endpoint needs a working bearer token; the principal lands in g."""
    if policy.policy_of(current_app, request.endpoint or "") != "api":
        return
    bearer_principal()


def bearer_principal() -> tokens.ApiPrincipal:
    """Check this request's bearer token (with the failure limit) and put its principal in
    g; raises a 401/429 Problem. Shared by the token blueprints (the JSON API and FHIR)."""
    _refuse_if_over_limit()
    if request.endpoint in ONE_STATEMENT_WRITES:
        db.autocommit_this_request()
    scheme, _sep, raw = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        _count_failure()
        security_log.event(security_log.Events.API_KEY_REFUSED, outcome="refused", reason="missing")
        raise unauthorized(missing=True)
    try:
        principal = tokens.authenticate(raw.strip())
    except tokens.Expired as old:
        _count_failure()
        security_log.event(
            security_log.Events.API_KEY_EXPIRED,
            user_id=old.user_id,
            outcome="refused",
            key_id=old.token_id,
            expired_at=old.expired_at.isoformat(),
        )
        raise expired(old) from None
    if principal is None:
        _count_failure()
        # Unknown, revoked or malformed: never the token, not even its first characters.
        security_log.event(security_log.Events.API_KEY_REFUSED, outcome="refused", reason="unknown")
        raise unauthorized(missing=False)
    _refuse_if_key_over_rate(str(principal.token_id))
    refuse_outside_scope(principal)
    g.api_principal = principal
    crypto.limit_keys_to(principal.id)  # only the keys the sharing policy allows
    return principal


def expired(old: tokens.Expired) -> Problem:
    """401 for a known key past its expiry: say when, and what to do."""
    detail = _(
        "This key expired on %(date)s. Make a new key in your account settings and put it "
        "in your app.",
        date=format_date(old.expired_at, "long"),
    )
    challenge = 'Bearer realm="pgd", error="invalid_token", error_description="expired"'
    return Problem(401, detail, headers={"WWW-Authenticate": challenge})


# Endpoints whose only write is one statement: on PostgreSQL they run without BEGIN and
# COMMIT round trips (pgd.db.autocommit_this_request). An API create: the key lookup,
# then the reading and its triage mark in one statement.
ONE_STATEMENT_WRITES = frozenset({"api.create_measurement"})

# GET, HEAD and OPTIONS read; everything else (POST, PUT, PATCH, DELETE) writes measurements.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def needed_scope(method: str) -> str:
    return tokens.READ if method.upper() in READING_METHODS else tokens.WRITE


def refuse_outside_scope(found: tokens.ApiPrincipal) -> None:
    """403 when the key may not do what this request asks (its scope, chosen at creation).
    One rule for the JSON API and FHIR: reads need "read", writes need "write"."""
    needed = needed_scope(request.method)
    if found.allows(needed):
        return
    if not tokens.role_may_have(found.role, needed):
        # A clinician's key can never write: the view's own refusal (the consent door's
        # 404, which tells nothing about the record) answers, as it always did.
        return
    security_log.event(
        security_log.Events.API_KEY_REFUSED,
        user_id=found.id,
        role=found.role,
        outcome="refused",
        reason="scope",
        key_id=found.token_id,
        needed=needed,
    )
    if needed == tokens.WRITE:
        detail = _(
            "This key may only read. To send measurements, make a key that may write "
            "measurements in your account settings."
        )
    else:
        detail = _(
            "This key may only send measurements, not read them. To read, make a key "
            "that may read in your account settings."
        )
    raise Problem(403, detail)


def principal() -> tokens.ApiPrincipal:
    """The patient of this request's token; refuses if authenticate() did not run."""
    found = g.get("api_principal")
    if found is None:
        raise unauthorized(missing=True)
    return found  # type: ignore[no-any-return]
