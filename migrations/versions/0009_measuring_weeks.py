"""measuring weeks (thuismeetweek), consent changes of a grant, triage for my patients

Revision ID: 0009_weeks_and_consent
Revises: 0008_agreed_targets
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_weeks_and_consent"
down_revision: str | Sequence[str] | None = "0008_agreed_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "measuring_weeks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_measuring_weeks_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_measuring_weeks_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measuring_weeks")),
    )
    with op.batch_alter_table("measuring_weeks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measuring_weeks_patient_created", ["patient_id", "created_at"], unique=False
        )
    op.create_table(
        "grant_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("categories_before", sa.String(length=200), nullable=False),
        sa.Column("categories_after", sa.String(length=200), nullable=False),
        sa.Column("expires_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_after", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_grant_changes_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_grant_changes_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_changes")),
    )
    with op.batch_alter_table("grant_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_grant_changes_patient_changed", ["patient_id", "changed_at"], unique=False
        )


    op.create_table(
        "triage",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("last_reading_at", sa.BigInteger(), nullable=True),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_triage_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "category", name=op.f("pk_triage")),
    )


def downgrade() -> None:
    op.drop_table("triage")
    with op.batch_alter_table("grant_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_grant_changes_patient_changed")
    op.drop_table("grant_changes")
    with op.batch_alter_table("measuring_weeks", schema=None) as batch_op:
        batch_op.drop_index("ix_measuring_weeks_patient_created")
    op.drop_table("measuring_weeks")
