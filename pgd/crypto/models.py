"""Tables that hold key material: wrapped data keys and master-key checks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pgd.db import Base, new_id, utcnow


class DataKey(Base):
    """One data key per (owner, category), stored wrapped by a master key.

    Keyed on the owner first (pgd.distribution): a patient's keys live with the patient's
    data; the system owner of the audit key (pgd.crypto.audit) is just another owner.
    """

    __tablename__ = "data_keys"
    __table_args__ = (
        PrimaryKeyConstraint("owner_id", "id"),
        UniqueConstraint("owner_id", "category"),  # also the index of the owner's keys
    )

    id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    # No foreign key: deleting a user destroys its keys first (crypto-shredding).
    owner_id: Mapped[uuid.UUID] = mapped_column()
    category: Mapped[str] = mapped_column(String(32))
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MasterKeyCheck(Base):
    """A token sealed by each master key, so a wrong key is caught at start-up."""

    __tablename__ = "master_key_checks"

    kek_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
