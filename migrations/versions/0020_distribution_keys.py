"""keys for a distributed database: the patient in every key, no foreign key across patients

Revision ID: 0020_distribution_keys
Revises: 0019_measurements_key
Create Date: 2026-11-29 19:30:00

Issue 14: the schema is ready for Citus with the patient as distribution column
(pgd.distribution). A distributed database enforces a primary key, a unique constraint
or a foreign key only within one shard, so each must include the column that names the
patient, and no foreign key may point at another patient's row:

- primary key (patient_id, id) instead of (id) for goals, goal_checkins,
  consult_questions, agreed_targets, measuring_weeks, pending_imports, grants,
  grant_changes and access_events; (owner_id, id) for data_keys. The id columns stay
  (URLs and the API name them) and stay unique on their own (random UUIDs).
- goal_checkins: one check-in per (patient, goal, day) instead of (goal, day), the same
  rule since a goal belongs to one patient; its goal is (patient_id, goal_id) ->
  goals (patient_id, id), and grant_changes' grant (patient_id, grant_id) -> grants
  (patient_id, id), both still ON DELETE CASCADE.
- no foreign key from grants.clinician_id, agreed_targets.author_id and
  measuring_weeks.requested_by to users: they name another person (a clinician). The
  columns and their values stay. Clinician accounts are switched off, never deleted, so
  the CASCADE and SET NULL they carried never fired.
- indexes the new keys make redundant go: ix_pending_imports_patient_id and
  ix_data_keys_owner_id (the patient or owner is the first key column now) and
  ix_goal_checkins_patient_goal_day (the same columns as the new unique constraint).

Constraint names are those of the naming convention (pgd.db.NAMING), as every earlier
migration created them on both engines; the composite foreign keys keep the names of the
ones they replace. PostgreSQL changes the constraints in place (ALTER TABLE); SQLite
rebuilds each table (batch mode), which drops the access_events append-only triggers, so
they are created again right after (as in 0016). A check-in or consent change whose
patient differs from its goal's or grant's stops the upgrade with the count: the new
foreign keys could not hold (the app never writes such a row).

Downgrade restores the keys, the unique rule, the foreign keys and indexes of 0019. A
target's author or a week's requester that is no longer a user is set to NULL first (what
the old SET NULL did); a grant whose clinician is no longer a user stops the downgrade
(the old foreign key would have deleted that consent history).
"""

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0020_distribution_keys"
down_revision: str | Sequence[str] | None = "0019_measurements_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> the column naming the patient (owner), first in the new primary key.
KEYS = {
    "goals": "patient_id",
    "goal_checkins": "patient_id",
    "consult_questions": "patient_id",
    "agreed_targets": "patient_id",
    "measuring_weeks": "patient_id",
    "pending_imports": "patient_id",
    "grants": "patient_id",
    "grant_changes": "patient_id",
    "access_events": "patient_id",
    "data_keys": "owner_id",
}


class ForeignKey(NamedTuple):
    name: str
    table: str
    columns: list[str]
    referred: str
    referred_columns: list[str]
    ondelete: str


class Unique(NamedTuple):
    name: str
    table: str
    columns: list[str]


class Shape(NamedTuple):
    """What differs between 0019 and 0020, on one side of the migration."""

    keys: dict[str, list[str]]  # table -> primary key columns
    foreign_keys: tuple[ForeignKey, ...]
    unique: Unique


FKS_BEFORE = (
    ForeignKey(
        "fk_goal_checkins_goal_id_goals", "goal_checkins", ["goal_id"], "goals", ["id"], "CASCADE"
    ),
    ForeignKey(
        "fk_grant_changes_grant_id_grants",
        "grant_changes",
        ["grant_id"],
        "grants",
        ["id"],
        "CASCADE",
    ),
    ForeignKey(
        "fk_grants_clinician_id_users", "grants", ["clinician_id"], "users", ["id"], "CASCADE"
    ),
    ForeignKey(
        "fk_agreed_targets_author_id_users",
        "agreed_targets",
        ["author_id"],
        "users",
        ["id"],
        "SET NULL",
    ),
    ForeignKey(
        "fk_measuring_weeks_requested_by_users",
        "measuring_weeks",
        ["requested_by"],
        "users",
        ["id"],
        "SET NULL",
    ),
)
FKS_AFTER = (
    ForeignKey(
        "fk_goal_checkins_goal_id_goals",
        "goal_checkins",
        ["patient_id", "goal_id"],
        "goals",
        ["patient_id", "id"],
        "CASCADE",
    ),
    ForeignKey(
        "fk_grant_changes_grant_id_grants",
        "grant_changes",
        ["patient_id", "grant_id"],
        "grants",
        ["patient_id", "id"],
        "CASCADE",
    ),
)
BEFORE = Shape(
    {table: ["id"] for table in KEYS},
    FKS_BEFORE,
    Unique("uq_goal_checkins_goal_day", "goal_checkins", ["goal_id", "day"]),
)
AFTER = Shape(
    {table: [column, "id"] for table, column in KEYS.items()},
    FKS_AFTER,
    Unique("uq_goal_checkins_patient_goal_day", "goal_checkins", ["patient_id", "goal_id", "day"]),
)
REDUNDANT_INDEXES = (
    ("ix_pending_imports_patient_id", "pending_imports", ["patient_id"]),
    ("ix_data_keys_owner_id", "data_keys", ["owner_id"]),
    ("ix_goal_checkins_patient_goal_day", "goal_checkins", ["patient_id", "goal_id", "day"]),
)
# Rows whose patient differs from the patient of the row their new foreign key names.
MISMATCHES = {
    "goal check-ins": (
        "SELECT count(*) FROM goal_checkins c JOIN goals g ON g.id = c.goal_id "
        "WHERE g.patient_id <> c.patient_id"
    ),
    "consent changes": (
        "SELECT count(*) FROM grant_changes c JOIN grants g ON g.id = c.grant_id "
        "WHERE g.patient_id <> c.patient_id"
    ),
}

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


def _sqlite_triggers_again() -> None:
    for name, sql in SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(sql)


def _rebuild_sqlite(old: Shape, new: Shape) -> None:
    """SQLite: each table rebuilt once with its new key, unique rule and foreign keys."""
    for table, columns in new.keys.items():
        with op.batch_alter_table(table, recreate="always") as batch_op:
            for fk in old.foreign_keys:
                if fk.table == table:
                    batch_op.drop_constraint(fk.name, type_="foreignkey")
            if old.unique.table == table:
                batch_op.drop_constraint(old.unique.name, type_="unique")
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", columns)
            if new.unique.table == table:
                batch_op.create_unique_constraint(new.unique.name, new.unique.columns)
            for fk in new.foreign_keys:
                if fk.table == table:
                    batch_op.create_foreign_key(
                        fk.name, fk.referred, fk.columns, fk.referred_columns, ondelete=fk.ondelete
                    )
    _sqlite_triggers_again()


def _alter_postgresql(old: Shape, new: Shape) -> None:
    """PostgreSQL: the old foreign keys first (they depend on the keys they point at),
    then the keys and the unique rule, then the new foreign keys."""
    for fk in old.foreign_keys:
        op.drop_constraint(fk.name, fk.table, type_="foreignkey")
    op.drop_constraint(old.unique.name, old.unique.table, type_="unique")
    for table, columns in new.keys.items():
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, columns)
    op.create_unique_constraint(*new.unique)
    for fk in new.foreign_keys:
        op.create_foreign_key(
            fk.name, fk.table, fk.referred, fk.columns, fk.referred_columns, ondelete=fk.ondelete
        )


def _change(old: Shape, new: Shape) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(old, new)
    else:
        _alter_postgresql(old, new)


def upgrade() -> None:
    bind = op.get_bind()
    for what, sql in MISMATCHES.items():
        found = bind.execute(sa.text(sql)).scalar()
        if found:
            raise RuntimeError(
                f"{found} {what} name another patient than the goal or share they belong "
                "to; the per-patient keys of 0020 cannot hold. Nothing was changed."
            )
    for name, table, _columns in REDUNDANT_INDEXES:
        op.drop_index(name, table_name=table)
    _change(BEFORE, AFTER)


def downgrade() -> None:
    bind = op.get_bind()
    orphans = bind.execute(
        sa.text(
            "SELECT count(*) FROM grants WHERE NOT EXISTS "
            "(SELECT 1 FROM users WHERE users.id = grants.clinician_id)"
        )
    ).scalar()
    if orphans:
        raise RuntimeError(
            f"{orphans} shares name a clinician who is no longer a user; the foreign key "
            "of 0019 would delete them with their consent history. Nothing was changed."
        )
    op.execute(
        "UPDATE agreed_targets SET author_id = NULL WHERE author_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM users WHERE users.id = agreed_targets.author_id)"
    )
    op.execute(
        "UPDATE measuring_weeks SET requested_by = NULL WHERE requested_by IS NOT NULL AND NOT "
        "EXISTS (SELECT 1 FROM users WHERE users.id = measuring_weeks.requested_by)"
    )
    _change(AFTER, BEFORE)
    for name, table, columns in REDUNDANT_INDEXES:
        op.create_index(name, table, columns)
