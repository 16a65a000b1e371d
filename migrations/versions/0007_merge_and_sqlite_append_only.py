"""one head again; access_events append-only on SQLite and on every PostgreSQL database

Goals (0004), the second factor (0005) and sharing (0006) were made side by side on top
of 0003; this revision joins them, so later migrations have one parent. On SQLite it
adds triggers that refuse any UPDATE or DELETE of an access event. On PostgreSQL it
(re)creates the trigger of 0006, which databases migrated before 0006 had it lack.

Revision ID: 0007_single_head
Revises: 0004_goals, 0005_second_factor, 0006_sharing
Create Date: 2026-11-23 18:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_single_head"
down_revision: str | Sequence[str] | None = ("0004_goals", "0005_second_factor", "0006_sharing")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "access_events is append-only: events are never changed or removed"
SQLITE_TRIGGERS = {
    "access_events_no_update": f"""
CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
""",
    "access_events_no_delete": f"""
CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
""",
}


POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION access_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END
$$
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
    elif dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute("DROP TRIGGER IF EXISTS access_events_append_only ON access_events")
        op.execute(
            "CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON access_events "
            "FOR EACH ROW EXECUTE FUNCTION access_events_append_only()"
        )


def downgrade() -> None:
    # PostgreSQL keeps the trigger: 0006's downgrade removes it with the table.
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
