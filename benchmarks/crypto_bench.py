"""Seal + open of a 100-byte record through pgd.crypto, against bare AES-GCM, on one core.

Goal (issue 2): at least 200,000 seal+open pairs per second, at most 3x bare AES-GCM.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: TID251 - the baseline

from pgd.crypto.core import RecordCipher, new_data_key

N = 200_000
REPEATS = 5
COMMAND = "make bench  (or: .venv/bin/python benchmarks/crypto_bench.py)"


def bare(n: int) -> float:
    aead = AESGCM(new_data_key())
    payload = os.urandom(100)
    ad = os.urandom(48)
    start = time.perf_counter()
    for _ in range(n):
        nonce = os.urandom(12)
        aead.decrypt(nonce, aead.encrypt(nonce, payload, ad), ad)
    return time.perf_counter() - start


def wrapped(n: int) -> float:
    cipher = RecordCipher(new_data_key(), uuid.uuid4(), "blood_pressure")
    payload = os.urandom(100)
    row_ids = [uuid.uuid4() for _ in range(1024)]
    start = time.perf_counter()
    for i in range(n):
        row = row_ids[i & 1023]
        cipher.open("measurements", row, cipher.seal("measurements", row, payload))
    return time.perf_counter() - start


def bulk_open(n: int) -> float:
    cipher = RecordCipher(new_data_key(), uuid.uuid4(), "glucose")
    rows = [(uuid.uuid4(), os.urandom(100)) for _ in range(n)]
    sealed = [(rid.bytes, cipher.seal("measurements", rid, p)) for rid, p in rows]
    start = time.perf_counter()
    cipher.open_many("measurements", sealed)
    return time.perf_counter() - start


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    bare_best = min(bare(N) for _ in range(REPEATS))
    ours_best = min(wrapped(N) for _ in range(REPEATS))
    bulk_best = min(bulk_open(15_000) for _ in range(REPEATS))
    bare_rate = N / bare_best
    ours_rate = N / ours_best
    print(f"python {sys.version.split()[0]}, one core, {N:,} x 100-byte records, best of {REPEATS}")
    print(f"bare AESGCM seal+open:         {bare_rate:>12,.0f} /s")
    print(f"pgd.crypto seal+open:          {ours_rate:>12,.0f} /s  (goal >= 200,000)")
    print(f"wrapper cost vs bare AES-GCM:  {bare_rate / ours_rate:>12.2f} x  (goal <= 3.0)")
    print(f"open_many, 15,000 records:     {bulk_best * 1000:>12.1f} ms")
    print(f"reproduce: {COMMAND}")


if __name__ == "__main__":
    main()
