"""Server time of the one-page consult report (PDF, issue 12). Goal: <= 1 s.

A patient with five years of home readings (demo data, about 15,000: blood pressure twice
a day, weight, blood sugar 5 times a week), 6 goals and 3 questions, shared in full with
a POH. Timed through the app (the whole request: policy, reads, access-log write, PDF):

1. the clinician's report of the last 3 months and of the last year (GET report.pdf);
2. the patient's own "My overview for the GP" over all five years (GET /my-overview.pdf).

p50 and max of RUNS runs each, after one warm-up request.

    .venv/bin/python benchmarks/report_bench.py                 # SQLite
    .venv/bin/python benchmarks/report_bench.py --postgres URL  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script
from goals_bench import seed_goals  # benchmarks/ is on sys.path when run as a script
from sharing_bench import PASSWORD, _clinician, _grant, _login
from sqlalchemy import insert

from pgd import create_app, db
from pgd.goals import questions
from pgd.measurements import demo
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.sharing.models import Grant

RUNS = 7
GOAL_MS = 1000.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="PostgreSQL URL of a maintenance database")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.postgres, tmp) as url:
        ok = run(url, tmp, max(args.runs, 5))
    command = "    .venv/bin/python benchmarks/report_bench.py" + (
        " --postgres URL" if args.postgres else ""
    )
    print("reproduce with:\n" + command)
    sys.exit(0 if ok else 1)


def _patient_login(app: Any, email: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token, "email": email, "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 302
    return client


def _time(client: Any, path: str, runs: int) -> tuple[float, float, int]:
    first = client.get(path)  # warm-up (fonts, templates, key caches)
    assert first.status_code == 200, first.status_code
    assert first.mimetype == "application/pdf", first.mimetype
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times), max(times), len(first.data)


def run(url: str, tmp: str, runs: int) -> bool:
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

    engine = url.split(":", 1)[0]
    poh, poh_codes = _clinician(app, "poh@praktijk.nl", "Anna de Vries")
    with app.test_request_context():
        user = accounts.register_patient(
            "bench@example.nl", PASSWORD, "Zoë Bench-Mark", date(1956, 5, 17)
        )
        settings.save(user, user.id, settings.Settings(height_cm=176))
        end = date.today()
        items = demo.generate(
            end - timedelta(days=5 * 365), end, random.Random(5), glucose_per_week=5.2
        )
        added = measurements.add_many(user, user.id, items, Source.DEMO).added
        seed_goals(user, 6, end, datetime.now(UTC), random.Random(6))
        for question in ("Mag ik later eten?", "Moet ik vaker meten?", "Welke schoenen?"):
            questions.add_question(user, user.id, question)
        with db.transaction() as sess:
            sess.execute(insert(Grant), [_grant(user.id, poh.id, datetime.now(UTC))])
    print(f"engine {engine}; patient with five years: {added:,} readings, 6 goals, 3 questions")
    ok = True
    clinician = _login(app, "poh@praktijk.nl", poh_codes)
    patient = _patient_login(app, "bench@example.nl")
    first = (end - timedelta(days=5 * 366 - 1)).strftime("%d-%m-%Y")
    cases = (
        (
            "clinician, last 3 months",
            clinician,
            f"/clinician/patients/{user.id}/report.pdf?period=3m",
        ),
        ("clinician, last year", clinician, f"/clinician/patients/{user.id}/report.pdf?period=1y"),
        (
            "patient, five years",
            patient,
            f"/my-overview.pdf?start={first}&end={end.strftime('%d-%m-%Y')}",
        ),
    )
    for label, client, path in cases:
        p50, worst, size = _time(client, path, runs)
        verdict = "ok" if p50 <= GOAL_MS else "TOO SLOW"
        ok = ok and p50 <= GOAL_MS
        print(
            f"PDF report, {label:26}: p50 {p50:7.1f} ms (max {worst:7.1f}, {runs} runs, "
            f"{size / 1024:.0f} KiB); goal <= {GOAL_MS:.0f} ms: {verdict}"
        )
    return ok


if __name__ == "__main__":
    main()
