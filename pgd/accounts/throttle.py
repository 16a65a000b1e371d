"""Failed-attempt limits (login, password change, re-checks) on Flask-Limiter's storage.

Each attempt is counted *before* the password is checked, atomically, so a burst of
parallel guesses cannot slip past the limit; a success gives its count back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flask import current_app, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from pgd.accounts import passwords
from pgd.extensions import limiter

if TYPE_CHECKING:
    from pgd.accounts.models import User


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


def _count(account: str) -> list[str]:
    """Count one attempt for this account and address; the scopes now over their limit."""
    counter = strategy()
    return [
        scope
        for item, scope, key in _items(account)
        if not counter.hit(item, "pgd-attempt", scope, key)
    ]


def attempt(account: str) -> bool:
    """Count one login attempt for this account and address; False when over either limit
    (logged as login.limited). A re-check of a logged-in user's password goes through
    recheck_password instead."""
    over = _count(account)
    if over:
        from pgd import security_log  # the address only as a keyed hash (security_log)

        security_log.event(
            security_log.Events.LOGIN_LIMITED,
            outcome="limited",
            account_ref=security_log.account_ref(account),
            limit=over,
        )
    return not over


def succeeded(account: str) -> None:
    """A right password: its attempt does not count against the account or the address."""
    counter = strategy()
    for item, scope, key in _items(account):
        counter.hit(item, "pgd-attempt", scope, key, cost=-1)


def wait_minutes() -> int:
    return max(1, parse(current_app.config["LOGIN_LIMIT_ACCOUNT"]).get_expiry() // 60)


# -- re-asking a logged-in user's password or second-factor code ----------------------------
# Before a weighty step (an API key, deleting the account, switching the second factor
# off, downloading everything) a left-open session alone is not enough. Each re-check
# counts against the same limits as logging in (password) or the code step (code), is
# logged as what was re-checked, and answers with one wording per outcome.


@dataclass(frozen=True)
class Recheck:
    """The answer of a re-check: "ok", "missing" (nothing typed), "wrong" or "limited".
    For a code, `reason` says why it was wrong: "wrong", "reused" or "unreadable"."""

    outcome: Literal["ok", "missing", "wrong", "limited"]
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def status(self) -> int:
        """The HTTP status of the page that shows this answer."""
        return {"ok": 200, "limited": 429}.get(self.outcome, 400)


def recheck_password(user: User, password: str | None, *, what: str) -> Recheck:
    """Check the password of the logged-in `user` again before `what` (a short name such
    as "api_key", "account_deletion", "second_factor_off", "export").

    Counted before the check, on the login limits of this account and address; a right
    password gives its count back. Over a limit: the password is not checked and the
    security log says password.recheck_limited with `what` (not login.limited)."""
    if not password:
        return Recheck("missing")
    over = _count(user.email)
    if over:
        from pgd import security_log

        security_log.event(
            security_log.Events.PASSWORD_RECHECK_LIMITED,
            user=user,
            outcome="limited",
            what=what,
            limit=over,
        )
        return Recheck("limited")
    if not passwords.verify(user.password_hash, password):
        return Recheck("wrong")
    succeeded(user.email)
    return Recheck("ok")


def recheck_code(user: User, code: str | None, *, what: str) -> Recheck:
    """Check a second-factor code (app or recovery code) of the logged-in `user` again
    before `what`, on the code step's own limits (pgd.accounts.second_factor_gate).

    A right code is used up (it cannot be replayed). Over a limit: second_factor.limited;
    a wrong code: second_factor.failed; both with step=`what`."""
    from pgd import security_log
    from pgd.accounts import second_factor as sf
    from pgd.accounts import second_factor_gate as gate

    if not (code or "").strip():
        return Recheck("missing")
    if not gate.attempt(user.id):
        security_log.event(
            security_log.Events.SECOND_FACTOR_LIMITED, user=user, outcome="limited", step=what
        )
        return Recheck("limited")
    try:
        sf.verify(user, code or "")
    except sf.SecondFactorError as refused:
        security_log.event(
            security_log.Events.SECOND_FACTOR_FAILED,
            user=user,
            outcome="failure",
            step=what,
            method="app" if _looks_like_app_code(code or "") else "recovery",
            reason=refused.reason,
        )
        return Recheck("wrong", refused.reason)
    gate.succeeded(user.id)
    return Recheck("ok")


def _looks_like_app_code(code: str) -> bool:
    from pgd.accounts.second_factor_codes import normalise_code
    from pgd.crypto.totp import DIGITS

    cleaned = normalise_code(code)
    return len(cleaned) == DIGITS and cleaned.isdigit()


# -- the words for these answers (also used by the login and code steps) --------------------


def too_many_text() -> str:
    """Too many password attempts (the login limits)."""
    return _(
        "Too many attempts. For your safety you have to wait %(minutes)d minutes "
        "before you try again.",
        minutes=wait_minutes(),
    )


def too_many_codes_text() -> str:
    """Too many second-factor codes (the code step's limits)."""
    from pgd.accounts import second_factor_gate as gate

    return _(
        "Too many wrong codes. For your safety you have to wait %(minutes)d minutes "
        "before you try again.",
        minutes=gate.wait_minutes(),
    )


def code_refused_text(reason: str) -> str:
    """Why a second-factor code did not work, for the person who typed it."""
    messages = {
        "wrong": _(
            "This code is not right, or it has expired. Type the code that your app shows "
            "now. Check that the time on your phone is right."
        ),
        "reused": _(
            "This code has already been used. Wait until your app shows a new code (it "
            "changes every 30 seconds) and type that one."
        ),
        "unreadable": _(
            "Your second factor cannot be read, so app codes cannot be checked. Log in "
            "with a recovery code, or ask the administrator of your practice for help."
        ),
        "wrong_recovery": _(
            "This recovery code is not right, or it has already been used. Each recovery "
            "code works only once."
        ),
    }
    return messages.get(reason, messages["wrong"])


def password_text(result: Recheck) -> str:
    """The message next to the password field for a refused re-check."""
    if result.outcome == "limited":
        return too_many_text()
    if result.outcome == "missing":
        return _("Fill in your password.")
    return _("Your password is not right.")


def code_text(result: Recheck) -> str:
    """The message next to the code field for a refused re-check of the code."""
    if result.outcome == "limited":
        return too_many_codes_text()
    if result.outcome == "missing":
        return _("Fill in the code that your app shows now, or a recovery code.")
    return code_refused_text(result.reason)
