"""Every read and write of accounts; the only place in this domain with a transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pgd import crypto, db
from pgd.accounts import passwords
from pgd.accounts.models import ApiToken, ClinicianDetails, Profession, Profile, Role, User


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
) -> User:
    email = normalise_email(email)
    # Hashed first, also for an address that turns out to be taken: the answer to a
    # registration must not be quicker for an existing account (no timing oracle).
    password_hash = passwords.hash_password(password)
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


def register_patient(email: str, password: str, name: str, birth_date: date | None) -> User:
    """Create a patient account with a sealed profile, all in one transaction."""
    return _create_user(email, password, Role.PATIENT, name, birth_date)


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
    sess = db.session()
    user = sess.scalar(select(User).where(User.email == normalise_email(email)))
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        return None
    if passwords.needs_rehash(user.password_hash):
        with db.transaction():
            user.password_hash = passwords.hash_password(password)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password, end every other session (their session version is stale) and
    revoke every API key of the user (issue 13), in one transaction."""
    if not passwords.verify(user.password_hash, current):
        raise AccountError("current_password", "wrong")
    new_hash = passwords.hash_password(new)  # slow: outside the transaction
    with db.transaction() as sess:
        now = db.utcnow()
        user.password_hash = new_hash
        user.session_version += 1
        user.password_changed_at = now
        sess.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def set_locale(user: User, locale: str) -> None:
    with db.transaction():
        user.locale = locale


def profile_of(user_id: uuid.UUID) -> ProfileData:
    """The owner's name and date of birth, opened with their profile key."""
    return profiles_of([user_id]).get(user_id, ProfileData(name="", birth_date=None))


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
