"""Sharing tables: grants, one-time share codes, and the hash-chained access log.

The patient's tables key on the patient first (pgd.distribution). A grant names its
clinician without a foreign key: the clinician's row is another person's, and clinician
accounts are switched off (pgd.accounts.disabling), never deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
)
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
        PrimaryKeyConstraint("patient_id", "id"),
        # "My patients": active grants of one clinician, most recently shared first (on a
        # distributed database a query over every shard: grants live with the patient).
        Index("ix_grants_clinician_created", "clinician_id", "created_at"),
        Index("ix_grants_patient_clinician", "patient_id", "clinician_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[uuid.UUID] = mapped_column()  # no foreign key: see the module
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
    __table_args__ = (
        PrimaryKeyConstraint("patient_id", "id"),
        ForeignKeyConstraint(
            ["patient_id", "grant_id"],
            ["grants.patient_id", "grants.id"],
            ondelete="CASCADE",
            name="fk_grant_changes_grant_id_grants",
        ),
        Index("ix_grant_changes_patient_changed", "patient_id", "changed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    grant_id: Mapped[uuid.UUID] = mapped_column()
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


class TriageStale(Base):
    """A reading saved without rewriting its triage row at once (the API's hot path): the
    row is rewritten after the response, or by the next view of "my patients", whichever
    comes first (pgd.sharing.triage.settle). Nothing sealed: which category, and when."""

    __tablename__ = "triage_stale"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    """One clinician read or write of patient data, or a refused try (NEN 7513).
    Append-only and chained per patient (pgd.sharing.access_log).

    No foreign keys: an event outlives a revoked grant and a deleted account. The natural
    key is (patient_id, seq): one chain per patient, nothing that crosses patients.
    """

    __tablename__ = "access_events"
    __table_args__ = (
        PrimaryKeyConstraint("patient_id", "id"),
        Index("uq_access_events_patient_seq", "patient_id", "seq", unique=True),
        Index("ix_access_events_chain_seq", "chain", "seq"),  # the legacy chain in order
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    # Chain 1 (legacy, before migration 0016): one global SHA-256 chain, seq global.
    # Chain 2: a keyed (HMAC) chain per patient, seq counts per patient.
    chain: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_profession: Mapped[str] = mapped_column(String(32))
    # The clinician's organisation at the time (practice name and AGB code).
    actor_practice: Mapped[str | None] = mapped_column(String(200))
    actor_agb_code: Mapped[str | None] = mapped_column(String(8))
    patient_id: Mapped[uuid.UUID] = mapped_column()
    categories: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    # "allowed", or "refused" (the consent door said no; nothing was shown).
    outcome: Mapped[str] = mapped_column(String(16), server_default="allowed")
    # "web", "api" or "fhir"; the API key used (api and fhir); the grant relied on.
    channel: Mapped[str | None] = mapped_column(String(8))
    key_id: Mapped[uuid.UUID | None] = mapped_column()
    grant_id: Mapped[uuid.UUID | None] = mapped_column()
    address: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PatientLogHead(Base):
    """The lock row of one patient's chain: writers for that patient update it first, so
    they append one at a time, and it names the chain's last event, so removing the
    newest event is detected too. Writers for other patients never wait for it."""

    __tablename__ = "access_log_heads"

    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AccessLogHead(Base):
    """The head of the legacy chain (events before migration 0016), kept to verify it:
    it names the last legacy event. Nothing writes it any more."""

    __tablename__ = "access_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
