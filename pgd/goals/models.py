"""Goal tables: only ids, the patient, dates and times stay plaintext (for indexing).

Goal text, why, kind, target, actions, status history, check-in counts and consult
questions are sealed under the patient's "goals" data key.

Every key starts with the patient (pgd.distribution): a goal's rows live on one shard.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pgd.db import Base, new_id, utcnow


class Goal(Base):
    """One goal with its actions and history, sealed as one payload."""

    __tablename__ = "goals"
    __table_args__ = (
        PrimaryKeyConstraint("patient_id", "id"),
        Index("ix_goals_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CheckIn(Base):
    """One day's check-in on an activity goal; the day is plaintext, the count sealed."""

    __tablename__ = "goal_checkins"
    __table_args__ = (
        PrimaryKeyConstraint("patient_id", "id"),
        # One check-in per goal per day, enforced by the database as well as the service;
        # also the index the check-in queries use (patient, goal, day).
        UniqueConstraint("patient_id", "goal_id", "day", name="uq_goal_checkins_patient_goal_day"),
        # The goal of the same patient: the key never leaves the patient's shard.
        ForeignKeyConstraint(
            ["patient_id", "goal_id"],
            ["goals.patient_id", "goals.id"],
            ondelete="CASCADE",
            name="fk_goal_checkins_goal_id_goals",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    goal_id: Mapped[uuid.UUID] = mapped_column()
    day: Mapped[date] = mapped_column(Date)  # local (Europe/Amsterdam) date
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsultQuestion(Base):
    """A question or topic for the next consult; text and "discussed" sealed."""

    __tablename__ = "consult_questions"
    __table_args__ = (
        PrimaryKeyConstraint("patient_id", "id"),
        Index("ix_consult_questions_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
