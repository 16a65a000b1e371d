"""The scratch database every benchmark runs on: SQLite in a folder, or a fresh
PostgreSQL database made next to the maintenance database given, dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text


@contextlib.contextmanager
def scratch_database(postgres: str | None, folder: str | Path) -> Iterator[str]:
    """Yield the URL of an empty database; PostgreSQL's is dropped on the way out."""
    if not postgres:
        yield f"sqlite:///{Path(folder) / 'pgd.sqlite3'}"
        return
    name = f"pgd_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
