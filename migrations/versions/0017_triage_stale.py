"""triage_stale: readings whose triage row is rewritten after the response

Revision ID: 0017_triage_stale
Revises: 0016_access_log_per_patient
Create Date: 2026-11-29 16:00:00

An API create saves the reading and marks its (patient, category) here in the same
statement; the triage row of "my patients" is rewritten after the response or by the next
view of the list (pgd.sharing.triage.settle). No data to move: an empty table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_triage_stale"
down_revision: str | Sequence[str] | None = "0016_access_log_per_patient"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_stale",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_triage_stale_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "category", name=op.f("pk_triage_stale")),
    )


def downgrade() -> None:
    op.drop_table("triage_stale")
