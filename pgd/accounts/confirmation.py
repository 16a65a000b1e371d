"""A patient's own registration, confirmed from the e-mail (issue 13, security review).

The registration page answers the same for every address, so it does not show whether an
address has an account:

- a new address: the account is made *unconfirmed* (users.email_confirmed_at is None) and
  a link is mailed. It cannot log in: the login page answers as for a wrong password.
- an address that is still unconfirmed: the new password, name and date of birth replace
  the pending ones and a fresh link is mailed; the older links stop working. This is also
  how an abandoned registration ends: whoever registers the address next replaces it
  (however old it is), so nothing has to be removed on a schedule.
- an address with a (confirmed) account: nothing changes; its owner gets the "someone
  tried to register" e-mail (pgd.accounts.reset.notify_registration_attempt).

The link is a one-time link in the password_resets table (purpose "confirm"), stored as a
keyed hash like a password-reset link, valid for CONFIRM_VALIDITY. Opening it asks for
the password once more: a stranger who registered someone else's address with their own
password cannot hand the owner an account whose password the stranger knows, and the
owner cannot confirm it without it (the owner registers again, or uses "forgot your
password": completing a reset through its mailed link confirms the address too).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import update

from pgd import db, mail, security_log
from pgd.accounts import passwords, reset, services, throttle
from pgd.accounts.models import PasswordReset, Role, User

CONFIRM_VALIDITY = timedelta(hours=24)  # said in the e-mail: "within 24 hours"
PURPOSE = services.CONFIRM_PURPOSE


class Outcome(Enum):
    CONFIRMED = "confirmed"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an outcome, not a password)
    INVALID = "invalid"  # unknown, used or expired link


def register(
    email: str, password: str, name: str, birth_date: date | None, chosen_language: str | None
) -> None:
    """The registration page's form, for any address; the caller answers the same always.

    chosen_language: the language picked on the site before, kept for the new account.
    The link is mailed in the language of the page that was filled in."""
    language = str(get_locale() or "")
    # Hashed once, before anything is looked up: a new, a pending and a known address
    # cost the same time (no timing oracle).
    password_hash = passwords.hash_password(password)
    if not _mail_allowed(email):
        # The same answer; nothing sent, nothing made or replaced (counted for every
        # address alike, so this says nothing about the address either).
        security_log.event(security_log.Events.REGISTRATION_LIMITED, outcome="limited")
        return
    try:
        user = services.register_patient(
            email, password, name, birth_date, confirmed=False, password_hash=password_hash
        )
    except services.DuplicateEmail:
        existing = services.user_by_email(email)
        pending = (
            existing is not None
            and existing.email_confirmed_at is None
            and existing.disabled_at is None
            and existing.role == Role.PATIENT
        )
        renewed = (
            services.replace_pending_registration(existing.id, password_hash, name, birth_date)
            if pending and existing is not None
            else None
        )
        if renewed is None:
            if existing is not None:
                reset.notify_registration_attempt(existing)
            security_log.event(
                security_log.Events.REGISTRATION_EXISTING_ADDRESS,
                outcome="refused",
                user_id=existing.id if existing is not None else None,
            )
            return
        user = renewed
        kind = "renewed"
    else:
        kind = "new"
    if chosen_language:
        services.set_locale(user, chosen_language)
    _send_link(user, language)
    security_log.event(
        security_log.Events.REGISTRATION_LINK_SENT,
        outcome="success",
        user_id=user.id,
        registration=kind,  # "new", or "renewed": a pending one replaced
    )


def _mail_allowed(email: str) -> bool:
    """Count one registration mail for this address; False when over its limit."""
    item = parse(current_app.config["REGISTER_LIMIT_ACCOUNT"])
    return throttle.strategy().hit(item, "pgd-register-address", services.normalise_email(email))


def _send_link(user: User, language: str) -> None:
    raw = reset.issue_link(user, PURPOSE, CONFIRM_VALIDITY)
    link = reset.link_url(raw, "accounts.confirm_registration")
    with force_locale(language or reset._locale_of(user)):
        subject = _("Confirm your e-mail address for PGD")
        body = _(
            "Hello,\n\n"
            "You created an account at PGD with this e-mail address. To finish, open this "
            "link within 24 hours:\n\n%(link)s\n\n"
            "Then fill in the password you chose. After that you are logged in.\n\n"
            "The link works once. Did it stop working? Create the account again with the "
            "same e-mail address: you get a new link.\n\n"
            "Did you not create an account? Then do nothing: without this link the "
            "account cannot be used.\n",
            link=link,
        )
    mail.send_later(user.email, subject, body)


def _open_link(raw: str) -> tuple[PasswordReset, User] | None:
    row = reset.valid_link(raw, purposes=(PURPOSE,))
    if row is None:
        return None
    user = services.user_by_id(row.user_id)
    if user is None or user.email_confirmed_at is not None or user.disabled_at is not None:
        return None
    return row, user


def link_owner(raw: str) -> User | None:
    """The account of a confirmation link that still works, or None."""
    found = _open_link(raw)
    return found[1] if found else None


def confirm(raw: str, password: str) -> tuple[Outcome, User | None]:
    """Open a confirmation link with the password chosen at registration, once.

    The link stays usable after a wrong password (the caller counts attempts); a right
    one confirms the address and uses up every confirmation link of the account."""
    found = _open_link(raw)
    if found is None:
        security_log.event(
            security_log.Events.REGISTRATION_CONFIRM_FAILED, outcome="failure", reason="link"
        )
        return Outcome.INVALID, None
    row, user = found
    if not passwords.verify(user.password_hash, password):
        security_log.event(
            security_log.Events.REGISTRATION_CONFIRM_FAILED,
            outcome="failure",
            user_id=user.id,
            reason="wrong_password",
        )
        return Outcome.WRONG_PASSWORD, user
    now = db.utcnow()
    with db.transaction() as sess:
        claimed = sess.execute(
            update(PasswordReset)
            .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        fresh = sess.get(User, user.id)
        if not claimed.rowcount or fresh is None or fresh.email_confirmed_at is not None:  # type: ignore[attr-defined]
            return Outcome.INVALID, None
        fresh.email_confirmed_at = now
        sess.execute(
            update(PasswordReset)
            .where(
                PasswordReset.user_id == fresh.id,
                PasswordReset.purpose == PURPOSE,
                PasswordReset.used_at.is_(None),
            )
            .values(used_at=now)
        )
    security_log.event(
        security_log.Events.REGISTRATION_CONFIRMED, outcome="success", user_id=fresh.id
    )
    return Outcome.CONFIRMED, fresh
