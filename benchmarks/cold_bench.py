"""The cold first view of a five-year chart against the warm one, on PostgreSQL.

Starts a private PostgreSQL cluster (initdb in a temporary folder, its own port on
127.0.0.1; never the machine's shared cluster), saves five years of readings for
--patients patients through the app's own path (measurements.add_many), runs VACUUM
ANALYZE and CHECKPOINT, and times one patient's five-year blood-pressure chart
(/charts/blood-pressure?period=all) through a logged-in test client:

- cold: the cluster stopped, every file of its data directory evicted from the OS page
  cache (posix_fadvise DONTNEED; with --drop-caches, as root, also the whole machine's
  page cache through /proc/sys/vm/drop_caches), the cluster
  started again, the app's connection pool emptied and its cached data keys forgotten
  (a patient who has not looked for a while). One request that reads the user but no
  readings (/account/profile) opens the connection first, so the timed chart request
  pays for reading the data, not for starting a backend. Median of --cold-runs.
- warm: the same request again, median of 5.

Also prints the 8 kB blocks of the measurements table (heap and indexes) each cold
request read from outside PostgreSQL's buffers (pg_statio_user_tables), how much of the
table's files were still in the OS cache after eviction (fincore), and the plan of the
series query right after one more cold restart (EXPLAIN ANALYZE, BUFFERS, with
track_io_timing): a cold run that reads 0 blocks, or reads them in microseconds, did not
start cold.

How the readings arrive decides where a patient's rows lie (see storage_bench.py):
--arrival import (default) saves each patient's five years at once; --arrival daily one
day of one patient at a time, the patients in turn, so a patient's rows are spread over
the whole table.

Goal (issue 14): the cold first view of a five-year chart <= 2 x the warm one.

    .venv/bin/python benchmarks/cold_bench.py                      # --arrival import
    .venv/bin/python benchmarks/cold_bench.py --arrival daily
    .venv/bin/python benchmarks/cold_bench.py --arrival daily --cluster   # after compact-readings
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchdb import FAST_HASHING, PASSWORD, five_years_of_readings  # benchmarks/ is on sys.path
from sqlalchemy import create_engine, text

from pgd import create_app, crypto, db
from pgd.measurements.models import KIND_CODES, Kind

CHART = "/charts/blood-pressure?period=all"
WARM_UP = "/account/profile"  # reads the user and the profile, no readings
WARM_RUNS = 5
PG_BIN = "/usr/lib/postgresql/15/bin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--arrival", choices=("import", "daily"), default="import")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="CLUSTER measurements on its key before measuring (maintenance: each "
        "patient's readings on adjacent pages)",
    )
    parser.add_argument("--pg-bin", default=PG_BIN, help="folder with initdb and pg_ctl")
    parser.add_argument(
        "--drop-caches",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="as root, also write 1 to /proc/sys/vm/drop_caches (the whole machine's)",
    )
    args = parser.parse_args()
    if not (Path(args.pg_bin) / "initdb").exists():
        print(f"skipped: no PostgreSQL server programs in {args.pg_bin} (--pg-bin)")
        return
    with tempfile.TemporaryDirectory() as instance, private_cluster(Path(args.pg_bin)) as pg:
        pg.drop_caches = args.drop_caches
        run(
            pg,
            instance,
            max(1, args.patients),
            args.arrival,
            max(1, args.cold_runs),
            cluster=args.cluster,
        )
    print(
        "reproduce: .venv/bin/python benchmarks/cold_bench.py "
        f"--patients {args.patients} --arrival {args.arrival} --cold-runs {args.cold_runs}"
        + (" --cluster" if args.cluster else "")
        + (" --drop-caches" if args.drop_caches else "")
    )


class Cluster:
    """A PostgreSQL cluster of this benchmark alone: trust auth, 127.0.0.1, a free port."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin = bin_dir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False
        self.drop_caches = False  # as root, also /proc/sys/vm/drop_caches when cold

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stdout}{done.stderr}{log}")

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {shlex.quote(str(self.root))} "
            "-c track_io_timing=on"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False


@contextlib.contextmanager
def private_cluster(bin_dir: Path) -> Iterator[Cluster]:
    """A started cluster in a temporary folder; stopped and removed on the way out."""
    root = Path(tempfile.mkdtemp(prefix="pgd_cold_"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        cluster = Cluster(bin_dir, root)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running:
                cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(
    pg: Cluster,
    instance: str,
    patients: int,
    arrival: str,
    cold_runs: int,
    *,
    cluster: bool = False,
) -> None:
    db.upgrade(pg.url)
    app = create_app(
        {
            "INSTANCE_PATH": instance,
            "DATABASE_URL": pg.url,
            **FAST_HASHING,
        }
    )
    began = time.perf_counter()
    patient_id = five_years_of_readings(app, patients, arrival)
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if cluster:
            conn.execute(text("CLUSTER measurements USING pk_measurements"))
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))
        readings = conn.execute(text("SELECT count(*) FROM measurements")).scalar_one()
        files = _files(conn, pg.data)
    admin.dispose()
    print(
        f"PostgreSQL {pg.bin.parent.name}, private cluster; {patients} patients x 5 years: "
        f"{readings:,} readings (arrival: {arrival}"
        + (", then CLUSTER" if cluster else "")
        + f"), built in {time.perf_counter() - began:.0f} s"
    )
    client = _logged_in(app, "p0@example.nl")
    # Once before timing: a worker that has drawn a chart before (templates compiled,
    # modules imported), so the cold runs differ from the warm ones in data only.
    assert client.get(CHART).status_code == 200
    print(f"warm-up request {WARM_UP} reads readings: {_warm_up_reads(app, client, pg)}")

    colds: list[float] = []
    print(f"cold {CHART}:")
    for n in range(cold_runs):
        evicted = _cold_restart(app, pg, files)
        assert client.get(WARM_UP).status_code == 200
        start = time.perf_counter()
        response = client.get(CHART)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        colds.append(elapsed)
        blocks = _blocks_read(app, pg)
        print(
            f"  run {n + 1}: {elapsed * 1000:7.1f} ms; measurements blocks read from outside "
            f"shared buffers: heap {blocks['heap']}, index {blocks['idx']} (hit: "
            f"{blocks['heap_hit']} + {blocks['idx_hit']}); {evicted}"
        )

    assert client.get(WARM_UP).status_code == 200
    assert client.get(CHART).status_code == 200  # the connection and the keys again
    warms = []
    for _ in range(WARM_RUNS):
        start = time.perf_counter()
        assert client.get(CHART).status_code == 200
        warms.append(time.perf_counter() - start)
    cold, warm = statistics.median(colds), statistics.median(warms)
    print(f"warm {CHART}: " + ", ".join(f"{w * 1000:.1f}" for w in warms) + " ms")
    print(
        f"cold {cold * 1000:.1f} ms (median of {cold_runs}), warm {warm * 1000:.1f} ms "
        f"(median of {WARM_RUNS}): cold/warm = {cold / warm:.2f}"
    )
    _explain_cold(app, pg, files, patient_id)
    verdict = "met" if cold <= 2 * warm else "NOT met"
    print(f"goal (issue 14): cold <= 2 x warm (arrival: {arrival}): {verdict}")
    sys.stdout.flush()


def _logged_in(app: Any, email: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert client.get(WARM_UP).status_code == 200, "not logged in"
    return client


def _files(conn: Any, data: Path) -> list[Path]:
    """The files of measurements, its TOAST table and every index of either."""
    paths = conn.execute(
        text(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c WHERE c.oid = 'measurements'::regclass"
            " OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'measurements'::regclass)"
            " OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'measurements'::regclass"
            " OR indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'measurements'::regclass))"
        )
    ).scalars()
    found = []
    for path in paths:
        main = data / path
        found += [main, *main.parent.glob(main.name + ".*")]  # 1 GB segments
    return found


def _cold_restart(app: Any, pg: Cluster, files: list[Path]) -> str:
    """Stop, evict the data directory from the OS cache, start; returns what was done."""
    with app.app_context():
        db.engine().dispose()
        crypto.forget_cached_keys()
    pg.stop()
    for path in pg.data.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)  # a dirty page is not dropped (the checkpoint left none)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    dropped = "drop_caches: not root" if pg.drop_caches else "drop_caches: not asked"
    if pg.drop_caches and os.geteuid() == 0:
        try:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("1")
            dropped = "drop_caches: done"
        except OSError as exc:
            dropped = f"drop_caches failed ({exc.strerror})"
    resident = _resident(files)
    pg.start()
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_stat_reset()"))
    admin.dispose()
    return f"{dropped}; measurements' files in the OS cache before start: {resident}"


def _resident(files: list[Path]) -> str:
    """How much of these files the OS cache holds (util-linux fincore), as 'a of b kB'."""
    fincore = shutil.which("fincore")
    if fincore is None:
        return "unknown (no fincore)"
    out = subprocess.run(  # noqa: S603  (a fixed tool, our own files)
        [fincore, "--bytes", "--raw", "--noheadings", "-o", "RES,SIZE", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    res = size = 0
    for line in out.split("\n"):
        if line.strip():
            r, s = line.split()
            res, size = res + int(r), size + int(s)
    return f"{res // 1024} of {size // 1024} kB"


def _blocks_read(app: Any, pg: Cluster) -> dict[str, int]:
    """The measurements table's block counters since the reset, once the app's backends
    have ended (a backend sends its counters on exit)."""
    with app.app_context():
        db.engine().dispose()
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _wait_for_no_other_backends(conn)
            row = conn.execute(
                text(
                    "SELECT coalesce(heap_blks_read, 0) + coalesce(toast_blks_read, 0), "
                    "coalesce(idx_blks_read, 0) + coalesce(tidx_blks_read, 0), "
                    "coalesce(heap_blks_hit, 0) + coalesce(toast_blks_hit, 0), "
                    "coalesce(idx_blks_hit, 0) + coalesce(tidx_blks_hit, 0) "
                    "FROM pg_statio_user_tables WHERE relname = 'measurements'"
                )
            ).one()
    finally:
        admin.dispose()
    return dict(zip(("heap", "idx", "heap_hit", "idx_hit"), (int(n) for n in row), strict=True))


def _wait_for_no_other_backends(conn: Any) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        others = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        if others == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("the app's connections did not end")


def _warm_up_reads(app: Any, client: Any, pg: Cluster) -> str:
    """Whether the warm-up request touches the measurements table at all (it must not)."""
    with app.app_context():
        db.engine().dispose()
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        _wait_for_no_other_backends(conn)
        conn.execute(text("SELECT pg_stat_reset()"))
    admin.dispose()
    assert client.get(WARM_UP).status_code == 200
    blocks = _blocks_read(app, pg)
    return "no" if not any(blocks.values()) else f"YES {blocks}"


def _explain_cold(app: Any, pg: Cluster, files: list[Path], patient_id: Any) -> None:
    """The series query's plan right after one more cold restart: blocks and read time."""
    evicted = _cold_restart(app, pg, files)
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            lines = conn.execute(
                text(
                    "EXPLAIN (ANALYZE, BUFFERS) SELECT taken_at, uuid_send(id), payload_sealed "
                    "FROM measurements WHERE patient_id = :p AND kind = :k ORDER BY taken_at"
                ),
                {"p": patient_id, "k": KIND_CODES[Kind.BLOOD_PRESSURE.value]},
            ).scalars()
            print(f"series query after a cold restart ({evicted}):")
            for line in lines:
                print("   ", line)
    finally:
        admin.dispose()


if __name__ == "__main__":
    main()
