"""Consent history: a stopped share records who stopped it

Revision ID: 0014_consent_history
Revises: 0013_api_key_expiry_scope
Create Date: 2026-11-29 14:40:00

grants.stopped_by is "patient" (the patient stopped sharing) or "disabled" (the
administrator switched the clinician's account off). Existing stopped shares: a stop at
the very moment the clinician was switched off is "disabled" (disable-user stops them in
the same transaction, with the same time); every other stop was the patient's (the only
other way a share stopped before this revision). Active and expired shares stay None.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_consent_history"
down_revision: str | Sequence[str] | None = "0013_api_key_expiry_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stopped_by", sa.String(length=16), nullable=True))
    grants = sa.table(
        "grants",
        sa.column("clinician_id", sa.Uuid()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
        sa.column("stopped_by", sa.String(16)),
    )
    users = sa.table(
        "users", sa.column("id", sa.Uuid()), sa.column("disabled_at", sa.DateTime(timezone=True))
    )
    switched_off = (
        sa.select(users.c.id)
        .where(users.c.id == grants.c.clinician_id, users.c.disabled_at == grants.c.revoked_at)
        .exists()
    )
    conn = op.get_bind()
    conn.execute(
        sa.update(grants)
        .where(grants.c.revoked_at.is_not(None), switched_off)
        .values(stopped_by="disabled")
    )
    conn.execute(
        sa.update(grants)
        .where(grants.c.revoked_at.is_not(None), grants.c.stopped_by.is_(None))
        .values(stopped_by="patient")
    )


def downgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("stopped_by")
