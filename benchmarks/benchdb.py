"""The scratch database every benchmark runs on: SQLite in a folder, or a fresh
PostgreSQL database made next to the maintenance database given, dropped afterwards;
and five years of readings for a number of patients, saved as they would arrive."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

PASSWORD = "mijn hond loopt graag mee"
# A cheap password hash for set-up logins (the app reads the cost from each stored hash).
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


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


def five_years_of_readings(app: Any, patients: int, arrival: str) -> Any:
    """Patients p0@example.nl … with five years of demo readings each, saved through the
    app's own path (measurements.add_many): --arrival "import" saves each patient's five
    years at once; "daily" one day of one patient at a time, the patients in turn, day
    after day (meters and the web form), so each patient's rows spread over the table.
    Returns the first patient's id."""
    from pgd.accounts import services as accounts
    from pgd.measurements import demo
    from pgd.measurements import services as measurements
    from pgd.measurements.models import Source

    end = date.today()
    first_id = None
    with app.test_request_context():
        users, days = [], []
        for n in range(patients):
            user = accounts.register_patient(f"p{n}@example.nl", PASSWORD, f"Patient {n}", None)
            items = demo.generate(
                end - timedelta(days=5 * 365), end, random.Random(n), glucose_per_week=5.2
            )
            first_id = first_id or user.id
            if arrival == "import":
                measurements.add_many(user, user.id, items, Source.DEMO)
                continue
            by_day: dict[date, list[Any]] = {}
            for item in items:
                by_day.setdefault(item[1].date(), []).append(item)
            users.append(user)
            days.append(by_day)
        for day in sorted({d for by_day in days for d in by_day}):
            for user, by_day in zip(users, days, strict=True):
                if day in by_day:
                    measurements.add_many(user, user.id, by_day[day], Source.DEMO)
    return first_id
