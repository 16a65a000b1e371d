"""Second factor (TOTP app + one-time recovery codes): every read and write of it.

Clinicians must have one before they see any patient; patients may switch it on.
The TOTP secret is sealed under the owner's "account" data key; recovery codes are
stored only as keyed hashes under that same key. pgd.sharing calls `is_enrolled()`
and `session_verified()`.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Literal

from flask import current_app, g, has_request_context, session
from flask_login import current_user
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from pgd import crypto, db, security_log
from pgd.accounts import services, throttle
from pgd.accounts.models import (
    RecoveryCode,
    Role,
    SecondFactor,
    User,
)
from pgd.accounts.second_factor_codes import (
    new_recovery_code,
    normalise_code,
    normalise_recovery_code,
)
from pgd.crypto import totp

RECOVERY_CODES = 10
VERIFIED_KEY = "sf_verified"
_TABLE = "second_factors"
_DISPLAY = "second_factors.recovery_display"


class SecondFactorError(Exception):
    """Why a code or a request was refused; routes turn the reason into a message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the secret typed by hand and the QR code's address."""

    secret_text: str
    uri: str
    restarted: bool


# -- the interface pgd.sharing relies on -----------------------------------------------


def is_enrolled(user_id: uuid.UUID) -> bool:
    """True when this user has a confirmed second factor (cached for this request)."""
    cache: dict[uuid.UUID, bool] | None = (
        g.setdefault("pgd_second_factor", {}) if has_request_context() else None
    )
    if cache is not None and user_id in cache:
        return cache[user_id]
    found = db.session().scalar(
        select(SecondFactor.confirmed_at).where(SecondFactor.user_id == user_id)
    )
    enrolled = found is not None
    if cache is not None:
        cache[user_id] = enrolled
    return enrolled


def session_verified() -> bool:
    """True when the logged-in user of this request passed the code step in this session."""
    if not current_user.is_authenticated:
        return False
    user_id: uuid.UUID = current_user.id
    return session.get(VERIFIED_KEY) == str(user_id) and is_enrolled(user_id)


def mark_verified(user_id: uuid.UUID) -> None:
    session[VERIFIED_KEY] = str(user_id)


def remember_enrolled(user_id: uuid.UUID, enrolled: bool) -> None:
    """What the user loader read with the user (pgd.accounts.sessions.load_user): this
    request's is_enrolled answers from it without a statement of its own."""
    if has_request_context():
        g.setdefault("pgd_second_factor", {})[user_id] = enrolled


def _forget_cache(user_id: uuid.UUID) -> None:
    if has_request_context():
        g.setdefault("pgd_second_factor", {}).pop(user_id, None)


# -- enrolment -------------------------------------------------------------------------


def _issuer() -> str:
    return str(current_app.config.get("SECOND_FACTOR_ISSUER", "PGD"))


def _row(user_id: uuid.UUID) -> SecondFactor | None:
    return db.session().get(SecondFactor, user_id)


def _open_secret(row: SecondFactor) -> bytes:
    cipher = crypto.cipher_for(row.user_id, crypto.Category.ACCOUNT)
    return cipher.open(_TABLE, row.user_id, row.secret_sealed)


def start_enrolment(user: User) -> Enrolment:
    """The secret being set up: made on the first visit, the same one after a reload.

    An unreadable pending secret (damaged in the database) is replaced by a new one:
    nothing depends on it yet.
    """
    restarted = False
    with db.transaction() as sess:
        row = sess.get(SecondFactor, user.id)
        if row is not None and row.confirmed_at is not None:
            raise SecondFactorError("already_enrolled")
        secret = None
        if row is not None:
            try:
                secret = _open_secret(row)
            except crypto.DecryptionError:
                restarted = True
        if secret is None:
            secret = totp.new_secret()
            cipher = crypto.cipher_for(user.id, crypto.Category.ACCOUNT, create=True)
            sealed = cipher.seal(_TABLE, user.id, secret)
            if row is None:
                sess.add(SecondFactor(user_id=user.id, secret_sealed=sealed))
            else:
                row.secret_sealed = sealed
                row.created_at = db.utcnow()
    return Enrolment(
        secret_text=totp.grouped(totp.to_base32(secret)),
        uri=totp.provisioning_uri(secret, user.email, _issuer()),
        restarted=restarted,
    )


def pending_uri(user: User) -> str | None:
    """The QR code's address while set-up is under way; None once confirmed or unreadable."""
    row = _row(user.id)
    if row is None or row.confirmed_at is not None:
        return None
    try:
        secret = _open_secret(row)
    except crypto.DecryptionError:
        return None
    return totp.provisioning_uri(secret, user.email, _issuer())


def _store_recovery_codes(user_id: uuid.UUID) -> list[str]:
    """Replace all recovery codes by fresh ones; return them (the only time they exist)."""
    sess = db.session()
    cipher = crypto.cipher_for(user_id, crypto.Category.ACCOUNT, create=True)
    sess.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        digest = cipher.fingerprint(normalise_recovery_code(code).encode())
        sess.add(RecoveryCode(user_id=user_id, digest=digest))
    return codes


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch the second factor on with a current code; end the user's other sessions.

    Returns the new recovery codes. Raises SecondFactorError ("wrong", "unreadable",
    "not_started", "already_enrolled") and then changes nothing.
    """
    with db.transaction() as sess:
        row = sess.get(SecondFactor, user.id)
        if row is None:
            raise SecondFactorError("not_started")
        if row.confirmed_at is not None:
            raise SecondFactorError("already_enrolled")
        try:
            secret = _open_secret(row)
        except crypto.DecryptionError:
            raise SecondFactorError("unreadable") from None
        step = totp.matching_step(secret, normalise_code(code))
        if step is None:
            raise SecondFactorError("wrong")
        row.confirmed_at = db.utcnow()
        row.last_step = step
        codes = _store_recovery_codes(user.id)
        user.session_version += 1  # sessions that never passed a code step end here
    _forget_cache(user.id)
    return codes


# -- the code step -----------------------------------------------------------------------


def verify(user: User, code: str) -> Literal["app", "recovery"]:
    """Check an app code or a recovery code; each works only once.

    Raises SecondFactorError: "wrong", "reused" (an app code already used), "unreadable"
    (the sealed secret does not open: app codes cannot be checked, recovery codes can),
    "not_enrolled".
    """
    with db.transaction() as sess:
        row = sess.get(SecondFactor, user.id)
        if row is None or row.confirmed_at is None:
            raise SecondFactorError("not_enrolled")
        cleaned = normalise_code(code)
        if len(cleaned) == totp.DIGITS and cleaned.isdigit():
            return _verify_app_code(sess, row, cleaned)
        digest = crypto.cipher_for(user.id, crypto.Category.ACCOUNT).fingerprint(
            normalise_recovery_code(code).encode()
        )
        used = sess.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.digest == digest,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=db.utcnow())
            .execution_options(synchronize_session=False)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise SecondFactorError("wrong")
        return "recovery"


def _verify_app_code(sess: Session, row: SecondFactor, code: str) -> Literal["app"]:
    try:
        secret = _open_secret(row)
    except crypto.DecryptionError:
        raise SecondFactorError("unreadable") from None
    if totp.matching_step(secret, code) is None:
        raise SecondFactorError("wrong")
    step = totp.matching_step(secret, code, after_step=row.last_step)
    if step is None:
        raise SecondFactorError("reused")
    # Conditional update: two requests racing with the same code cannot both win.
    claimed = sess.execute(
        update(SecondFactor)
        .where(
            SecondFactor.user_id == row.user_id,
            or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise SecondFactorError("reused")
    return "app"


def recovery_codes_left(user_id: uuid.UUID) -> int:
    return int(
        db.session().scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Fresh recovery codes (the old ones stop working), after a current app code."""
    verify(user, code)  # commits the used code: it cannot be replayed
    with db.transaction():
        return _store_recovery_codes(user.id)


# -- removal -----------------------------------------------------------------------------


def remove(user: User, *, kind: str = security_log.Events.SECOND_FACTOR_RESET) -> bool:
    """Delete the second factor and its recovery codes; end every session of this user.

    A clinician's API keys are revoked too: they were made under the removed factor and
    must not come back to life when a new one is set up. Returns False when there was
    nothing to remove. `kind` names the security-log event: an administrator's reset
    (the command line) unless the user switched it off themselves.
    """
    with db.transaction() as sess:
        existed = sess.get(SecondFactor, user.id) is not None
        sess.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
        sess.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        ended = None
        if existed:
            # Every session ends, also this one (the caller starts a fresh one); a
            # patient's keys never needed the factor, so only a clinician's are revoked.
            ended = services.end_everything(
                user,
                reason=(
                    "second_factor_removed"
                    if kind == security_log.Events.SECOND_FACTOR_REMOVED
                    else "second_factor_reset"
                ),
                revoke_keys=user.role == Role.CLINICIAN,
            )
    _forget_cache(user.id)
    if ended is not None:
        services.log_ended(user, ended)
        security_log.event(kind, user=user, outcome="success")
    return existed


def switch_off(user: User, password: str) -> throttle.Recheck:
    """A patient switches their second factor off with their password (re-checked on the
    login limits, throttle.recheck_password). Nothing changes unless the answer is ok."""
    checked = throttle.recheck_password(user, password, what="second_factor_off")
    if checked.ok:
        remove(user, kind=security_log.Events.SECOND_FACTOR_REMOVED)
    return checked


# -- recovery codes between the confirmation and the "I saved them" page -------------------


def seal_for_display(user_id: uuid.UUID, codes: list[str]) -> str:
    """The fresh codes, sealed, to carry in the signed session cookie to the next page."""
    cipher = crypto.cipher_for(user_id, crypto.Category.ACCOUNT)
    sealed = cipher.seal(_DISPLAY, user_id, " ".join(codes).encode())
    return base64.urlsafe_b64encode(sealed).decode()


def open_for_display(user_id: uuid.UUID, token: str) -> list[str]:
    try:
        sealed = base64.urlsafe_b64decode(token.encode())
        cipher = crypto.cipher_for(user_id, crypto.Category.ACCOUNT)
        return cipher.open(_DISPLAY, user_id, sealed).decode().split()
    except (ValueError, crypto.DecryptionError):
        return []
