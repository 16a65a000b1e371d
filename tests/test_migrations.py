"""The migrations build exactly the schema the models describe, on every engine."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from pgd import db
from pgd.db import Base


def test_migrated_schema_matches_models(app: Flask) -> None:
    with app.app_context(), db.engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_one_head_and_a_round_trip_down_and_up(tmp_path: Any) -> None:
    """Later migrations need one parent; and every step can be undone and redone."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect, text

    cfg = db.alembic_config(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    db.upgrade(url)
    engine = create_engine(url)

    def triggers() -> set[str]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            return {r[0] for r in rows}

    assert triggers() == {"access_events_no_update", "access_events_no_delete"}
    command.downgrade(cfg, "0003")
    assert "access_events" not in inspect(engine).get_table_names()
    assert triggers() == set()
    db.upgrade(url)
    assert triggers() == {"access_events_no_update", "access_events_no_delete"}
    assert db.schema_is_current(engine)
    engine.dispose()
