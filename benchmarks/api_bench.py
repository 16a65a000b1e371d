"""API create throughput: POST /api/v1/measurements under gunicorn, 2 workers, loopback.

Builds a temporary instance (migrated database, keys, one patient with an API token),
serves it with `gunicorn -w 2 "pgd:create_app()"` on a free 127.0.0.1 port, drives
POST requests with wrk for a fixed time, and measures a hello-world Flask app the same
way as the reference, and the floor of a durable write: Flask with one committed INSERT
per request and nothing else (FLOOR_APP). Everything stays on loopback; the servers are
stopped at the end.

    .venv/bin/python benchmarks/api_bench.py                      # SQLite (default)
    .venv/bin/python benchmarks/api_bench.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GOAL = 1000.0
PASSWORD = "mijn hond loopt graag mee"

HELLO_APP = """\
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""

# The floor of a durable write: Flask under the same gunicorn settings, one JSON body
# parsed and one INSERT committed per request (to disk before the answer, as the app's
# own create: SQLite WAL with synchronous=FULL, or PostgreSQL in autocommit), and
# nothing else: no key, no encryption, no validation, no log. What the app cannot beat.
FLOOR_APP = """\
import json
import os
import sqlite3
import threading

from flask import Flask, request

app = Flask(__name__)
URL = os.environ["FLOOR_URL"]
_local = threading.local()


def conn():
    if getattr(_local, "conn", None) is None:
        if URL.startswith("sqlite"):
            c = sqlite3.connect(URL.split("///", 1)[1], isolation_level=None)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=FULL")
            c.execute("PRAGMA busy_timeout=10000")
        else:
            import psycopg

            c = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"))
            c.autocommit = True
        _local.conn = c
    return _local.conn


@app.post("/")
def write():
    body = json.dumps(request.get_json())
    c = conn()
    if URL.startswith("sqlite"):
        c.execute("INSERT INTO bench_floor (body) VALUES (?)", (body,))
    else:
        c.execute("INSERT INTO bench_floor (body) VALUES (%s)", (body,))
    return {"saved": True}, 201
"""

WRK_POST = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.body = '%(body)s'
"""

WRK_COUNT = """\
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) wrong = 0 end
function response(status, headers, body)
  if status ~= %(expected)d then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("wrong") end
  io.write(string.format("unexpected_status=%%d\\n", total))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_serving(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {HOST}:{port}{path} within {timeout:.0f} s")


@contextlib.contextmanager
def gunicorn(
    app_spec: str, port: int, env: dict[str, str], chdir: Path, workers: int
) -> Iterator[subprocess.Popen[bytes]]:
    """Start gunicorn in its own process group (yielded: its pid is the master's);
    always stop it (TERM, then KILL)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(chdir),
        # The project's settings (a worker freezes the app it built), for the app and for
        # hello-world alike: the same gunicorn settings on both sides of the ratio.
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--log-level",
        "warning",
        app_spec,
    ]
    process = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)  # noqa: S603
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ensure_wrk() -> str | None:
    """wrk from Debian; installed with apt-get when missing and allowed (root)."""
    found = shutil.which("wrk")
    apt_get = shutil.which("apt-get")
    if found or os.geteuid() != 0 or not apt_get:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    subprocess.run(  # noqa: S603  (a fixed command line)
        [apt_get, "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL
    )
    return shutil.which("wrk")


def run_wrk(
    wrk: str, url: str, seconds: int, threads: int, connections: int, script: str, workdir: Path
) -> tuple[float, int, str]:
    lua = workdir / f"bench-{uuid.uuid4().hex}.lua"
    lua.write_text(script)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    result = subprocess.run(  # noqa: S603  (our own wrk command line)
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    wrong = int(re.search(r"unexpected_status=(\d+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    detail = f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}"
    if errors:
        detail += f", {errors.group(0)}"
    if "Non-2xx" in out:
        detail += ", " + re.search(r"Non-2xx.*", out).group(0)  # type: ignore[union-attr]
    return rate, wrong, " ".join(command[:-3]) + " … " + url + f"  ({detail})"


# -- fallback load generator (no wrk): keep-alive clients in separate processes -------


def _client(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    seconds: float,
    expected: int,
    queue: multiprocessing.Queue,
) -> None:  # type: ignore[type-arg]
    done = wrong = 0
    deadline = time.monotonic() + seconds
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    while time.monotonic() < deadline:
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            done += 1
            wrong += response.status != expected
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
    queue.put((done, wrong))


def run_python_clients(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    seconds: int,
    clients: int,
    expected: int,
) -> tuple[float, int, str]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    processes = [
        multiprocessing.Process(
            target=_client, args=(port, method, path, body, headers, seconds, expected, queue)
        )
        for _ in range(clients)
    ]
    start = time.monotonic()
    for p in processes:
        p.start()
    results = [queue.get(timeout=seconds + 60) for _ in processes]
    for p in processes:
        p.join(timeout=10)
    elapsed = time.monotonic() - start
    total = sum(r[0] for r in results)
    return total / elapsed, sum(r[1] for r in results), f"{clients} Python keep-alive clients"


# -- the instance under test ------------------------------------------------------------


def prepare(url: str, instance: Path) -> str:
    """Migrate, make keys, a patient and a token; return the raw token."""
    from pgd import create_app, db
    from pgd.accounts import services, tokens

    db.upgrade(url)
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url})
    with app.test_request_context():
        user = services.register_patient("bench@example.nl", PASSWORD, "Bench Mark", None)
        _info, raw = tokens.create(user, "benchmark")
    app.extensions["pgd.engine"].dispose()
    return raw


def make_floor_table(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    serial = "INTEGER" if url.startswith("sqlite") else "BIGSERIAL"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE bench_floor (id {serial} PRIMARY KEY, body TEXT)"))
    engine.dispose()


def count_measurements(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM measurements")).scalar_one())
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on a temporary database created on this PostgreSQL server",
    )
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="use the built-in Python load generator instead of wrk",
    )
    args = parser.parse_args()
    seconds = max(1, min(args.seconds, 120))

    wrk = None if args.python_client else ensure_wrk()
    reproduce = " ".join(
        [
            ".venv/bin/python benchmarks/api_bench.py",
            f"--seconds {seconds} --connections {args.connections}",
            *(["--postgres", args.postgres] if args.postgres else []),
            *(["--python-client"] if args.python_client or not wrk else []),
        ]
    )
    body = json.dumps(
        {
            "type": "blood_pressure",
            "taken_at": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "systolic": 128,
            "diastolic": 82,
            "pulse": 70,
            "arm": "left",
            "note": "benchmark",
        }
    )
    with tempfile.TemporaryDirectory(prefix="pgd-api-bench-") as tmp:
        work = Path(tmp)
        instance = work / "instance"
        instance.mkdir(mode=0o700)
        with scratch_database(args.postgres, instance) as url:
            token = prepare(url, instance)
            engine_name = "PostgreSQL" if args.postgres else "SQLite (WAL)"

            api_port = free_port()
            env = {
                "PGD_INSTANCE_PATH": str(instance),
                "PGD_DATABASE_URL": url,
                # One meter app's key sends every request: measure the write path, not
                # the per-key rate (600 a minute by default, pgd.api.auth).
                "PGD_API_KEY_RATE_LIMIT": "100000000 per minute",
            }
            with gunicorn("pgd:create_app()", api_port, env, ROOT, args.workers):
                wait_until_serving(api_port, "/api/v1/openapi.json")
                before = count_measurements(url)
                if wrk:
                    script = WRK_POST % {"token": token, "body": body} + WRK_COUNT % {
                        "expected": 201
                    }
                    api_rate, api_wrong, api_how = run_wrk(
                        wrk,
                        f"http://{HOST}:{api_port}/api/v1/measurements",
                        seconds,
                        args.threads,
                        args.connections,
                        script,
                        work,
                    )
                else:
                    api_rate, api_wrong, api_how = run_python_clients(
                        api_port,
                        "POST",
                        "/api/v1/measurements",
                        body.encode(),
                        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                        seconds,
                        args.connections,
                        201,
                    )
                saved = count_measurements(url) - before

            hello_dir = work / "hello"
            hello_dir.mkdir()
            (hello_dir / "hello_bench_app.py").write_text(HELLO_APP)
            (hello_dir / "floor_bench_app.py").write_text(FLOOR_APP)
            make_floor_table(url)
            floor_port = free_port()
            with gunicorn(
                "floor_bench_app:app", floor_port, {"FLOOR_URL": url}, hello_dir, args.workers
            ):
                wait_until_serving(floor_port, "/")
                if wrk:
                    floor_rate, floor_wrong, floor_how = run_wrk(
                        wrk,
                        f"http://{HOST}:{floor_port}/",
                        seconds,
                        args.threads,
                        args.connections,
                        WRK_POST.replace('wrk.headers["Authorization"] = "Bearer %(token)s"\n', "")
                        % {"body": body}
                        + WRK_COUNT % {"expected": 201},
                        work,
                    )
                else:
                    floor_rate, floor_wrong, floor_how = run_python_clients(
                        floor_port,
                        "POST",
                        "/",
                        body.encode(),
                        {"Content-Type": "application/json"},
                        seconds,
                        args.connections,
                        201,
                    )
            hello_port = free_port()
            with gunicorn("hello_bench_app:app", hello_port, {}, hello_dir, args.workers):
                wait_until_serving(hello_port, "/")
                if wrk:
                    hello_rate, hello_wrong, hello_how = run_wrk(
                        wrk,
                        f"http://{HOST}:{hello_port}/",
                        seconds,
                        args.threads,
                        args.connections,
                        WRK_COUNT % {"expected": 200},
                        work,
                    )
                else:
                    hello_rate, hello_wrong, hello_how = run_python_clients(
                        hello_port, "GET", "/", None, {}, seconds, args.connections, 200
                    )

    verdict = "meets" if api_rate >= GOAL else "BELOW"
    print()
    print(f"API create throughput, gunicorn -w {args.workers}, {engine_name}, {HOST}, {seconds} s")
    print(
        f"  POST /api/v1/measurements : {api_rate:8.0f} requests/s  "
        f"({verdict} the goal of {GOAL:.0f}); non-201: {api_wrong}; rows saved: {saved}"
    )
    print(f"    {api_how}")
    print(f"  hello-world Flask (GET /) : {hello_rate:8.0f} requests/s; non-200: {hello_wrong}")
    print(f"    {hello_how}")
    print(
        f"  floor: Flask + one committed INSERT (POST /) : {floor_rate:8.0f} requests/s; "
        f"non-201: {floor_wrong}"
    )
    print(f"    {floor_how}")
    print(f"  ratio API / hello-world   : {api_rate / hello_rate:8.2f}")
    print(f"  ratio floor / hello-world : {floor_rate / hello_rate:8.2f}")
    print(f"  ratio API / floor         : {api_rate / floor_rate:8.2f}")
    print(f"  CPUs: {os.cpu_count()} (load generator and both servers share them)")
    print(f"  reproduce: {reproduce}")


if __name__ == "__main__":
    main()
