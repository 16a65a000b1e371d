"""Storage per reading and the pages a five-year chart reads, on PostgreSQL.

Builds a scratch database, saves five years of readings for --patients patients through
the app's own path (measurements.add_many), runs VACUUM ANALYZE and prints:
- bytes per reading of the measurements table: heap (with TOAST) and each index;
- which indexes the app's queries used (idx_scan after every page of a patient, an API
  create, the readings list and an import preview ran): an index that no query uses
  only costs disk and write time;
- the buffers (8 kB pages) the five-year blood-pressure series query touches, with its
  plan: what a patient whose data is not in memory waits for.

How the readings arrive decides how full PostgreSQL's index pages are, so there are two:
--arrival import (default) saves each patient's five years at once (a CSV import);
--arrival daily saves one day of one patient at a time, the patients in turn, day after
day (meters and the web form): each patient's part of the index grows in its own place,
and a page that splits in the middle of the index is left half full.

Goal (issue 14): <= 250 bytes per reading including indexes; no unused index.

    .venv/bin/python benchmarks/storage_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/storage_bench.py --postgres URL --arrival daily
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta

from benchdb import (  # benchmarks/ is on sys.path when run as a script
    FAST_HASHING,
    PASSWORD,
    five_years_of_readings,
    scratch_database,
)
from sqlalchemy import create_engine, text

from pgd import create_app, db
from pgd.measurements import services as measurements
from pgd.measurements.models import KIND_CODES, Kind, Source

PAGES = [
    "/home",
    "/charts/blood-pressure?period=all",
    "/charts/weight?period=all",
    "/charts/glucose?view=day&period=all",
    "/measurements",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="URL of a maintenance database")
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--arrival", choices=("import", "daily"), default="import")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.postgres, tmp) as url:
        run(url, tmp, max(1, args.patients), args.arrival)
    print(
        "reproduce: .venv/bin/python benchmarks/storage_bench.py --postgres URL "
        f"--patients {args.patients} --arrival {args.arrival}"
    )


def run(url: str, tmp: str, patients: int, arrival: str = "import") -> None:
    db.upgrade(url)
    app = create_app(
        {
            "INSTANCE_PATH": tmp,
            "DATABASE_URL": url,
            **FAST_HASHING,
        }
    )
    first_id = five_years_of_readings(app, patients, arrival)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("SELECT pg_stat_reset()"))
    _exercise(app, "p0@example.nl")
    with app.app_context():
        db.engine().dispose()  # the app's sessions end: their statistics reach the server
    with engine.connect() as conn:
        readings = conn.execute(text("SELECT count(*) FROM measurements")).scalar_one()
        heap = conn.execute(
            text("SELECT pg_table_size('measurements')")  # heap + TOAST + maps
        ).scalar_one()
        indexes = conn.execute(
            text(
                "SELECT s.indexrelname, pg_relation_size(s.indexrelid), s.idx_scan "
                "FROM pg_stat_user_indexes s WHERE s.relname = 'measurements' "
                "ORDER BY s.indexrelname"
            )
        ).all()
        print(
            f"PostgreSQL, {patients} patients x 5 years: {readings:,} readings (arrival: {arrival})"
        )
        print(f"{'relation':44} {'MB':>8} {'B/reading':>10} {'scans':>7}")
        print(f"{'measurements (heap, TOAST, maps)':44} {heap / 1e6:8.1f} {heap / readings:10.1f}")
        total = heap
        for name, size, scans in indexes:
            total += size
            print(f"{name:44} {size / 1e6:8.1f} {size / readings:10.1f} {scans:7}")
        print(f"{'total':44} {total / 1e6:8.1f} {total / readings:10.1f}   (goal <= 250 B)")
        widths = conn.execute(
            text(
                "SELECT avg(pg_column_size(m.*)), avg(octet_length(payload_sealed)), "
                "avg(pg_column_size(kind)) FROM measurements m"
            )
        ).one()
        print(
            "average row {:.0f} B: sealed payload {:.0f} B, kind {:.0f} B".format(
                *(float(w) for w in widths)
            )
        )
        unused = [name for name, _size, scans in indexes if scans == 0]
        print("indexes no query used:", ", ".join(unused) if unused else "none")
        # What maintenance gives back: CLUSTER rewrites the rows in the key's order and
        # the index with full pages (readings saved a day at a time leave index pages
        # half full where they split, and one patient's rows spread over many pages).
        conn.execute(text("CLUSTER measurements USING pk_measurements"))
        packed = conn.execute(text("SELECT pg_total_relation_size('measurements')")).scalar_one()
        label = "total after CLUSTER measurements"
        print(f"{label:44} {packed / 1e6:8.1f} {packed / readings:10.1f}")
        since = int((datetime.now(UTC) - timedelta(days=5 * 366)).timestamp())
        plan = conn.execute(
            text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT taken_at, id, payload_sealed "
                "FROM measurements WHERE patient_id = :p AND kind = :k AND taken_at >= :t "
                "ORDER BY taken_at"
            ),
            {"p": first_id, "k": KIND_CODES[Kind.BLOOD_PRESSURE.value], "t": since},
        ).scalars()
        lines = list(plan)
        print("five-year blood-pressure series of one patient:")
        for line in lines:
            print("   ", line)
        print(f"pages touched: {_top_buffers(lines)}")
    engine.dispose()
    sys.stdout.flush()


def _top_buffers(lines: list[str]) -> int:
    """shared hit + read of the plan's first Buffers line (the whole query)."""
    for line in lines:
        if "Buffers:" in line:
            return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", line))
    return 0


def _exercise(app: object, email: str) -> None:
    """Every way the app reads and writes readings, once: so idx_scan shows what is used."""
    client = app.test_client()  # type: ignore[attr-defined]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    body = client.get("/measurements").get_data(as_text=True)
    after = re.search(r"after=([0-9a-f_]+)", body)
    if after:
        assert client.get(f"/measurements?after={after.group(1)}").status_code == 200
    from pgd.measurements import values as v

    with app.test_request_context():  # type: ignore[attr-defined]
        from sqlalchemy import select

        from pgd.accounts.models import User

        user = db.session().scalar(select(User).where(User.email == email))
        when = datetime.now(UTC) - timedelta(minutes=5)
        items = [(v.BloodPressure(131, 84, 70, None), when, "")]
        measurements.duplicates(user, user.id, items)  # the import preview
        saved = measurements.add(user, user.id, items[0][0], when, "", Source.API)
        measurements.get(user, user.id, saved.id)  # one reading by id (API GET, edit, delete)


if __name__ == "__main__":
    main()
