"""Server time of the clinician's two busiest pages (issue 5).

1. The pre-consult summary of a patient with five years of data, 3-month window.
   Goal: p50 <= 80 ms on SQLite, <= 100 ms on PostgreSQL. (Each request also appends
   its access-log event: the number includes that write.)
2. "My patients" as a worklist (issue 11) for a clinician with 2,000 sharing patients:
   p50 <= 150 ms, and the cost must not grow with the patients in the database: 2,000
   of 20,000 (the other 18,000 share with other clinicians) vs 2,000 of 2,000, ratio
   <= 1.3. Every patient has a few weeks of readings of each category, saved through
   the real write path (measurements.add_many, which keeps the triage rows), some with
   alarms. The default page sorts all 2,000 by flag, so it opens every patient's flags;
   also timed: page 30 of 40 by flag, the orders by last reading and by share date,
   and the whole list of 2,000 through the service (what GET /api/v1/patients does).

    .venv/bin/python benchmarks/sharing_bench.py                 # SQLite
    .venv/bin/python benchmarks/sharing_bench.py --postgres URL  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
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
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from benchdb import scratch_database  # benchmarks/ is on sys.path when run as a script
from goals_bench import seed_goals  # benchmarks/ is on sys.path when run as a script
from sqlalchemy import insert

from pgd import create_app, crypto, db
from pgd.accounts.models import Profile, User
from pgd.goals import questions
from pgd.measurements import demo
from pgd.measurements import services as measurements
from pgd.measurements.models import Source
from pgd.measurements.values import BloodPressure, Glucose, Weight
from pgd.sharing.models import Grant

PASSWORD = "mijn hond loopt graag mee"
RUNS = 30
SHARING = 2_000
TOTAL = 20_000
# Readings for all 18,000 patients of the other clinician through the real write path
# take minutes; their rows make the tables 10x larger, which is what the ratio tests.
OTHERS_WITH_READINGS = TOTAL - SHARING


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="PostgreSQL URL of a maintenance database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.postgres, tmp) as url:
        run(url, tmp)


def _clinician(app: Any, email: str, name: str) -> tuple[Any, list[str]]:
    """A POH with a second factor; returns the user and recovery codes to log in with."""
    from pgd.accounts import second_factor, services
    from pgd.accounts.models import Profession
    from pgd.crypto import totp

    with app.test_request_context():
        user = services.create_clinician(email, PASSWORD, name, Profession.POH, "De Linde")
        user = services.user_by_id(user.id)
        secret = totp.from_base32(second_factor.start_enrolment(user).secret_text)
        codes = second_factor.confirm_enrolment(user, totp.code_at_step(secret, totp.step_at()))
    return user, codes


def _login(app: Any, email: str, codes: list[str]) -> Any:
    client = app.test_client()
    for path, data in (
        ("/login", {"email": email, "password": PASSWORD}),
        ("/login/code?recovery=1", {"recovery_code": codes.pop()}),
    ):
        page = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 302
    return client


def _grant(patient_id: uuid.UUID, clinician_id: uuid.UUID, when: datetime) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "patient_id": patient_id,
        "clinician_id": clinician_id,
        "categories": "blood_pressure,weight,glucose,goals",
        "data_from": None,
        "expires_at": when + timedelta(days=365),
        "created_at": when,
    }


def _patient_readings(rng: random.Random, now: datetime) -> list[tuple[Any, datetime, str]]:
    """A few weeks of home readings: about 1 in 10 has an alarming blood pressure, 1 in 4
    a high mean, 1 in 20 a hypo or a very high sugar, 1 in 20 a weight loss to talk about."""
    last = now - timedelta(days=rng.choice((0, 1, 2, 3, 7, 14, 30, 60)), hours=rng.random() * 12)
    base_s = rng.choice((118, 126, 131, 138, 146, 152)) if rng.random() < 0.9 else 176
    base_kg = rng.uniform(62, 110)
    loses = rng.random() < 0.05
    items: list[tuple[Any, datetime, str]] = []
    for day in range(0, 21, 3):  # a reading day every third day, three weeks back
        when = last - timedelta(days=day)
        for hour in (0, 12):
            s = base_s + rng.randint(-6, 6) + (12 if base_s > 170 and day == 0 else 0)
            items.append(
                (
                    BloodPressure(s, s * 0.6 + rng.randint(-4, 4), 70, None),
                    when - timedelta(hours=hour),
                    "",
                )
            )
        kg = base_kg * (1 - (0.07 * (21 - day) / 21 if loses else 0)) + rng.uniform(-0.3, 0.3)
        items.append((Weight(round(kg, 1)), when - timedelta(hours=1), ""))
        sugar = rng.uniform(5.0, 8.5)
        if day == 3 and rng.random() < 0.05:
            sugar = 3.4
        elif day == 6 and rng.random() < 0.05:
            sugar = 16.2
        items.append((Glucose(round(sugar, 1), "before_breakfast"), when - timedelta(hours=2), ""))
    return items


def _readings(app: Any, patient_ids: list[uuid.UUID], seed: int) -> int:
    """Readings for each patient through the real write path (triage rows included)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    added = 0
    for start in range(0, len(patient_ids), 200):
        with app.test_request_context():
            for pid in patient_ids[start : start + 200]:
                patient = SimpleNamespace(id=pid, role="patient")
                items = _patient_readings(rng, now)
                added += measurements.add_many(patient, pid, items, Source.WEB).added
    return added


def _patients(app: Any, count: int, share_with: uuid.UUID, start: int) -> list[uuid.UUID]:
    """Many patients at once (users, sealed names, profile keys, grants), bulk inserted."""
    now = datetime.now(UTC)
    with app.test_request_context(), db.transaction() as sess:
        users, profiles, grants = [], [], []
        for i in range(start, start + count):
            uid = uuid.uuid4()
            users.append(
                {
                    "id": uid,
                    "email": f"p{i}@example.nl",
                    "role": "patient",
                    "password_hash": "x",
                    "session_version": 1,
                    "created_at": now,
                }
            )
            profiles.append({"user_id": uid, "name_sealed": b"", "birth_date_sealed": None})
            grants.append(_grant(uid, share_with, now - timedelta(minutes=i)))
        sess.execute(insert(User), users)
        for profile in profiles:
            cipher = crypto.cipher_for(profile["user_id"], crypto.Category.PROFILE, create=True)  # type: ignore[arg-type]
            profile["name_sealed"] = cipher.seal_text(
                "profiles",
                profile["user_id"],
                f"Patiënt {profile['user_id'].hex[:6]}",  # type: ignore[union-attr]
            )
            profile["birth_date_sealed"] = cipher.seal_text(
                "profiles.birth_date",
                profile["user_id"],
                "1956-05-17",  # type: ignore[arg-type]
            )
        sess.execute(insert(Profile), profiles)
        sess.execute(insert(Grant), grants)
    return [u["id"] for u in users]  # type: ignore[misc]


def _time(client: Any, path: str) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), sorted(times)[int(RUNS * 0.9) - 1]


def _cold(client: Any) -> float:
    """The worklist by flag as a freshly started worker serves it: no opened triage yet,
    so every patient's keys are unwrapped and every row opened (pgd.sharing.triage)."""
    from pgd.sharing import triage

    triage._opened.clear()  # noqa: SLF001  (the worker's cache, emptied as by a restart)
    start = time.perf_counter()
    assert client.get("/clinician").status_code == 200
    return (time.perf_counter() - start) * 1000


def _time_service(app: Any, clinician: Any) -> tuple[float, float]:
    """The whole list (names decrypted) as the API builds it, inside a verified request."""
    from flask_login import login_user

    from pgd.accounts import second_factor, services
    from pgd.sharing import dossier

    times = []
    for _ in range(RUNS):
        with app.test_request_context():
            user = services.user_by_id(clinician.id)
            login_user(user)
            second_factor.mark_verified(user.id)
            crypto.limit_keys_to(user.id)
            start = time.perf_counter()
            rows = dossier.my_patients(user, page_size=SHARING).rows
            times.append((time.perf_counter() - start) * 1000)
            assert len(rows) == SHARING
    return statistics.median(times), sorted(times)[int(RUNS * 0.9) - 1]


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

    engine = url.split(":", 1)[0]
    poh, poh_codes = _clinician(app, "poh@praktijk.nl", "Anna de Vries")
    other, _ = _clinician(app, "arts@praktijk.nl", "Bert Kok")

    # 1. The pre-consult summary: five years of data.
    with app.test_request_context():
        user = accounts.register_patient("bench@example.nl", PASSWORD, "Bench Mark", None)
        settings.save(user, user.id, settings.Settings(height_cm=176))
        end = date.today()
        items = demo.generate(
            end - timedelta(days=5 * 365), end, random.Random(5), glucose_per_week=5.2
        )
        added = measurements.add_many(user, user.id, items, Source.DEMO).added
        # Six goals (measurement and activity, a year of check-ins) and three questions:
        # the goals part of the summary computes progress from all of it.
        seed_goals(user, 6, end, datetime.now(UTC), random.Random(6))
        for question in ("Mag ik later eten?", "Moet ik vaker meten?", "Welke schoenen?"):
            questions.add_question(user, user.id, question)
        with db.transaction() as sess:
            sess.execute(insert(Grant), [_grant(user.id, poh.id, datetime.now(UTC))])
    client = _login(app, "poh@praktijk.nl", poh_codes)
    summary_path = f"/clinician/patients/{user.id}?period=3m"
    p50, p90 = _time(client, summary_path)
    goal = 80 if engine == "sqlite" else 100
    print(f"engine {engine}; patient with five years: {added:,} readings, 6 goals, 3 questions")
    print(f"pre-consult summary, 3 months: p50 {p50:6.1f} ms (p90 {p90:6.1f}); goal <= {goal}")

    # 2. "My patients": 2,000 of 2,000, then 2,000 of 20,000.
    pages = {
        "by flag (default), page 1": "/clinician",
        "by flag, page 30 of 40": "/clinician?page=30",
        "by last reading, page 1": "/clinician?sort=last",
        "by share date, page 1": "/clinician?sort=shared",
    }
    started = time.perf_counter()
    readings = _readings(app, _patients(app, SHARING - 1, poh.id, 0), 7)
    print(
        f"seeded {readings:,} readings of {SHARING - 1:,} more sharing patients "
        f"in {time.perf_counter() - started:.0f} s"
    )
    small_cold = _cold(client)
    small = {label: _time(client, path) for label, path in pages.items()}
    small_all = _time_service(app, poh)
    started = time.perf_counter()
    others = _patients(app, TOTAL - SHARING, other.id, SHARING)
    readings = _readings(app, others[:OTHERS_WITH_READINGS], 8)
    print(
        f"seeded {readings:,} readings of {OTHERS_WITH_READINGS:,} patients of another "
        f"clinician in {time.perf_counter() - started:.0f} s"
    )
    large_cold = _cold(client)
    large = {label: _time(client, path) for label, path in pages.items()}
    large_all = _time_service(app, poh)
    rows = [(f"my patients {label}", small[label], large[label]) for label in pages]
    rows.append(("all 2,000 via the service (API)", small_all, large_all))
    for label, a, b in rows:
        print(
            f"{label:42} {SHARING:,} of {SHARING:,}: p50 {a[0]:6.1f} ms (p90 {a[1]:6.1f});  "
            f"{SHARING:,} of {TOTAL:,}: p50 {b[0]:6.1f} ms (p90 {b[1]:6.1f});  "
            f"ratio {b[0] / a[0]:.2f}"
        )
    print(
        f"my patients by flag, first view in a fresh worker (every key opened): "
        f"{small_cold:6.1f} ms of {SHARING:,}; {large_cold:6.1f} ms of {TOTAL:,}"
    )
    print("goals: my patients page (by flag, page 1) p50 <= 150 ms; ratio <= 1.3")
    print(
        "reproduce: .venv/bin/python benchmarks/sharing_bench.py"
        + (" --postgres URL" if engine != "sqlite" else "")
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
