"""Every read and write of accounts; the only place in this domain with a transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pgd import crypto, db, security_log
from pgd.accounts import passwords, sessions
from pgd.accounts.models import (
    ApiToken,
    ClinicianDetails,
    LoginSession,
    PasswordReset,
    Profession,
    Profile,
    Role,
    User,
)

# PasswordReset.purpose of the link that confirms a patient's own registration.
CONFIRM_PURPOSE = "confirm"


class AccountError(Exception):
    """A domain error with a field name, mapped to a message next to that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class DuplicateEmail(AccountError):
    pass


@dataclass(frozen=True)
class ProfileData:
    name: str
    birth_date: date | None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_id(user_id: uuid.UUID) -> User | None:
    return db.session().get(User, user_id)


def user_by_email(email: str) -> User | None:
    """The account of this address (as typed: spaces and capitals do not matter), or None."""
    return db.session().scalar(select(User).where(User.email == normalise_email(email)))


def _seal_profile(user_id: uuid.UUID, profile: Profile, name: str, birth: date | None) -> None:
    cipher = crypto.cipher_for(user_id, crypto.Category.PROFILE, create=True)
    profile.name_sealed = cipher.seal_text("profiles", user_id, name)
    profile.birth_date_sealed = (
        cipher.seal_text("profiles.birth_date", user_id, birth.isoformat()) if birth else None
    )


def _create_user(
    email: str,
    password: str,
    role: Role,
    name: str,
    birth: date | None,
    details: ClinicianDetails | None = None,
    must_change_password: bool = False,
    confirmed: bool = True,
    password_hash: str | None = None,
) -> User:
    email = normalise_email(email)
    # Hashed first, also for an address that turns out to be taken: the answer to a
    # registration must not be quicker for an existing account (no timing oracle).
    # A caller that hashed already (the registration page, once for every path) passes it.
    password_hash = password_hash or passwords.hash_password(password)
    with db.transaction() as sess:
        if sess.scalar(select(User.id).where(User.email == email)) is not None:
            raise DuplicateEmail("email", "duplicate")
        user = User(
            id=db.new_id(),
            email=email,
            role=str(role),
            password_hash=password_hash,
            session_version=1,
            must_change_password=must_change_password,
            # Unconfirmed only for a patient's own registration (pgd.accounts.confirmation).
            email_confirmed_at=db.utcnow() if confirmed else None,
        )
        sess.add(user)
        sess.flush()
        profile = Profile(user_id=user.id)
        _seal_profile(user.id, profile, name.strip(), birth)
        sess.add(profile)
        if details is not None:
            details.user_id = user.id
            sess.add(details)
        try:
            sess.flush()
        except IntegrityError:  # a concurrent registration won the race for this e-mail
            raise DuplicateEmail("email", "duplicate") from None
    return user


def register_patient(
    email: str,
    password: str,
    name: str,
    birth_date: date | None,
    *,
    confirmed: bool = True,
    password_hash: str | None = None,
) -> User:
    """Create a patient account with a sealed profile, all in one transaction.

    confirmed=False only for the registration page: that account cannot log in until the
    link mailed to the address is opened (pgd.accounts.confirmation)."""
    return _create_user(
        email,
        password,
        Role.PATIENT,
        name,
        birth_date,
        confirmed=confirmed,
        password_hash=password_hash,
    )


def replace_pending_registration(
    user_id: uuid.UUID, password_hash: str, name: str, birth_date: date | None
) -> User | None:
    """Registering again with an address that is not confirmed yet: the new password (its
    hash, made by the caller outside the transaction), name and date of birth replace the
    pending ones. None when the account was confirmed (or switched off, or removed)
    meanwhile; the caller then treats the address as taken.

    The check and the change are one conditional UPDATE: an owner who confirms (or
    resets the password) while this request hashes can never end up with this password."""
    now = db.utcnow()
    with db.transaction() as sess:
        changed = sess.execute(
            update(User)
            .where(
                User.id == user_id,
                User.email_confirmed_at.is_(None),
                User.disabled_at.is_(None),
                User.role == str(Role.PATIENT),
            )
            .values(
                password_hash=password_hash,
                session_version=User.session_version + 1,
                created_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            return None
        user = sess.get(User, user_id, populate_existing=True)
        if user is None:  # cannot happen: the UPDATE above found it
            return None
        # The links mailed for the earlier registration stop working.
        sess.execute(
            update(PasswordReset)
            .where(
                PasswordReset.user_id == user.id,
                PasswordReset.purpose == CONFIRM_PURPOSE,
                PasswordReset.used_at.is_(None),
            )
            .values(used_at=now)
        )
        profile = sess.get(Profile, user.id) or Profile(user_id=user.id)
        _seal_profile(user.id, profile, name.strip(), birth_date)
        sess.add(profile)
    return user


def create_clinician(
    email: str,
    password: str,
    name: str,
    profession: Profession,
    practice: str | None = None,
    agb_code: str | None = None,
    *,
    must_change_password: bool = False,
) -> User:
    """Administrator-only (command line): clinicians never self-register."""
    details = ClinicianDetails(profession=str(profession), practice=practice, agb_code=agb_code)
    return _create_user(email, password, Role.CLINICIAN, name, None, details, must_change_password)


def authenticate(email: str, password: str) -> User | None:
    """Exactly one argon2 verification, also for an unknown e-mail (no timing oracle)."""
    user = user_by_email(email)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        return None
    if passwords.needs_rehash(user.password_hash):
        with db.transaction():
            user.password_hash = passwords.hash_password(password)
    return user


@dataclass(frozen=True)
class Ended:
    """What end_everything ended: login sessions (a count) and API keys (their ids)."""

    sessions_ended: int
    key_ids: list[uuid.UUID]
    reason: str


def end_everything(
    user: User,
    *,
    reason: str,
    keep_session: str | None = None,
    revoke_keys: bool = True,
) -> Ended:
    """End every way in of this user, inside the caller's db.transaction(): the session
    version goes up (every cookie is stale), every login session row ends (so "My
    sessions" shows no device that no longer works) but `keep_session` (the row id of
    the session that goes on: sessions.current_id()), and every API key is revoked
    unless revoke_keys is False. Call log_ended(user, ended) after the commit.

    Used by a password change (keeps this session), a reset link, switching an account
    off and removing the second factor (end all)."""
    sess = db.session()
    now = db.utcnow()
    user.session_version += 1
    rows = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep_session is not None:
        rows = rows.where(LoginSession.id != keep_session)
    ended = sess.execute(rows.values(ended_at=now).execution_options(synchronize_session=False))
    key_ids: list[uuid.UUID] = []
    if revoke_keys:
        key_ids = list(
            sess.scalars(
                select(ApiToken.id).where(
                    ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
                )
            )
        )
        if key_ids:
            sess.execute(
                update(ApiToken)
                .where(ApiToken.id.in_(key_ids), ApiToken.revoked_at.is_(None))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
    return Ended(int(ended.rowcount or 0), key_ids, reason)  # type: ignore[attr-defined]


def log_ended(user: User, ended: Ended) -> None:
    """One api_key.revoked line per key that end_everything revoked, with its reason."""
    for key_id in ended.key_ids:
        security_log.event(
            security_log.Events.API_KEY_REVOKED,
            user_id=user.id,
            role=user.role,
            outcome="success",
            key_id=key_id,
            reason=ended.reason,
        )


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and end everything else (end_everything) in one transaction:
    every other login session and every API key of the user (issue 13). The session of
    this request goes on (the caller logs it in again under the new session version).

    The current password is re-checked on the login limits (throttle.recheck_password):
    AccountError("current_password", outcome) with outcome "missing", "wrong" or
    "limited" (then it was not checked at all)."""
    from pgd.accounts import throttle  # late: throttle reads the app's limiter

    checked = throttle.recheck_password(user, current, what="password_change")
    if not checked.ok:
        raise AccountError("current_password", checked.outcome)
    new_hash = passwords.hash_password(new)  # slow: outside the transaction
    with db.transaction():
        user.password_hash = new_hash
        user.password_changed_at = db.utcnow()
        ended = end_everything(user, reason="password_changed", keep_session=sessions.current_id())
    log_ended(user, ended)


def set_locale(user: User, locale: str) -> None:
    with db.transaction():
        user.locale = locale


def profile_of(user_id: uuid.UUID) -> ProfileData:
    """The owner's name and date of birth, opened with their profile key (read once per
    request until a write: pgd.db.remembered)."""
    return db.remembered(  # type: ignore[no-any-return]
        ("profile", user_id),
        lambda: profiles_of([user_id]).get(user_id, ProfileData(name="", birth_date=None)),
    )


def profiles_of(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, ProfileData]:
    """Names and dates of birth of many users: columns, 900 ids a query, keys opened in
    bulk. The key scope of this request decides which ones open (pgd.crypto)."""
    if len(user_ids) > 1:
        crypto.preload(user_ids, crypto.Category.PROFILE)
    out: dict[uuid.UUID, ProfileData] = {}
    sess = db.session()
    for start in range(0, len(user_ids), 900):
        rows = sess.execute(
            select(Profile.user_id, Profile.name_sealed, Profile.birth_date_sealed).where(
                Profile.user_id.in_(user_ids[start : start + 900])
            )
        )
        for user_id, name_sealed, birth_sealed in rows:
            cipher = crypto.cipher_for(user_id, crypto.Category.PROFILE)
            birth = (
                date.fromisoformat(cipher.open_text("profiles.birth_date", user_id, birth_sealed))
                if birth_sealed
                else None
            )
            out[user_id] = ProfileData(cipher.open_text("profiles", user_id, name_sealed), birth)
    return out


def update_profile(user: User, name: str, birth_date: date | None) -> None:
    with db.transaction() as sess:
        profile = sess.get(Profile, user.id) or Profile(user_id=user.id)
        _seal_profile(user.id, profile, name.strip(), birth_date)
        sess.add(profile)


def clinician_details(user_id: uuid.UUID) -> ClinicianDetails | None:
    return db.session().get(ClinicianDetails, user_id)
