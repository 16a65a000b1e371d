"""GET /fhir/Patient/{id}/$everything for five years of home readings (issue 12).

One patient with five years of data: two blood pressures a day with a pulse (each one
a BP and a heart-rate Observation), a weight a day and three glucose readings a day:
about 14,600 Observations from about 12,800 readings, saved through the real write path
(measurements.add_many). The request runs through the Flask test client with the
patient's bearer token and the whole streamed body is read and parsed once (so the
Bundle is known to be complete). Also done as a clinician with a grant of everything
(which adds the access-log event).

Goal: p50 <= 2 s, and memory that does not grow with the data: the peak of Python
allocations (tracemalloc) while streaming 5 years is compared with 1 year; the stream
holds one chunk of readings at a time.

    .venv/bin/python benchmarks/fhir_bench.py                  # SQLite
    .venv/bin/python benchmarks/fhir_bench.py --postgres URL   # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script

from pgd import create_app, db
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Moment, Weight

PASSWORD = "mijn hond loopt graag mee"
RUNS = 5
GOAL_S = 2.0
MOMENTS = (Moment.FASTING.value, Moment.AFTER_LUNCH.value, Moment.BEFORE_DINNER.value)


def _readings(days: int, rng: random.Random) -> list[tuple[Any, datetime, str]]:
    end = datetime.now(UTC).replace(microsecond=0)
    items: list[tuple[Any, datetime, str]] = []
    for day in range(days):
        base = end - timedelta(days=day)
        for hour in (7, 21):
            s = rng.randint(118, 160)
            items.append(
                (BloodPressure(s, int(s * 0.6) + rng.randint(-4, 4), rng.randint(55, 90)),
                 base - timedelta(hours=hour, minutes=rng.randint(0, 30)), "")
            )  # fmt: skip
        items.append((Weight(round(rng.uniform(80, 90), 1)), base - timedelta(hours=8), ""))
        for i, moment in enumerate(MOMENTS):
            items.append(
                (Glucose(round(rng.uniform(4.5, 11.0), 1), moment),
                 base - timedelta(hours=9 + 4 * i), "")
            )  # fmt: skip
    return items


def _patient(app: Any, email: str, days: int) -> tuple[Any, str]:
    from pgd.accounts import services as accounts
    from pgd.accounts import tokens

    with app.test_request_context():
        user = accounts.register_patient(email, PASSWORD, "Jansje Pietersma", None)
        items = _readings(days, random.Random(days))
        for start in range(0, len(items), 20_000):
            measurements.add_many(user, user.id, items[start : start + 20_000], Source.WEB)
        _info, raw = tokens.create(user, "bench")
    return user, raw


def _clinician_token(app: Any, patient_id: uuid.UUID) -> str:
    from pgd.accounts import second_factor, tokens
    from pgd.accounts import services as accounts
    from pgd.accounts.models import Profession
    from pgd.crypto import totp
    from pgd.sharing.models import Grant

    with app.test_request_context():
        user = accounts.create_clinician(
            "poh@praktijk.nl", PASSWORD, "Anna de Vries", Profession.POH, "De Linde"
        )
        user = accounts.user_by_id(user.id)
        secret = totp.from_base32(second_factor.start_enrolment(user).secret_text)
        second_factor.confirm_enrolment(user, totp.code_at_step(secret, totp.step_at()))
        now = datetime.now(UTC)
        with db.transaction() as sess:
            sess.add(
                Grant(
                    patient_id=patient_id,
                    clinician_id=user.id,
                    categories="blood_pressure,weight,glucose,goals",
                    expires_at=now + timedelta(days=30),
                    created_at=now,
                )
            )
        _info, raw = tokens.create(user, "HIS")
    return raw


def _everything(client: Any, patient_id: uuid.UUID, token: str) -> tuple[float, int, int, float]:
    """(seconds to the last byte, bytes, entries, seconds the client then takes to parse).

    The response time is request to last byte; the body is then parsed (not timed with
    it: that is the client's work) to check that the Bundle is complete."""
    started = time.perf_counter()
    response = client.get(
        f"/fhir/Patient/{patient_id}/$everything",
        headers={"Authorization": f"Bearer {token}"},
        buffered=False,
    )
    body = b"".join(response.response)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, body[:300]
    parse_started = time.perf_counter()
    bundle = orjson.loads(body)
    parse = time.perf_counter() - parse_started
    assert bundle["total"] == len(bundle["entry"])
    return elapsed, len(body), len(bundle["entry"]), parse


def _streamed_peak(client: Any, patient_id: uuid.UUID, token: str) -> tuple[int, int]:
    """Peak Python allocations (bytes) while the response streams (chunks dropped as they
    come, as a socket would), and the body size."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    response = client.get(
        f"/fhir/Patient/{patient_id}/$everything",
        headers={"Authorization": f"Bearer {token}"},
        buffered=False,
    )
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size


def run(url: str, tmp: str) -> None:
    db.upgrade(url)
    app = create_app(
        {
            "INSTANCE_PATH": tmp,
            "DATABASE_URL": url,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
            "RATELIMIT_ENABLED": False,
        }
    )
    engine = url.split(":", 1)[0]
    t0 = time.perf_counter()
    five, five_token = _patient(app, "vijf@example.nl", 5 * 365)
    one, one_token = _patient(app, "een@example.nl", 365)
    clinician_token = _clinician_token(app, five.id)
    print(f"[{engine}] seeded in {time.perf_counter() - t0:.1f} s")
    client = app.test_client()
    _everything(client, five.id, five_token)  # warm-up
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = [_everything(client, five.id, five_token) for _ in range(RUNS)]
    times = sorted(r[0] for r in runs)
    _t, size, entries, _p = runs[0]
    parse = statistics.median(r[3] for r in runs)
    print(
        f"[{engine}] patient $everything, 5 years: {entries} entries "
        f"({entries - 1} Observations), {size / 1e6:.1f} MB; to the last byte "
        f"p50 {statistics.median(times) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
        f"over {RUNS} runs (goal <= {GOAL_S * 1000:.0f} ms); the client's orjson parse "
        f"afterwards p50 {parse * 1000:.0f} ms"
    )
    clin = sorted(_everything(client, five.id, clinician_token)[0] for _ in range(RUNS))
    print(
        f"[{engine}] clinician $everything (grant of all, 1 access-log event each): "
        f"p50 {statistics.median(clin) * 1000:.0f} ms"
    )
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _streamed_peak(client, one.id, one_token)  # once first: caches filled, not counted
    peak_one, size_one = _streamed_peak(client, one.id, one_token)
    peak_five, size_five = _streamed_peak(client, five.id, five_token)
    print(
        f"[{engine}] peak Python allocations while streaming: 1 year ({size_one / 1e6:.1f} MB "
        f"body) {peak_one / 1e6:.1f} MB; 5 years ({size_five / 1e6:.1f} MB body) "
        f"{peak_five / 1e6:.1f} MB; ratio {peak_five / peak_one:.2f}"
    )
    print(
        f"[{engine}] max RSS {rss_before / 1024:.0f} MB before the timed runs, "
        f"{rss_after / 1024:.0f} MB after (the timed runs hold each body to parse it)"
    )
    ok = statistics.median(times) <= GOAL_S
    print(f"[{engine}] {'OK' if ok else 'TOO SLOW'}")
    print("reproduce: .venv/bin/python " + " ".join(sys.argv))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="PostgreSQL URL of a maintenance database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.postgres, tmp) as url:
        run(url, tmp)


if __name__ == "__main__":
    main()
