"""Measurement tables: only patient id, kind and time stay plaintext (for indexing)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    TypeDecorator,
)
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


class _Code(TypeDecorator[str]):
    """A short enum value stored as a 2-byte code: code tables are pinned (tests/
    test_measurement_storage.py), never positions in the enum, so adding a member cannot
    change what stored rows mean. The ORM and Core queries keep reading and writing the
    enum's text value; only the table holds the code (issue 14: "blood_pressure" cost 15
    bytes in the row and again in the index)."""

    impl = SmallInteger
    cache_ok = True
    codes: dict[str, int] = {}
    names: dict[int, str] = {}

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        try:
            return self.codes[str(value)]
        except KeyError:
            raise ValueError(f"unknown value {value!r}") from None

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.names[int(value)]

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        return str(self.codes[str(value)])

    @property
    def python_type(self) -> type[str]:
        return str


# Pinned: stored in every reading. Never renumber; a new member takes the next free code.
KIND_CODES = {"blood_pressure": 1, "weight": 2, "glucose": 3}
SOURCE_CODES = {"web": 1, "csv": 2, "api": 3, "demo": 4}


class KindCode(_Code):
    cache_ok = True
    codes = KIND_CODES
    names = {code: name for name, code in KIND_CODES.items()}


class SourceCode(_Code):
    cache_ok = True
    codes = SOURCE_CODES
    names = {code: name for name, code in SOURCE_CODES.items()}


class Measurement(Base):
    """One reading; values and note sealed together under the patient's key for its kind.

    One index, the primary key (patient_id, kind, taken_at, id): every query of a patient's
    readings is a range of it in its order (a chart, the list newest first, a re-import's
    duplicates), the patient leads as a distributed database wants it (pgd.distribution),
    and a reading by id alone is a search within its patient's range. Issue 14: the row
    and its one index entry cost 247 bytes (a patient's five years saved at once) to 258
    (saved a day at a time) on PostgreSQL, instead of 516 (benchmarks/storage_bench.py).
    """

    __tablename__ = "measurements"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(KindCode(), primary_key=True)
    # UTC epoch seconds: sorts and filters on every engine, and reads 15k rows fast.
    taken_at: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Values and note; a re-import finds its duplicates by opening the readings of its
    # period (pgd.measurements.services), so no fingerprint column or index is stored.
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(SourceCode())
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

    # Primary key (patient_id, id), the patient first (pgd.distribution).
    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    # Who wrote it: the clinician, or the patient (a patient's change is kept as history).
    # No foreign key: a clinician's row is another person's (pgd.distribution); clinician
    # accounts are switched off, never deleted.
    author_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
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

    # Primary key (patient_id, id), the patient first (pgd.distribution).
    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    start_day: Mapped[date | None] = mapped_column(Date)  # local day 1 (Europe/Amsterdam)
    # The clinician who asked; no foreign key, like agreed_targets.author_id.
    requested_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
