"""Mixed read load: patients and clinicians at once, gunicorn on PostgreSQL (issue 14).

Goal: with 20 users (patients opening their dashboard and five-year charts, clinicians
their patient list, a summary and a chart) the app serves >= 0.05 x the requests/s of a
hello-world Flask app measured in the same run, with p95 <= 300 ms.

Builds a scratch database (migrated), one instance folder (keys), --patients patients
with five years of demo readings each and --clinicians clinicians with a second factor,
every patient sharing with every clinician. Serves the app and a hello-world app with
the same gunicorn settings on free 127.0.0.1 ports, logs every simulated user in with
its own cookie session (password, and for clinicians the app code) before the clock
starts, then per run: --seconds of mixed traffic, then --seconds of GET / on hello-world
with the same client and concurrency. Each user is a separate process (http.client), so
the Python client does not share one GIL; its own CPU use is printed. Both servers are
stopped and the database is dropped at the end.

    .venv/bin/python benchmarks/load_bench.py                        # PostgreSQL on 127.0.0.1
    .venv/bin/python benchmarks/load_bench.py --users 5 --seconds 5 --runs 1 --patients 3
    .venv/bin/python benchmarks/load_bench.py --postgres ''          # SQLite (WAL) instead
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import re
import statistics
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

# benchmarks/ is on sys.path when run as a script
from api_bench import HELLO_APP, HOST, PASSWORD, ROOT, free_port, gunicorn, wait_until_serving
from benchdb import FAST_HASHING, scratch_database

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOAL_RATIO = 0.05
GOAL_P95_MS = 300.0
PATIENT_PAGES = [
    "/home",
    "/charts/blood-pressure?period=all",
    "/charts/weight?period=all",
    "/charts/glucose?view=day&period=all",
    "/measurements",
]
CLINICIAN_CHARTS = ["blood-pressure", "weight", "glucose"]
# Logins are not timed: a cheap password hash (FAST_HASHING) keeps the set-up short; the
# server gets the same settings so it does not rehash.
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# -- set-up: accounts and five years of readings ----------------------------------------


@dataclass
class Clinician:
    email: str
    secret: bytes
    last_step: int
    recovery_codes: list[str]


@dataclass
class Population:
    patient_emails: list[str]
    patient_ids: list[uuid.UUID]
    clinicians: list[Clinician]
    readings: int


def prepare(url: str, instance: Path, patients: int, clinicians: int) -> Population:
    """Migrate; patients with five years of demo readings; enrolled clinicians; grants."""
    from pgd import create_app, db
    from pgd.accounts import second_factor, services
    from pgd.accounts.models import Profession
    from pgd.crypto import totp
    from pgd.measurements import demo, settings
    from pgd.measurements import services as measurements
    from pgd.measurements.models import Source
    from pgd.sharing.models import Grant

    db.upgrade(url)
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url, **FAST_HASHING})
    end = date.today()
    emails, ids, readings = [], [], 0
    for i in range(patients):
        email = f"patient{i}@example.nl"
        with app.test_request_context():
            user = services.register_patient(email, PASSWORD, f"Patient {i}", None)
            settings.save(user, user.id, settings.Settings(height_cm=160 + i % 30))
            items = demo.generate(
                end - timedelta(days=5 * 365), end, random.Random(i), glucose_per_week=5.2
            )
            readings += measurements.add_many(user, user.id, items, Source.DEMO).added
        emails.append(email)
        ids.append(user.id)
        print(f"  patient {i + 1}/{patients}: {len(items):,} readings", flush=True)

    enrolled = []
    for i in range(clinicians):
        email = f"poh{i}@example.nl"
        with app.test_request_context():
            made = services.create_clinician(
                email, PASSWORD, f"POH {i}", Profession.POH, "De Linde"
            )
            found = services.user_by_id(made.id)
            assert found is not None
            secret = totp.from_base32(
                second_factor.start_enrolment(found).secret_text.replace(" ", "")
            )
            # Confirm with the previous step's code: the current and next stay free.
            step = totp.step_at() - 1
            try:
                codes = second_factor.confirm_enrolment(found, totp.code_at_step(secret, step))
            except second_factor.SecondFactorError:  # a 30-second boundary passed just now
                step = totp.step_at()
                codes = second_factor.confirm_enrolment(found, totp.code_at_step(secret, step))
        enrolled.append(Clinician(email, secret, step, list(codes)))
        now = datetime.now(UTC)
        with app.app_context(), db.transaction() as sess:
            for pid in ids:  # written directly, as tests/sharing/conftest.py make_grant does
                sess.add(
                    Grant(
                        id=uuid.uuid4(),
                        patient_id=pid,
                        clinician_id=made.id,
                        categories="blood_pressure,weight,glucose,goals",
                        data_from=None,
                        expires_at=now + timedelta(days=365),
                        created_at=now,
                    )
                )
    app.extensions["pgd.engine"].dispose()
    return Population(emails, ids, enrolled, readings)


# -- a browser session over http.client --------------------------------------------------


@dataclass
class Page:
    status: int
    location: str
    text: str


class Browser:
    """Cookies, forms with their CSRF token, nothing else; one connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Page:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        page = Page(
            response.status,
            response.getheader("Location", ""),
            response.read().decode("utf-8", "replace"),
        )
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        conn.close()
        return page

    def submit(self, path: str, data: dict[str, str]) -> Page:
        page = self.request("GET", path)
        token = CSRF.search(page.text)
        if not token:
            raise RuntimeError(f"no form on {path} (status {page.status})")
        return self.request("POST", path, {"csrf_token": token.group(1), **data})


def login_patient(port: int, email: str) -> str:
    browser = Browser(port)
    done = browser.submit("/login", {"email": email, "password": PASSWORD})
    if done.status != 302:
        raise RuntimeError(f"login of {email}: status {done.status}")
    return browser.cookie_header()


def login_clinician(port: int, who: Clinician) -> str:
    """Password, then a fresh app code (each works once); a recovery code when the
    next unused step is not yet within the app's one-step tolerance."""
    from pgd.crypto import totp

    browser = Browser(port)
    first = browser.submit("/login", {"email": who.email, "password": PASSWORD})
    if first.status != 302 or first.location != "/login/code":
        raise RuntimeError(f"login of {who.email}: status {first.status}")
    step = max(who.last_step + 1, totp.step_at() - 1)
    if step <= totp.step_at() + 1:
        done = browser.submit("/login/code", {"code": totp.code_at_step(who.secret, step)})
        who.last_step = step
    else:
        done = browser.submit("/login/code?recovery=1", {"recovery_code": who.recovery_codes.pop()})
    if done.status != 302:
        raise RuntimeError(f"code step of {who.email}: status {done.status}")
    return browser.cookie_header()


@dataclass
class SimUser:
    kind: str  # "patient", "clinician" or "hello"
    cookie: str
    paths: list[str]


def make_users(port: int, pop: Population, users: int, clinician_share: float) -> list[SimUser]:
    """Patient users cycle through their pages; clinician users through "my patients",
    a shared patient's summary and one of that patient's five-year charts."""
    n_clin = min(users - 1, round(users * clinician_share)) if pop.clinicians else 0
    made = []
    for i in range(users - n_clin):
        cookie = login_patient(port, pop.patient_emails[i % len(pop.patient_emails)])
        made.append(SimUser("patient", cookie, PATIENT_PAGES))
    for i in range(n_clin):
        cookie = login_clinician(port, pop.clinicians[i % len(pop.clinicians)])
        paths = []
        for j, pid in enumerate(pop.patient_ids):
            chart = CLINICIAN_CHARTS[(i + j) % len(CLINICIAN_CHARTS)]
            paths += [
                "/clinician",
                f"/clinician/patients/{pid}",
                f"/clinician/patients/{pid}/charts/{chart}?period=all",
            ]
        made.append(SimUser("clinician", cookie, paths))
    return made


# -- the load generator: one process per simulated user ---------------------------------


def _label(path: str) -> str:
    """A path with the patient's id taken out, to group the figures per page."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", path)


def _simulate(
    port: int,
    user: SimUser,
    offset: int,
    seconds: float,
    go: Any,
    queue: Any,
) -> None:
    headers = {"Cookie": user.cookie} if user.cookie else {}
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    sample = ""
    go.wait()
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    i = offset
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    while True:
        path = user.paths[i % len(user.paths)]
        i += 1
        start = time.monotonic()
        if start >= deadline:
            break
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            status, sample = 0, sample or f"{path}: {exc!r}"
        stop = time.monotonic()
        if stop > deadline:  # finished after the window closed: not counted
            break
        label = _label(path)
        latencies.setdefault(label, []).append((stop - start) * 1000)
        if status != 200:
            errors[label] = errors.get(label, 0) + 1
            sample = sample or f"{path}: status {status}"
    queue.put((user.kind, latencies, errors, sample, time.process_time() - cpu))


@dataclass
class Window:
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int
    client_cores: float
    server_cores: float
    machine_cores: float
    by_page: dict[str, list[float]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    sample: str = ""


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def _tree_cpu(root_pid: int) -> float:
    """CPU seconds used so far by a process and its children (the gunicorn workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        rest = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry.name), int(rest[1])
        if pid == root_pid or ppid == root_pid:
            total += (int(rest[11]) + int(rest[12])) / ticks
    return total


def drive(port: int, server_pid: int, users: list[SimUser], seconds: float) -> Window:
    """Every user in its own process, started together, for `seconds`."""
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    queue = ctx.Queue()
    processes = [
        ctx.Process(target=_simulate, args=(port, user, random.randrange(1000), seconds, go, queue))
        for user in users
    ]
    for p in processes:
        p.start()
    time.sleep(0.2)  # let every process reach go.wait()
    server_before = _tree_cpu(server_pid)
    busy_before, total_before = _machine_busy()
    go.set()
    results = [queue.get(timeout=seconds + 120) for _ in processes]
    server_cpu = _tree_cpu(server_pid) - server_before
    busy_after, total_after = _machine_busy()
    for p in processes:
        p.join(timeout=10)
    all_ms: list[float] = []
    by_page: dict[str, list[float]] = {}
    by_kind: dict[str, int] = {}
    errors, client_cpu, sample = 0, 0.0, ""
    for kind, latencies, errs, first, cpu in results:
        for label, values in latencies.items():
            all_ms += values
            by_page.setdefault(label, []).extend(values)
            by_kind[kind] = by_kind.get(kind, 0) + len(values)
        errors += sum(errs.values())
        client_cpu += cpu
        sample = sample or first
    all_ms.sort()
    cores = os.cpu_count() or 1
    machine = (busy_after - busy_before) / (total_after - total_before) * cores
    return Window(
        rate=len(all_ms) / seconds,
        p50=percentile(all_ms, 50),
        p95=percentile(all_ms, 95),
        p99=percentile(all_ms, 99),
        errors=errors,
        client_cores=client_cpu / seconds,
        server_cores=server_cpu / seconds,
        machine_cores=machine if total_after > total_before else float("nan"),
        by_page=by_page,
        by_kind=by_kind,
        sample=sample,
    )


# -- the floor: what the pages' own rows cost to select and open -------------------------


def measure_floors(url: str, instance: Path, patient_id: uuid.UUID) -> dict[str, float]:
    """Per kind, ms to select one patient's five years of readings (id and sealed
    payload, as columns) and open them with AES-GCM: the least a five-year chart of that
    kind costs, whatever the framework. Median of 5, in this process, one core."""
    from sqlalchemy import select

    from pgd import create_app, crypto, db
    from pgd.measurements.models import Kind, Measurement
    from pgd.measurements.services import _raw_id_column

    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url, **FAST_HASHING})
    floors = {}
    with app.test_request_context():
        conn = db.session().connection()
        rid, raw_id = _raw_id_column(conn.dialect.name)  # as the series reads them
        for kind in Kind:
            cipher = crypto.cipher_for(patient_id, crypto.Category(kind.value))
            times = []
            for _ in range(5):
                start = time.perf_counter()
                rows = conn.execute(
                    select(rid, Measurement.payload_sealed)
                    .where(Measurement.patient_id == patient_id, Measurement.kind == kind.value)
                    .order_by(Measurement.taken_at)
                ).all()
                pairs = [(raw_id(r[0]), r[1]) for r in rows]
                cipher.open_many("measurements", pairs)
                times.append((time.perf_counter() - start) * 1000)
            floors[kind.value] = statistics.median(times)
    app.extensions["pgd.engine"].dispose()
    return floors


def _floor_of(label: str, floors: dict[str, float]) -> float:
    """A five-year chart page costs at least its kind's floor; other pages count 0 (they
    read a few rows), which only makes the bound below generous."""
    if "period=all" not in label:
        return 0.0
    for kind, name in (("blood_pressure", "blood-pressure"), ("weight", "weight")):
        if name in label:
            return floors[kind]
    return floors["glucose"] if "glucose" in label else 0.0


# -- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=DEFAULT_POSTGRES,
        help="maintenance database of the PostgreSQL server to make a scratch database on "
        f"(default {DEFAULT_POSTGRES}; '' for SQLite)",
    )
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users")
    parser.add_argument("--patients", type=int, default=20, help="patients with 5 years of data")
    parser.add_argument("--clinicians", type=int, default=2)
    parser.add_argument(
        "--clinician-share", type=float, default=0.2, help="share of users who are clinicians"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seconds", type=int, default=20, help="per window (max 120)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3, help="untimed seconds before run 1")
    args = parser.parse_args()
    seconds = max(1, min(args.seconds, 120))
    users_n = max(1, args.users)
    patients_n = max(1, args.patients)
    runs_n = max(1, args.runs)
    reproduce = (
        f".venv/bin/python benchmarks/load_bench.py --postgres '{args.postgres}' "
        f"--users {users_n} --patients {patients_n} --clinicians {args.clinicians} "
        f"--clinician-share {args.clinician_share} --workers {args.workers} "
        f"--seconds {seconds} --runs {runs_n} --warmup {args.warmup}"
    )
    engine_name = "PostgreSQL" if args.postgres else "SQLite (WAL)"

    runs: list[tuple[Window, Window]] = []
    with tempfile.TemporaryDirectory(prefix="pgd-load-bench-") as tmp:
        work = Path(tmp)
        instance = work / "instance"
        instance.mkdir(mode=0o700)
        hello_dir = work / "hello"
        hello_dir.mkdir()
        (hello_dir / "hello_bench_app.py").write_text(HELLO_APP)
        with scratch_database(args.postgres or None, instance) as url:
            began = time.monotonic()
            print(f"set-up on {engine_name}: {patients_n} patients x five years …", flush=True)
            pop = prepare(url, instance, patients_n, max(0, args.clinicians))
            print(
                f"  {pop.readings:,} readings, {len(pop.clinicians)} clinicians, "
                f"{time.monotonic() - began:.0f} s",
                flush=True,
            )
            floors = measure_floors(url, instance, pop.patient_ids[0])
            print(
                "  select+decrypt floor of one patient's five years, ms: "
                + ", ".join(f"{kind} {ms:.1f}" for kind, ms in floors.items()),
                flush=True,
            )
            env = {
                "PGD_INSTANCE_PATH": str(instance),
                "PGD_DATABASE_URL": url,
                **{f"PGD_{k}": str(v) for k, v in FAST_HASHING.items()},
            }
            app_port, hello_port = free_port(), free_port()
            with (
                gunicorn("pgd:create_app()", app_port, env, ROOT, args.workers) as app_server,
                gunicorn("hello_bench_app:app", hello_port, {}, hello_dir, args.workers) as hello,
            ):
                wait_until_serving(app_port, "/login")
                wait_until_serving(hello_port, "/")
                users = make_users(app_port, pop, users_n, args.clinician_share)
                hellos = [SimUser("hello", "", ["/"]) for _ in users]
                kinds = {k: sum(u.kind == k for u in users) for k in ("patient", "clinician")}
                print(
                    f"logged in: {kinds['patient']} patient and {kinds['clinician']} "
                    "clinician sessions",
                    flush=True,
                )
                if args.warmup > 0:
                    drive(app_port, app_server.pid, users, args.warmup)
                    drive(hello_port, hello.pid, hellos, min(args.warmup, 2))
                for r in range(runs_n):
                    mixed = drive(app_port, app_server.pid, users, seconds)
                    reference = drive(hello_port, hello.pid, hellos, seconds)
                    runs.append((mixed, reference))
                    print(f"run {r + 1}/{runs_n}: " + _line(mixed, reference), flush=True)
                    if mixed.sample:
                        print(f"    first error: {mixed.sample}", flush=True)
    report(runs, args, seconds, users, engine_name, reproduce, floors)


def _line(mixed: Window, ref: Window) -> str:
    return (
        f"mixed {mixed.rate:7.1f} req/s, p50 {mixed.p50:6.0f} ms, p95 {mixed.p95:6.0f} ms, "
        f"p99 {mixed.p99:6.0f} ms, non-200 {mixed.errors}; hello-world {ref.rate:7.0f} req/s "
        f"(p50 {ref.p50:.0f} ms, non-200 {ref.errors}); ratio {mixed.rate / ref.rate:.3f}\n"
        f"    CPU cores busy: client {mixed.client_cores:.2f}, "
        f"app {mixed.server_cores:.2f}, whole machine {mixed.machine_cores:.2f} "
        f"(hello: client {ref.client_cores:.2f}, server {ref.server_cores:.2f})"
    )


def report(
    runs: list[tuple[Window, Window]],
    args: argparse.Namespace,
    seconds: int,
    users: list[SimUser],
    engine_name: str,
    reproduce: str,
    floors: dict[str, float],
) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    rate = med([m.rate for m, _ in runs])
    p50 = med([m.p50 for m, _ in runs])
    p95 = med([m.p95 for m, _ in runs])
    p99 = med([m.p99 for m, _ in runs])
    hello_rate = med([h.rate for _, h in runs])
    ratio = med([m.rate / h.rate for m, h in runs])
    errors = sum(m.errors for m, _ in runs)
    requests = {k: sum(m.by_kind.get(k, 0) for m, _ in runs) for k in ("patient", "clinician")}
    total = sum(requests.values()) or 1
    cores = os.cpu_count()
    n_pat = sum(u.kind == "patient" for u in users)

    print()
    print(
        f"Mixed read load, gunicorn -w {args.workers} (sync), {engine_name}, {HOST}, "
        f"{len(users)} users ({n_pat} patients, {len(users) - n_pat} clinicians), "
        f"{args.patients} patients x five years, {seconds} s x {len(runs)} runs"
    )
    print(
        f"  requests: {100 * requests['patient'] / total:.0f} % patient, "
        f"{100 * requests['clinician'] / total:.0f} % clinician"
    )
    print(f"  {'page (all runs)':58} {'count':>7} {'p50 ms':>8} {'p95 ms':>8}")
    pages: dict[str, list[float]] = {}
    for m, _ in runs:
        for label, values in m.by_page.items():
            pages.setdefault(label, []).extend(values)
    for label, values in pages.items():
        values.sort()
        print(
            f"  {label:58} {len(values):7} {percentile(values, 50):8.0f} "
            f"{percentile(values, 95):8.0f}"
        )
    print(f"  median of {len(runs)} runs:")
    print(
        f"    mixed        : {rate:8.1f} requests/s; p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms"
    )
    print(f"    non-200      : {errors} (all runs)")
    print(f"    hello-world  : {hello_rate:8.0f} requests/s (GET /, same client and concurrency)")
    verdict = "meets" if ratio >= GOAL_RATIO and p95 <= GOAL_P95_MS else "BELOW"
    print(
        f"    ratio        : {ratio:8.3f} ({verdict} the goal: >= {GOAL_RATIO} x hello-world "
        f"with p95 <= {GOAL_P95_MS:.0f} ms)"
    )
    # The bound: if a request cost nothing but selecting and opening the rows its page
    # shows (five-year charts; every other page free), on every core of the machine.
    served = sum(len(v) for v in pages.values()) or 1
    mean_floor = sum(_floor_of(label, floors) * len(v) for label, v in pages.items()) / served
    if mean_floor > 0:
        bound = (cores or 1) * 1000 / mean_floor
        print(
            f"    floor bound  : {mean_floor:8.2f} ms of select+decrypt per request of this mix "
            f"(five-year charts at their kind's floor, other pages 0) -> at most "
            f"{bound:.0f} requests/s on {cores} cores, ratio <= {bound / hello_rate:.3f}"
        )
    print(
        f"  CPUs: {cores}, shared by the load generator, both servers and the database; "
        "the client's own use is printed per run (cores busy during the window)"
    )
    print(f"  reproduce: {reproduce}")


if __name__ == "__main__":
    main()
