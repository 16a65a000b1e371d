"""Sharing tables: grants, one-time share codes, and the hash-chained access log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pgd.db import Base, new_id, utcnow


class Grant(Base):
    """A patient's consent: which clinician sees which categories, from when, until when.

    Categories are stored as a sorted comma-separated list of category codes, so a new
    category slots in without a schema change. A grant is never deleted: revoking sets
    revoked_at (once) and who stopped it (stopped_by), narrowing rewrites
    categories/expires_at and sets changed_at, with the terms before and after kept in
    grant_changes. Together they are the consent history (services.consent_history).
    """

    __tablename__ = "grants"
    __table_args__ = (
        # "My patients": active grants of one clinician, most recently shared first.
        Index("ix_grants_clinician_created", "clinician_id", "created_at"),
        Index("ix_grants_patient_clinician", "patient_id", "clinician_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    categories: Mapped[str] = mapped_column(String(200))
    # Start of the data period (UTC); None shares all data.
    data_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who stopped it: "patient", or "disabled" (the administrator switched the clinician
    # off). None while active, and for a stop whose cause was not known (before 0014).
    stopped_by: Mapped[str | None] = mapped_column(String(16))


class GrantChange(Base):
    """A consent change: the terms of a grant before and after the patient changed them
    (more or fewer categories, longer or shorter). Never updated or deleted with the
    grant's life; shown to the patient on the sharing overview."""

    __tablename__ = "grant_changes"
    __table_args__ = (Index("ix_grant_changes_patient_changed", "patient_id", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    categories_before: Mapped[str] = mapped_column(String(200))
    categories_after: Mapped[str] = mapped_column(String(200))
    expires_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Triage(Base):
    """What "my patients" sorts on, per patient and category: the time of the last reading
    and, sealed under that category's key, the flags (and week result) as of that reading.
    Rewritten in the transaction of every write of that category; read only through the
    policy like the readings themselves."""

    __tablename__ = "triage"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_reading_at: Mapped[int | None] = mapped_column(BigInteger)  # UTC epoch s
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShareCode(Base):
    """A one-time code a clinician shows at the consult; only its keyed hash is stored."""

    __tablename__ = "share_codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccessEvent(Base):
    """One clinician read of patient data (NEN 7513). Append-only and hash-chained.

    No foreign keys: an event outlives a revoked grant and a deleted account.
    """

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_patient_seq", "patient_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_profession: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[uuid.UUID] = mapped_column()
    categories: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AccessLogHead(Base):
    """The lock row of the chain: writers update it first, so they append one at a time,
    and it names the last event, so removing the newest event is detected too."""

    __tablename__ = "access_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
