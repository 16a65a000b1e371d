"""A checked CSV file waiting for the patient's confirmation (sealed; kept at most an hour)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pgd.db import Base, new_id, utcnow


class PendingImport(Base):
    """The validated rows of one upload, sealed under the patient's "imports" key."""

    __tablename__ = "pending_imports"
    # The patient first (pgd.distribution); the key also serves "this patient's uploads".
    __table_args__ = (PrimaryKeyConstraint("patient_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
