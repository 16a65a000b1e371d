"""Alembic environment: runs on SQLite (batch mode) and PostgreSQL alike."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import Engine, engine_from_config, event, pool

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


def _transactional_sqlite_ddl(engine: Engine) -> None:
    """The sqlite3 driver begins a transaction only before a DML statement, so a failing
    step would leave the DDL before it done (a table rebuilt halfway). BEGIN ourselves:
    SQLite rolls DDL back like anything else (SQLAlchemy's pysqlite notes)."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def run_migrations_online() -> None:
    connectable = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    if connectable.dialect.name == "sqlite":
        _transactional_sqlite_ddl(connectable)
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
