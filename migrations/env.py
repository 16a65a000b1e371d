"""Alembic environment: runs on SQLite (batch mode) and PostgreSQL alike."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

import pgd.accounts.models  # noqa: F401  (register tables on Base.metadata)
import pgd.crypto.models  # noqa: F401
import pgd.measurements.import_models  # noqa: F401
import pgd.measurements.models  # noqa: F401
import pgd.sharing.models  # noqa: F401
from pgd.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("PGD_DATABASE_URL")
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
