"""Failed-attempt limits (login, password change) on Flask-Limiter's storage.

Each attempt is counted *before* the password is checked, atomically, so a burst of
parallel guesses cannot slip past the limit; a success gives its count back.
"""

from __future__ import annotations

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from pgd.extensions import limiter


def strategy() -> FixedWindowRateLimiter:
    """One counter per app on the limiter's storage (memory, or Redis for all workers)."""
    existing = current_app.extensions.get("pgd.throttle")
    if existing is None or existing.storage is not limiter.storage:
        existing = FixedWindowRateLimiter(limiter.storage)
        current_app.extensions["pgd.throttle"] = existing
    return existing


def _items(account: str) -> list[tuple[RateLimitItem, str, str]]:
    cfg = current_app.config
    return [
        (parse(cfg["LOGIN_LIMIT_ACCOUNT"]), "account", account),
        (parse(cfg["LOGIN_LIMIT_IP"]), "ip", client_address()),
    ]


def client_address() -> str:
    """The client address; IPv6 clients are grouped per /64 (one home, one prefix)."""
    address = request.remote_addr or "unknown"
    if ":" in address:
        return ":".join(address.split(":")[:4]) + "::/64"
    return address


def attempt(account: str) -> bool:
    """Count one attempt for this account and address; False when over either limit."""
    counter = strategy()
    allowed = True
    for item, scope, key in _items(account):
        if not counter.hit(item, "pgd-attempt", scope, key):
            allowed = False
    return allowed


def succeeded(account: str) -> None:
    """A right password: its attempt does not count against the account or the address."""
    counter = strategy()
    for item, scope, key in _items(account):
        counter.hit(item, "pgd-attempt", scope, key, cost=-1)


def wait_minutes() -> int:
    return max(1, parse(current_app.config["LOGIN_LIMIT_ACCOUNT"]).get_expiry() // 60)
