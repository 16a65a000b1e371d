"""Failed-attempt limits (login, password change) on Flask-Limiter's storage.

Each attempt is counted *before* the password is checked, atomically, so a burst of
parallel guesses cannot slip past the limit; a success gives its count back.
"""

from __future__ import annotations

import ipaddress

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


def client_group(address: str | None) -> str:
    """The key every per-address limit counts under: an IPv4 address as it is, an IPv6
    address as its /64 network (one home or office gets one prefix and picks any address
    in it), an IPv4-mapped IPv6 address as the IPv4 one, anything else as it is."""
    text = (address or "").strip()
    if not text:
        return "unknown"
    bare = text.split("%", 1)[0]  # fe80::1%eth0: the zone names the interface, not the client
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return text
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address() -> str:
    """This request's client group (client_group of the remote address); used by every
    limit: login, second factor, registration, share codes and the API key checks."""
    return client_group(request.remote_addr)


def attempt(account: str) -> bool:
    """Count one attempt for this account and address; False when over either limit."""
    counter = strategy()
    allowed = True
    over: list[str] = []
    for item, scope, key in _items(account):
        if not counter.hit(item, "pgd-attempt", scope, key):
            allowed = False
            over.append(scope)
    if over:
        from pgd import security_log  # the address only as a keyed hash (security_log)

        security_log.event(
            security_log.Events.LOGIN_LIMITED,
            outcome="limited",
            account_ref=security_log.account_ref(account),
            limit=over,
        )
    return allowed


def succeeded(account: str) -> None:
    """A right password: its attempt does not count against the account or the address."""
    counter = strategy()
    for item, scope, key in _items(account):
        counter.hit(item, "pgd-attempt", scope, key, cost=-1)


def wait_minutes() -> int:
    return max(1, parse(current_app.config["LOGIN_LIMIT_ACCOUNT"]).get_expiry() // 60)
