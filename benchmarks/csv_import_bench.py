"""CSV import of 100,000 rows: parse + validate, preview (seal and keep), confirm (add_many).

Goal (issue 3): the whole import of 100,000 rows in at most 10 s on SQLite. Runs on a
fresh SQLite database in a temporary instance folder, and on PostgreSQL too when
--postgres URL names a server (a temporary database is created there and dropped).
Also times the same file through the web (upload → preview page → confirm), and a second
import of the same file (every row a duplicate).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script

from pgd import create_app, db
from pgd.measurements import csv_io, imports
from pgd.measurements.validation import LOCAL

N = 100_000
GOAL_S = 10.0
COMMAND = ".venv/bin/python benchmarks/csv_import_bench.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]"
PASSWORD = "mijn hond loopt graag mee"
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}
MOMENTS = ["fasting", "after_breakfast", "before_lunch", "after_lunch", "before_dinner", "bedtime"]


def make_file(n: int = N, seed: int = 3) -> bytes:
    """n valid rows, one every 15 minutes back from yesterday: ~45% bp, 50% glucose, 5% weight."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    lines = [";".join(csv_io.COLUMNS)]
    for i in range(n):
        local = (start - timedelta(minutes=15 * i)).astimezone(LOCAL)
        day, clock = local.strftime("%d-%m-%Y"), local.strftime("%H:%M")
        roll = rng.random()
        note = "na het fietsen, duizelig" if rng.random() < 0.05 else ""
        if roll < 0.45:
            sys_ = rng.randint(105, 175)
            row = ["bloeddruk", day, clock, str(sys_), str(sys_ - rng.randint(30, 60))]
            row += [str(rng.randint(55, 95)), rng.choice(["left", "right", ""]), "", "", "", ""]
        elif roll < 0.95:
            value = f"{rng.uniform(4.0, 14.0):.1f}".replace(".", ",")
            row = ["glucose", day, clock, "", "", "", "", "", value, "mmol", rng.choice(MOMENTS)]
        else:
            kg = f"{rng.uniform(70, 95):.1f}".replace(".", ",")
            row = ["gewicht", day, clock, "", "", "", "", kg, "", "", ""]
        lines.append(";".join([*row, note]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(kind: str, data: bytes, pg_url: str | None) -> float:
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(pg_url if kind == "postgresql" else None, tmp) as url,
    ):
        db.upgrade(url)
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": url, **FAST_HASHING})
        from pgd.accounts import services

        with app.test_request_context():
            user = services.register_patient("bench@example.nl", PASSWORD, "Bench Mark", None)
            services.register_patient("web@example.nl", PASSWORD, "Web User", None)
        with app.test_request_context():
            t_parse, parsed = timed(lambda: csv_io.parse(data))
            assert parsed.ok, parsed.file_error or parsed.errors[:3]
            t_check, preview = timed(lambda: imports.check(user, user.id, data))
            t_confirm, result = timed(lambda: imports.confirm(user, user.id, preview.pending_id))
            assert result.added == N, result
        with app.test_request_context():
            t_again, again = timed(
                lambda: imports.confirm(
                    user, user.id, imports.check(user, user.id, data).pending_id
                )
            )
            assert (again.added, again.duplicates) == (0, N), again
        t_web = web_round(app, data)
        app.extensions["pgd.engine"].dispose()
    total = t_check + t_confirm
    print(f"\n{kind}: {N:,} rows, {len(data) / 1e6:.1f} MB file")
    print(f"  parse + validate (csv_io.parse)            {t_parse:6.2f} s")
    print(f"  preview: parse + validate + seal + keep    {t_check:6.2f} s")
    print(f"  confirm: open + add_many (seal, insert)    {t_confirm:6.2f} s")
    print(f"  whole import (preview + confirm)           {total:6.2f} s  (goal <= {GOAL_S:.0f} s)")
    print(f"  same file again (all {N:,} duplicates)   {t_again:6.2f} s")
    print(f"  through the web (upload, page, confirm)    {t_web:6.2f} s")
    return total


def web_round(app: Any, data: bytes) -> float:
    import io

    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def token(url: str) -> str:
        page = client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    client.post(
        "/login",
        data={"csrf_token": token("/login"), "email": "web@example.nl", "password": PASSWORD},
    )
    tok = token("/measurements/import")
    start = time.perf_counter()
    page = client.post(
        "/measurements/import", data={"csrf_token": tok, "file": (io.BytesIO(data), "bench.csv")}
    ).get_data(as_text=True)
    pending = re.search(r"/measurements/import/([0-9a-f-]{36})/confirm", page)
    assert pending, "no preview"
    done = client.post(f"/measurements/import/{pending.group(1)}/confirm", data={"csrf_token": tok})
    elapsed = time.perf_counter() - start
    assert done.status_code == 302
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    _, data = timed(make_file)
    print(f"python {sys.version.split()[0]}")
    worst = run("sqlite", data, None)
    if args.postgres:
        worst = max(worst, run("postgresql", data, args.postgres))
    print(f"\nreproduce: {COMMAND}")
    sys.exit(0 if worst <= GOAL_S else 1)


if __name__ == "__main__":
    main()
