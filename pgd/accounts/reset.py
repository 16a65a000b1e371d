"""Password-reset and set-password links: issue, check, use once; the first-login change.

A link carries a random token; only its keyed hash is stored (pgd.crypto.token_digest,
domain-separated from API tokens by a prefix). Using a link sets the password, ends every
session of that user, revokes every personal API key and every other open link, and does
not log anyone in: a clinician logs in afresh and passes the second factor.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from sqlalchemy import select, update

from pgd import crypto, db, mail, security_log
from pgd.accounts import passwords, throttle
from pgd.accounts.models import PasswordReset, User
from pgd.accounts.services import end_everything, log_ended, normalise_email, user_by_email

RESET_VALIDITY = timedelta(minutes=30)  # issue 13: "a link that works once, for 30 minutes"
SET_PASSWORD_VALIDITY = timedelta(hours=72)  # an administrator's link for a new clinician
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
_DIGEST_PREFIX = "pgd-password-link:"
# Links that set a password; a registration's "confirm" link (pgd.accounts.confirmation)
# shares the table and the digest but never opens the set-password page.
PASSWORD_PURPOSES = ("reset", "set")


def _digest(raw: str) -> str:
    return crypto.token_digest(_DIGEST_PREFIX + raw)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- limits (the counters of pgd.accounts.throttle, under their own names) ---------------


def _items(email: str) -> list[tuple[RateLimitItem, str, str]]:
    cfg = current_app.config
    return [
        (parse(cfg["RESET_LIMIT_ACCOUNT"]), "account", normalise_email(email)),
        (parse(cfg["RESET_LIMIT_IP"]), "ip", throttle.client_address()),
    ]


def attempt(email: str) -> bool:
    """Count one reset request for this address and client; False when over a limit.

    Counted the same for known and unknown addresses, so the limit reveals nothing."""
    counter = throttle.strategy()
    allowed = True
    for item, scope, key in _items(email):
        if not counter.hit(item, "pgd-password-reset", scope, key):
            allowed = False
    return allowed


# -- links -----------------------------------------------------------------------------


def issue_link(user: User, purpose: str, validity: timedelta) -> str:
    """Store a new one-time link for this user; returns the raw token (never stored)."""
    raw = secrets.token_urlsafe(32)
    now = db.utcnow()
    with db.transaction() as sess:
        sess.add(
            PasswordReset(
                id=db.new_id(),
                user_id=user.id,
                digest=_digest(raw),
                purpose=purpose,
                created_at=now,
                expires_at=now + validity,
            )
        )
    return raw


def link_url(raw: str, endpoint: str = "accounts.reset_password") -> str:
    """The full address of a link: the request's own host, or PUBLIC_URL."""
    public = current_app.config.get("PUBLIC_URL")
    if has_request_context() and not public:
        return url_for(endpoint, token=raw, _external=True)
    with current_app.test_request_context(base_url=public or DEFAULT_PUBLIC_URL):
        return url_for(endpoint, token=raw, _external=True)


def valid_link(raw: str, purposes: tuple[str, ...] = PASSWORD_PURPOSES) -> PasswordReset | None:
    """The unused, unexpired link for this token and one of these purposes, or None."""
    if not raw or len(raw) > 100:
        return None
    row = db.session().scalar(select(PasswordReset).where(PasswordReset.digest == _digest(raw)))
    if row is None or row.used_at is not None or row.purpose not in purposes:
        return None
    if _aware(row.expires_at) <= datetime.now(UTC):
        return None
    return row


def use_link(raw: str, new_password: str) -> User | None:
    """Set the password through a link, once: ends every session, API key and open link.

    None when the link is unknown, used or expired (also when two uses race)."""
    row = valid_link(raw)
    if row is None:
        return None
    password_hash = passwords.hash_password(new_password)  # slow: outside the transaction
    now = db.utcnow()
    with db.transaction() as sess:
        claimed = sess.execute(
            update(PasswordReset)
            .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return None
        user = sess.get(User, row.user_id)
        if user is None:
            return None
        user.password_hash = password_hash
        user.password_changed_at = now
        user.must_change_password = False
        ended = end_everything(user, reason="password_reset")  # no session goes on
        if user.email_confirmed_at is None:
            # A registration not confirmed yet: the mailed link proves the address too.
            user.email_confirmed_at = now
        sess.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
    log_ended(user, ended)
    security_log.event(
        security_log.Events.PASSWORD_RESET,
        user=user,
        outcome="success",
        purpose=row.purpose,  # "reset" (forgotten) or "set" (an administrator's link)
    )
    return user


def set_first_password(user_id: uuid.UUID, version: int, new_password: str) -> User | None:
    """The first login of a clinician made on the command line: replace the typed password.

    None when the account changed meanwhile (another reset, or no change needed)."""
    password_hash = passwords.hash_password(new_password)
    with db.transaction() as sess:
        user = sess.get(User, user_id)
        if user is None or user.session_version != version or not user.must_change_password:
            return None
        user.password_hash = password_hash
        user.session_version += 1
        user.password_changed_at = db.utcnow()
        user.must_change_password = False
    security_log.event(security_log.Events.PASSWORD_FIRST_SET, user=user, outcome="success")
    return user


# -- messages --------------------------------------------------------------------------


def _locale_of(user: User | None) -> str:
    if user is not None and user.locale:
        return user.locale
    return str(current_app.config["LANGUAGES"][0])


def request_reset(email: str) -> None:
    """Wachtwoord vergeten: mail a link when the address has an account; else nothing.

    The caller answers the same either way; the mail goes out from a thread so the
    answer's timing does not depend on the SMTP server."""
    user = user_by_email(email)
    if user is None:
        return
    if user.disabled_at is not None:  # switched off by an administrator: no way back in
        security_log.event(
            security_log.Events.PASSWORD_RESET_REQUESTED, user=user, outcome="refused"
        )
        return
    raw = issue_link(user, "reset", RESET_VALIDITY)
    link = link_url(raw)
    with force_locale(_locale_of(user)):
        subject = _("Set a new password for PGD")
        body = _(
            "Hello,\n\n"
            "Someone asked to set a new password for your PGD account. If that was you, "
            "open this link within 30 minutes:\n\n%(link)s\n\n"
            "The link works once. After that you are logged out everywhere and your API "
            "keys stop working.\n\n"
            "Did you not ask for this? Then do nothing: your password stays the same.\n",
            link=link,
        )
    security_log.event(security_log.Events.PASSWORD_RESET_REQUESTED, user=user, outcome="success")
    mail.send_later(user.email, subject, body)


def send_set_password_link(user: User) -> None:
    """An administrator's link for a (new) clinician: choose a password, valid 72 hours."""
    raw = issue_link(user, "set", SET_PASSWORD_VALIDITY)
    link = link_url(raw)
    with force_locale(_locale_of(user)):
        subject = _("Choose your password for PGD")
        body = _(
            "Hello,\n\n"
            "An administrator of PGD sent you this link to choose your password. "
            "Open it within 72 hours:\n\n%(link)s\n\n"
            "The link works once. Then log in with your new password.\n",
            link=link,
        )
    mail.send(user.email, subject, body)
    # The command line's "send-password-link" (pgd.cli): who got a link, never the link.
    security_log.event(security_log.Events.PASSWORD_LINK_SENT, user=user, outcome="success")


def notify_registration_attempt(user: User) -> None:
    """Someone registered with an address that has an account: tell the owner, not them."""
    with force_locale(_locale_of(user)):
        subject = _("Someone tried to create a PGD account with your e-mail address")
        body = _(
            "Hello,\n\n"
            "Someone tried to create a new PGD account with your e-mail address. You already "
            "have an account, so nothing was changed.\n\n"
            "Was that you? Then log in: %(login)s\n"
            "Forgot your password? Ask for a new one: %(forgot)s\n\n"
            "Was it not you? Then you do not need to do anything.\n",
            login=url_for("accounts.login", _external=True),
            forgot=url_for("accounts.forgot_password", _external=True),
        )
    mail.send_later(user.email, subject, body)
