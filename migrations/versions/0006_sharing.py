"""sharing: grants, share codes, hash-chained access log

Revision ID: 0006_sharing
Revises: 0003
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006_sharing"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION access_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_events is append-only: events are never changed or removed';
END
$$
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON access_events
FOR EACH ROW EXECUTE FUNCTION access_events_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("data_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_grants_clinician_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["users.id"],
            name=op.f("fk_grants_patient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_grants_clinician_created", ["clinician_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_grants_patient_clinician", ["patient_id", "clinician_id"], unique=False
        )

    op.create_table(
        "share_codes",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_share_codes_clinician_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_share_codes")),
    )
    with op.batch_alter_table("share_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_codes_clinician_id"), ["clinician_id"], unique=False
        )

    op.create_table(
        "access_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_profession", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_access_events_seq")),
    )
    with op.batch_alter_table("access_events", schema=None) as batch_op:
        batch_op.create_index("ix_access_events_patient_seq", ["patient_id", "seq"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # Append-only in the database itself: no UPDATE or DELETE of an event, whoever
        # asks (TRUNCATE by the owner stays possible; the hash chain shows what is gone).
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)

    op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log_head")),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_events_append_only ON access_events")
        op.execute("DROP FUNCTION IF EXISTS access_events_append_only()")
    op.drop_table("access_log_head")
    with op.batch_alter_table("access_events", schema=None) as batch_op:
        batch_op.drop_index("ix_access_events_patient_seq")
    op.drop_table("access_events")
    with op.batch_alter_table("share_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_codes_clinician_id"))
    op.drop_table("share_codes")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_patient_clinician")
        batch_op.drop_index("ix_grants_clinician_created")
    op.drop_table("grants")
