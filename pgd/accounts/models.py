"""Accounts: users of every role, the patient's sealed profile, clinician details."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from pgd.db import Base, new_id, utcnow


class Role(StrEnum):
    PATIENT = "patient"
    CLINICIAN = "clinician"


class Profession(StrEnum):
    POH = "poh"
    HUISARTS = "huisarts"
    PRAKTIJKVERPLEEGKUNDIGE = "praktijkverpleegkundige"
    DIETIST = "dietist"
    VERPLEEGKUNDIGE = "verpleegkundige"


class User(UserMixin, Base):
    """Login identity. The e-mail stays plaintext (login looks it up); the name is sealed."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped on a password change: every other session of this user ends.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set for a clinician made on the command line: the first login asks for a new
    # password (before the second-factor set-up), so the typed one does not stay in use.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Set by an administrator (flask --app pgd disable-user): no login, no session, no key.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A self-registered patient confirms the address from the e-mail before the first
    # login (so registration answers the same for a known address); None: not yet.
    # Accounts made on the command line are confirmed when made.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def get_id(self) -> str:
        """Session id carries the version, so a bumped version logs other sessions out."""
        return f"{self.id}:{self.session_version}"


class Profile(Base):
    """Name and date of birth, sealed under the owner's "profile" data key."""

    __tablename__ = "profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    birth_date_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class ClinicianDetails(Base):
    """What a patient sees of a clinician before sharing: profession, practice, AGB code."""

    __tablename__ = "clinician_details"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    profession: Mapped[str] = mapped_column(String(32))
    practice: Mapped[str | None] = mapped_column(String(200))
    agb_code: Mapped[str | None] = mapped_column(String(8))


class ApiToken(Base):
    """A personal API token (for a meter app). Only a keyed hash is stored; shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Chosen at creation (pgd.accounts.tokens): a key stops working after this moment.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Space-separated: "read", "write" or "read write" (pgd.accounts.tokens.SCOPES).
    scope: Mapped[str] = mapped_column(String(16))


class LoginSession(Base):
    """One row per login, so logging out (or idling) ends it on the server too:
    a copied cookie is worthless after logout."""

    __tablename__ = "login_sessions"

    # SHA-256 of the random token held in the signed cookie; the token itself is not stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # "browser;system" read from the User-Agent at login ("Chrome;Android"), for "My sessions".
    user_agent: Mapped[str | None] = mapped_column(String(60))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SecondFactor(Base):
    """A TOTP authenticator, its secret sealed under the owner's "account" data key.

    Unconfirmed (confirmed_at NULL) while the person is still scanning the QR code.
    """

    __tablename__ = "second_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The time step of the last accepted code: that code, and older ones, never work again.
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A one-time recovery code; only its keyed hash is stored (shown once, used once)."""

    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordReset(Base):
    """A one-time link to set a new password ("forgot" or an administrator's set-password
    link). Only a keyed hash of the token is stored; a copy of the database opens nothing."""

    __tablename__ = "password_resets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # "reset", "set", or "confirm": a registration's e-mail link (pgd.accounts.confirmation)
    purpose: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
