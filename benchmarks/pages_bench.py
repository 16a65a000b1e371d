"""Server-side render time of the dashboard and every chart page for five years of data.

Goal (issue 3): p50 <= 120 ms on SQLite, reported as a ratio to the floor measured in
the same run: selecting 15,000 rows as columns and AES-GCM-opening them (goal <= 2.5).
Also prints each chart's JSON size (goal <= 250 kB).

    .venv/bin/python benchmarks/pages_bench.py                 # SQLite
    .venv/bin/python benchmarks/pages_bench.py --postgres URL  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta

from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script
from sqlalchemy import String, select, text, type_coerce

from pgd import create_app, crypto, db
from pgd.measurements import demo
from pgd.measurements import services as measurements
from pgd.measurements.models import Measurement, Source

PASSWORD = "mijn hond loopt graag mee"
RUNS = 30
PAGES = [
    "/home",
    "/charts/blood-pressure?period=all",
    "/charts/weight?period=all",
    "/charts/glucose?view=day&period=all",
    "/charts/glucose?view=moments&period=all",
    "/charts/glucose?view=range&period=all",
    "/measurements",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="PostgreSQL URL of a maintenance database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.postgres, tmp) as url:
        run(url, tmp)


def run(url: str, tmp: str) -> None:
    db.upgrade(url)
    app = create_app(
        {
            "INSTANCE_PATH": tmp,
            "DATABASE_URL": url,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    from pgd.accounts import services as accounts
    from pgd.measurements import settings

    with app.test_request_context():
        user = accounts.register_patient("bench@example.nl", PASSWORD, "Bench Mark", None)
        settings.save(user, user.id, settings.Settings(height_cm=176))
        end = date.today()
        items = demo.generate(
            end - timedelta(days=5 * 365), end, random.Random(5), glucose_per_week=5.2
        )
        measurements.add_many(user, user.id, items, Source.DEMO)
        user_id = user.id
        counts = dict(
            db.session()
            .execute(text("SELECT kind, count(*) FROM measurements GROUP BY kind"))
            .all()
        )
    floor = _floor(app, user_id)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post(
        "/login", data={"csrf_token": token, "email": "bench@example.nl", "password": PASSWORD}
    )
    engine = url.split(":", 1)[0]
    print(
        f"engine {engine}; five years: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    )
    print(f"floor (15,000 rows selected as columns + AES-GCM opened), p50: {floor:6.1f} ms")
    print(f"{'page':42} {'p50 ms':>8} {'p90 ms':>8} {'ratio':>6} {'chart kB':>9}")
    worst = 0.0
    for path in PAGES:
        times = []
        size = 0
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            body = response.get_data(as_text=True)
            island = re.search(r'id="chart-data">(.*?)</script>', body, re.S)
            size = len(island.group(1).encode()) if island else 0
        p50 = statistics.median(times)
        p90 = sorted(times)[int(RUNS * 0.9) - 1]
        worst = max(worst, p50)
        print(
            f"{path:42} {p50:8.1f} {p90:8.1f} {p50 / floor:6.2f} "
            f"{(f'{size / 1024:.1f}' if size else '-'):>9}"
        )
    print(
        f"worst p50 {worst:.1f} ms (goal <= 120 on SQLite); ratio {worst / floor:.2f} (goal <= 2.5)"
    )
    print(
        "reproduce: .venv/bin/python benchmarks/pages_bench.py"
        + (" --postgres URL" if engine != "sqlite" else "")
    )
    sys.stdout.flush()


def _floor(app: object, patient_id: uuid.UUID) -> float:
    """The reference cost: select 15,000 rows' columns and open them with AES-GCM."""
    times = []
    with app.test_request_context():  # type: ignore[attr-defined]
        sess = db.session()
        rows_needed = 15_000
        for _ in range(15):
            start = time.perf_counter()
            sqlite = sess.get_bind().dialect.name == "sqlite"
            id_col = type_coerce(Measurement.id, String) if sqlite else Measurement.id
            rows = sess.execute(
                select(Measurement.kind, id_col, Measurement.payload_sealed)
                .where(Measurement.patient_id == patient_id)
                .limit(rows_needed)
            ).all()
            by_kind: dict[str, list[tuple[bytes, bytes]]] = {}
            for kind, rid, blob in rows:
                by_kind.setdefault(kind, []).append(
                    (bytes.fromhex(rid) if sqlite else rid.bytes, blob)
                )
            for kind, pairs in by_kind.items():
                crypto.cipher_for(patient_id, crypto.Category(kind)).open_many(
                    "measurements", pairs
                )
            times.append((time.perf_counter() - start) * 1000)
            # scale to exactly 15,000 rows if the history holds fewer
            times[-1] *= rows_needed / max(len(rows), 1)
    return statistics.median(times)


if __name__ == "__main__":
    main()
