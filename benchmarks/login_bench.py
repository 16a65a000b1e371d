"""Login cost: one argon2id verification (production parameters) and nothing else slow.

Runs a real login POST through the app (SQLite in a temporary instance folder), counts
the argon2 verifications per login, and compares the request time with one bare verify.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time

from argon2 import PasswordHasher

from pgd import create_app, db

N = 20
COMMAND = "make bench  (or: .venv/bin/python benchmarks/login_bench.py)"
PASSWORD = "mijn hond loopt graag mee"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db.upgrade(f"sqlite:///{tmp}/pgd.sqlite3")
        app = create_app(
            {
                "INSTANCE_PATH": tmp,
                "LOGIN_LIMIT_IP": "10000 per minute",
                "LOGIN_LIMIT_ACCOUNT": "10000 per minute",
            }
        )
        from pgd.accounts import services

        with app.test_request_context():
            services.register_patient("bench@example.nl", PASSWORD, "Bench Mark", None)
        counted = {"verify": 0}
        real_verify = PasswordHasher.verify

        def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:  # noqa: A002
            counted["verify"] += 1
            return real_verify(self, hash, password)

        PasswordHasher.verify = counting_verify  # type: ignore[method-assign]
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        login_times, verify_times = [], []
        hasher = app.extensions["pgd.hasher"]
        stored = hasher.hash(PASSWORD)
        for _ in range(N):
            start = time.perf_counter()
            response = client.post(
                "/login",
                data={"csrf_token": token, "email": "bench@example.nl", "password": PASSWORD},
            )
            login_times.append(time.perf_counter() - start)
            assert response.status_code == 302, response.status_code
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        verifies_per_login = counted["verify"] / N
        PasswordHasher.verify = real_verify  # type: ignore[method-assign]
        for _ in range(N):
            start = time.perf_counter()
            hasher.verify(stored, PASSWORD)
            verify_times.append(time.perf_counter() - start)
        login_p50 = statistics.median(login_times) * 1000
        verify_p50 = statistics.median(verify_times) * 1000
        print(
            f"argon2id time_cost={hasher.time_cost} memory={hasher.memory_cost} KiB "
            f"parallelism={hasher.parallelism}; {N} logins on SQLite"
        )
        print(f"argon2 verifications per login: {verifies_per_login:.1f}  (goal: 1)")
        print(f"one argon2 verify, p50:         {verify_p50:7.1f} ms")
        print(f"whole login request, p50:       {login_p50:7.1f} ms")
        print(f"everything else in the login:   {login_p50 - verify_p50:7.1f} ms")
        print(f"reproduce: {COMMAND}")


if __name__ == "__main__":
    main()
