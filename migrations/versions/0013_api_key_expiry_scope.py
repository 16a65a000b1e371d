"""API keys get an expiry and a scope; existing keys keep working for the default time

Revision ID: 0013_api_key_expiry_scope
Revises: 0012_disabled_users
Create Date: 2026-11-29 13:55:00

Existing keys: a patient's key may read and write ("read write", as before), a clinician's
key only reads; each expires its role's default time after it was made (1 year for a
patient, 90 days for a clinician), so nothing stops working on the day of the upgrade.
"""

from collections.abc import Sequence
from datetime import UTC, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0013_api_key_expiry_scope"
down_revision: str | Sequence[str] | None = "0012_disabled_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults of pgd.accounts.tokens at the time of this migration (copied, not imported:
# a migration must keep doing what it did when later code changes).
_DEFAULTS = {
    "patient": (timedelta(days=365), "read write"),
    "clinician": (timedelta(days=90), "read"),
}


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("scope", sa.String(length=16), nullable=True))
    conn = op.get_bind()
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Uuid()),
        sa.column("user_id", sa.Uuid()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("scope", sa.String(16)),
    )
    users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("role", sa.String(16)))
    rows = conn.execute(
        sa.select(tokens.c.id, tokens.c.created_at, users.c.role).select_from(
            tokens.join(users, users.c.id == tokens.c.user_id)
        )
    ).all()
    for token_id, created_at, role in rows:
        valid, scope = _DEFAULTS.get(role, (timedelta(days=90), "read"))
        made = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        conn.execute(
            sa.update(tokens)
            .where(tokens.c.id == token_id)
            .values(expires_at=made + valid, scope=scope)
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("scope", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("scope")
        batch_op.drop_column("expires_at")
