"""measurements: no fingerprint column and no index on it

Revision ID: 0018_no_fingerprint
Revises: 0017_triage_stale
Create Date: 2026-11-29 16:10:00

Duplicate readings are found by opening the saved readings of an import's period with the
patient's key (pgd.measurements.services._saved_keys): the keyed fingerprint (65 bytes a
reading) and its index (about 150 bytes a reading on PostgreSQL), used by no query, go.

Downgrade brings the column and index back with an empty fingerprint: the older version
then finds no duplicates among readings saved before the downgrade (a re-import of the
same file would add them again); nothing is lost.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_no_fingerprint"
down_revision: str | Sequence[str] | None = "0017_triage_stale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_measurements_patient_fingerprint", table_name="measurements")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")


def downgrade() -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fingerprint", sa.String(length=64), nullable=False, server_default="")
        )
    op.create_index(
        "ix_measurements_patient_fingerprint", "measurements", ["patient_id", "fingerprint"]
    )
