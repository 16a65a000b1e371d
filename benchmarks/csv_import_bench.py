"""CSV import of 100,000 rows: parse + validate, preview (seal and keep), confirm (add_many).

Goals (issue 14): the whole import of 100,000 rows in at most 5 s on either engine, with a
peak of at most 150 MB above the worker's memory before it (resident set size, the peak
as the kernel counts it) and that memory returned afterwards; bulk insert through the
app's own path (services.add_many of validated readings) at 50,000 rows/s or more.
Runs on a fresh SQLite database in a temporary instance folder, and on PostgreSQL too
when --postgres URL names a server (a temporary database is created there and dropped).
Also times the same file through the web (upload → preview page → confirm), and a second
import of the same file (every row a duplicate).
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script

from pgd import create_app, db
from pgd.measurements import csv_io, imports
from pgd.measurements.models import Source
from pgd.measurements.services import add_many
from pgd.measurements.validation import LOCAL

N = 100_000
GOAL_S = 5.0
GOAL_ROWS_PER_S = 50_000
GOAL_PEAK_MB = 150.0
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


def _status(field: str) -> float:
    """A /proc/self/status figure in MB (VmRSS: now; VmHWM: the peak since last reset)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(kind: str, data: bytes, pg_url: str | None) -> bool:
    """Time one engine; True when every goal is met."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(pg_url if kind == "postgresql" else None, tmp) as url,
    ):
        db.upgrade(url)
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": url, **FAST_HASHING})
        from pgd.accounts import services

        with app.test_request_context():
            user = services.register_patient("bench@example.nl", PASSWORD, "Bench Mark", None)
            bulk_user = services.register_patient("bulk@example.nl", PASSWORD, "Bulk Load", None)
            services.register_patient("web@example.nl", PASSWORD, "Web User", None)
        with app.test_request_context():
            t_parse, parsed = timed(lambda: csv_io.parse(data))
            assert parsed.ok, parsed.file_error or parsed.errors[:3]
            del parsed
        gc.collect()
        base = _status("VmRSS")
        _reset_peak()
        with app.test_request_context():
            t_check, preview = timed(lambda: imports.check(user, user.id, data))
            pending_id = preview.pending_id
            assert pending_id is not None
            del preview
            t_confirm, result = timed(lambda: imports.confirm(user, user.id, pending_id))
            assert result.added == N, result
        peak = _status("VmHWM") - base
        gc.collect()
        kept = _status("VmRSS") - base
        with app.test_request_context():
            t_again, again = timed(partial(import_twice, user, data))
            assert (again.added, again.duplicates) == (0, N), again
        with app.test_request_context():
            items = csv_io.parse(data).items
            t_bulk, bulk = timed(partial(add_many, bulk_user, bulk_user.id, items, Source.CSV))
            assert bulk.added == N, bulk
            del items
        t_web = web_round(app, data)
        app.extensions["pgd.engine"].dispose()
    total = t_check + t_confirm
    rate = N / t_bulk
    print(f"\n{kind}: {N:,} rows, {len(data) / 1e6:.1f} MB file")
    print(f"  parse + validate (csv_io.parse)            {t_parse:6.2f} s")
    print(f"  preview: parse + validate + seal + keep    {t_check:6.2f} s")
    print(f"  confirm: open + add_many (seal, insert)    {t_confirm:6.2f} s")
    print(f"  whole import (preview + confirm)           {total:6.2f} s  (goal <= {GOAL_S:.0f} s)")
    print(f"  same file again (all {N:,} duplicates)   {t_again:6.2f} s")
    print(f"  through the web (upload, page, confirm)    {t_web:6.2f} s")
    print(
        f"  bulk insert (services.add_many, 100k)      {t_bulk:6.2f} s  = {rate:,.0f} rows/s, "
        f"{1e6 / rate:.1f} us a row  (goal >= {GOAL_ROWS_PER_S:,} rows/s)"
    )
    print(
        f"  memory of the import: peak {peak:+.0f} MB, after it {kept:+.0f} MB over the "
        f"{base:.0f} MB before  (goal: peak <= {GOAL_PEAK_MB:.0f} MB)"
    )
    ok = total <= GOAL_S and rate >= GOAL_ROWS_PER_S and peak <= GOAL_PEAK_MB
    return ok


def import_twice(user: Any, data: bytes) -> Any:
    """Check and confirm a file that was imported before (every row a duplicate)."""
    pending = imports.check(user, user.id, data).pending_id
    assert pending is not None
    return imports.confirm(user, user.id, pending)


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
    parser.add_argument(
        "--only", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS
    )  # one engine in this process (main starts one process per engine)
    args = parser.parse_args()
    if args.only:
        _, data = timed(make_file)
        sys.exit(0 if run(args.only, data, args.postgres) else 1)
    print(f"python {sys.version.split()[0]}")
    # Each engine in a fresh process: its memory figures then start from a worker's size,
    # not from what the run before left.
    engines = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    ok = True
    for engine in engines:
        command = [sys.executable, __file__, "--only", engine]
        if args.postgres:
            command += ["--postgres", args.postgres]
        done = subprocess.run(command, check=False)  # noqa: S603  (this script, again)
        ok = done.returncode == 0 and ok
    print(f"\nreproduce: {COMMAND}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
