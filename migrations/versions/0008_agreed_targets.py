"""agreed targets: a target agreed with a named care provider, kept as history

Revision ID: 0008_agreed_targets
Revises: 0007_single_head
Create Date: 2026-11-29 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_agreed_targets"
down_revision: str | Sequence[str] | None = "0007_single_head"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreed_targets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_agreed_targets_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_agreed_targets_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreed_targets")),
    )
    with op.batch_alter_table("agreed_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreed_targets_patient_kind_time",
            ["patient_id", "kind", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("agreed_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_agreed_targets_patient_kind_time")
    op.drop_table("agreed_targets")
