"""access log: one keyed chain per patient; grant, outcome, channel, key and practice

New columns on access_events (chain, actor_practice, actor_agb_code, outcome, channel,
key_id, grant_id), the per-patient head rows (access_log_heads), and (patient_id, seq)
as the natural key instead of a global seq. Existing events are not changed (the table
is append-only): they keep chain = 1, their global SHA-256 chain, and are verified as
the legacy segment (pgd.sharing.access_log).

SQLite cannot drop the global UNIQUE(seq) in place: that one step rebuilds the table
(batch mode), which drops the append-only triggers, so they are created again right
after. Every other change is a plain ALTER TABLE.

Downgrade refuses while keyed events exist: their per-patient numbers cannot go back into
one global chain, and an audit log is not thrown away by a schema step.

Revision ID: 0016_access_log_per_patient
Revises: 0015_email_confirmation
Create Date: 2026-11-29 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_access_log_per_patient"
down_revision: str | Sequence[str] | None = "0015_email_confirmation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "access_events is append-only: events are never changed or removed"
SQLITE_TRIGGERS = {  # as migration 0007 made them
    "access_events_no_update": f"""
CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
""",
    "access_events_no_delete": f"""
CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
""",
}
NEW_COLUMNS = (
    "chain",
    "actor_practice",
    "actor_agb_code",
    "outcome",
    "channel",
    "key_id",
    "grant_id",
)


def _sqlite_triggers_again() -> None:
    for name, sql in SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(sql)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "access_log_heads",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_access_log_heads")),
    )
    if sqlite:
        with op.batch_alter_table("access_events", recreate="always") as batch_op:
            batch_op.drop_constraint("uq_access_events_seq", type_="unique")
        _sqlite_triggers_again()
    else:
        op.drop_constraint("uq_access_events_seq", "access_events", type_="unique")
    op.add_column(
        "access_events",
        sa.Column("chain", sa.SmallInteger(), server_default="1", nullable=False),
    )
    op.add_column("access_events", sa.Column("actor_practice", sa.String(200), nullable=True))
    op.add_column("access_events", sa.Column("actor_agb_code", sa.String(8), nullable=True))
    op.add_column(
        "access_events",
        sa.Column("outcome", sa.String(16), server_default="allowed", nullable=False),
    )
    op.add_column("access_events", sa.Column("channel", sa.String(8), nullable=True))
    op.add_column("access_events", sa.Column("key_id", sa.Uuid(), nullable=True))
    op.add_column("access_events", sa.Column("grant_id", sa.Uuid(), nullable=True))
    op.drop_index("ix_access_events_patient_seq", table_name="access_events")
    op.create_index(
        "uq_access_events_patient_seq", "access_events", ["patient_id", "seq"], unique=True
    )
    op.create_index("ix_access_events_chain_seq", "access_events", ["chain", "seq"])


def downgrade() -> None:
    bind = op.get_bind()
    keyed = bind.execute(sa.text("SELECT count(*) FROM access_events WHERE chain = 2")).scalar()
    if keyed:
        raise RuntimeError(
            f"{keyed} access events are in per-patient keyed chains; they cannot go back "
            "into the single chain of revision 0015. Restore a backup taken before 0016 "
            "instead (the access log is not thrown away by a schema step)."
        )
    op.drop_index("ix_access_events_chain_seq", table_name="access_events")
    op.drop_index("uq_access_events_patient_seq", table_name="access_events")
    op.create_index(
        "ix_access_events_patient_seq", "access_events", ["patient_id", "seq"], unique=False
    )
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("access_events", recreate="always") as batch_op:
            for name in NEW_COLUMNS:
                batch_op.drop_column(name)
            batch_op.create_unique_constraint("uq_access_events_seq", ["seq"])
        _sqlite_triggers_again()
    else:
        for name in NEW_COLUMNS:
            op.drop_column("access_events", name)
        op.create_unique_constraint("uq_access_events_seq", "access_events", ["seq"])
    op.drop_table("access_log_heads")
