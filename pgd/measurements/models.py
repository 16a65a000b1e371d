"""Measurement tables: only patient id, kind and time stay plaintext (for indexing)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pgd.db import Base, new_id, utcnow


class Kind(StrEnum):
    """Each kind is also the data-key category it is sealed under."""

    BLOOD_PRESSURE = "blood_pressure"
    WEIGHT = "weight"
    GLUCOSE = "glucose"


class Source(StrEnum):
    WEB = "web"
    CSV = "csv"
    API = "api"
    DEMO = "demo"


class Measurement(Base):
    """One reading; values and note sealed together under the patient's key for its kind."""

    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_patient_kind_time", "patient_id", "kind", "taken_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # UTC epoch seconds: sorts and filters on every engine, and reads 15k rows fast.
    taken_at: Mapped[int] = mapped_column(BigInteger)
    # Values and note; a re-import finds its duplicates by opening the readings of its
    # period (pgd.measurements.services), so no fingerprint column or index is stored.
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PatientSettings(Base):
    """Height, personal targets and preferred glucose unit, sealed under "profile"."""

    __tablename__ = "patient_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    settings_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgreedTarget(Base):
    """A target agreed at a consult with a named care provider, as history: a change adds a
    row, nothing is overwritten. The newest row of a kind is the one in force.

    Values, note and the care provider's words are sealed under the key of the kind, so
    whoever may read the readings may read the target they are judged against.
    """

    __tablename__ = "agreed_targets"
    __table_args__ = (
        Index("ix_agreed_targets_patient_kind_time", "patient_id", "kind", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # Who wrote it: the clinician, or the patient (a patient's change is kept as history).
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MeasuringWeek(Base):
    """A home-measurement week for blood pressure (thuismeetweek), started by the patient,
    perhaps because a clinician asked for it. The readings stay in `measurements`; this row
    only says which seven local days make up the week. A request not yet started has no
    start day. Nothing here is a value: dates and who asked stay plaintext, like grants.
    """

    __tablename__ = "measuring_weeks"
    __table_args__ = (Index("ix_measuring_weeks_patient_created", "patient_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_day: Mapped[date | None] = mapped_column(Date)  # local day 1 (Europe/Amsterdam)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
