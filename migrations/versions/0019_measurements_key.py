"""measurements: one index, the primary key (patient_id, kind, taken_at, id); kind and
source as 2-byte codes

Revision ID: 0019_measurements_key
Revises: 0018_no_fingerprint
Create Date: 2026-11-29 19:10:00

Issue 14. Every query of readings is a range of one patient's readings of one kind in
time order, so the key that orders them is the only index: the separate id key and the
(patient_id, kind, taken_at) index go. The patient leads the key, as a distributed
database (Citus, with the patient as distribution column) requires of every key.
The kind ("blood_pressure": 15 bytes in the row and again in the index) and the source
become the codes pinned in pgd.measurements.models (KIND_CODES, SOURCE_CODES).

PostgreSQL changes the table in place (one rewrite). SQLite cannot change a key or a type
in place: the table is rebuilt (new table, rows copied, old table dropped, new renamed);
measurements has no triggers and no table points at it.

A value outside the code tables stops the migration (NOT NULL) instead of losing a row.
Downgrade restores the text columns, the id key and the index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_measurements_key"
down_revision: str | Sequence[str] | None = "0018_no_fingerprint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As pgd.measurements.models pins them (a migration does not import the app's code).
KIND_CODES = {"blood_pressure": 1, "weight": 2, "glucose": 3}
SOURCE_CODES = {"web": 1, "csv": 2, "api": 3, "demo": 4}
NEW_KEY = ["patient_id", "kind", "taken_at", "id"]
OLD_INDEX = "ix_measurements_patient_kind_time"


def _to_code(column: str, codes: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{name}' THEN {code}" for name, code in codes.items())
    return f"CASE {column} {whens} END"


def _to_text(column: str, codes: dict[str, int]) -> str:
    whens = " ".join(f"WHEN {code} THEN '{name}'" for name, code in codes.items())
    return f"CASE {column} {whens} END"


def _table(name: str, *, coded: bool) -> sa.Table:
    """The measurements table after (coded) or before this migration, for SQLite's rebuild
    (with a users table in its metadata: the foreign key's target)."""
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.Uuid(), primary_key=True))
    text_or_code = sa.SmallInteger() if coded else None
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "patient_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_measurements_patient_id_users"),
            nullable=False,
        ),
        sa.Column("kind", text_or_code or sa.String(16), nullable=False),
        sa.Column(
            "taken_at", sa.BigInteger(), nullable=False, autoincrement=False
        ),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("source", text_or_code or sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(*(NEW_KEY if coded else ["id"]), name="pk_measurements"),
    )


def _rebuild_sqlite(*, coded: bool) -> None:
    """New table in the target form, every row copied (kind and source converted), the old
    one dropped and the new one renamed: SQLite's way to change a key and column types."""
    conn = op.get_bind()
    _table("measurements_new", coded=coded).create(conn)
    convert = _to_code if coded else _to_text
    conn.exec_driver_sql(
        "INSERT INTO measurements_new (id, patient_id, kind, taken_at, payload_sealed, "
        "source, created_at, updated_at) SELECT id, patient_id, "
        f"{convert('kind', KIND_CODES)}, taken_at, payload_sealed, "
        f"{convert('source', SOURCE_CODES)}, created_at, updated_at FROM measurements"
    )
    op.drop_table("measurements")
    op.rename_table("measurements_new", "measurements")


def upgrade() -> None:
    op.drop_index(OLD_INDEX, table_name="measurements")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(coded=True)
        return
    op.execute(
        "ALTER TABLE measurements DROP CONSTRAINT pk_measurements, "
        f"ALTER COLUMN kind TYPE smallint USING {_to_code('kind', KIND_CODES)}, "
        f"ALTER COLUMN source TYPE smallint USING {_to_code('source', SOURCE_CODES)}, "
        f"ADD CONSTRAINT pk_measurements PRIMARY KEY ({', '.join(NEW_KEY)})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(coded=False)
    else:
        op.execute(
            "ALTER TABLE measurements DROP CONSTRAINT pk_measurements, "
            f"ALTER COLUMN kind TYPE varchar(16) USING {_to_text('kind', KIND_CODES)}, "
            f"ALTER COLUMN source TYPE varchar(8) USING {_to_text('source', SOURCE_CODES)}, "
            "ADD CONSTRAINT pk_measurements PRIMARY KEY (id)"
        )
    op.create_index(OLD_INDEX, "measurements", ["patient_id", "kind", "taken_at"])
