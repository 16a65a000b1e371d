"""A patient's own registration is confirmed from the e-mail (users.email_confirmed_at)

Revision ID: 0015_email_confirmation
Revises: 0014_consent_history
Create Date: 2026-11-29 15:50:00

A self-registered account can log in only once the link mailed to its address has been
opened, so the registration page answers the same for a new and a known address. Every
account that exists before this revision keeps working: it counts as confirmed at the
moment it was created.

The link itself needs no table of its own: it is a password_resets row with purpose
"confirm" (fits the String(8) column), stored as a keyed hash like a reset link.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_email_confirmation"
down_revision: str | Sequence[str] | None = "0014_consent_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
    users = sa.table(
        "users",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("email_confirmed_at", sa.DateTime(timezone=True)),
    )
    op.get_bind().execute(sa.update(users).values(email_confirmed_at=users.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
