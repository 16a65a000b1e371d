"""The only package that touches keys or ciphertext (DESIGN.md: encryption at rest).

Services ask for a `RecordCipher` for (owner, category) and seal/open their columns
with it; they never see a key.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import bindparam, delete, func, inspect, select
from sqlalchemy.orm import Session

from pgd import db
from pgd.crypto.core import (
    CryptoError,
    DecryptionError,
    KeyRing,
    MasterKeyError,
    RecordCipher,
    new_data_key,
)
from pgd.crypto.core import token_digest as _token_digest
from pgd.crypto.models import DataKey, MasterKeyCheck

_log = logging.getLogger("pgd.crypto")

__all__ = [
    "Category",
    "CryptoError",
    "DecryptionError",
    "MasterKeyError",
    "KeyNotPermitted",
    "RecordCipher",
    "cipher_for",
    "destroy_patient_keys",
    "forget_cached_keys",
    "init_app",
    "limit_keys_to",
    "permit",
    "permit_many",
    "permit_seal",
    "preload",
    "token_digest",
]


class KeyNotPermitted(DecryptionError):
    """This request's principal may not open that data key (pgd.sharing.policy decides)."""


class Category(StrEnum):
    """Data categories; each has its own data key per patient."""

    PROFILE = "profile"
    BLOOD_PRESSURE = "blood_pressure"
    WEIGHT = "weight"
    GLUCOSE = "glucose"
    GOALS = "goals"
    IMPORTS = "imports"  # CSV rows waiting for the patient to confirm; never shared
    ACCOUNT = "account"  # the user's own login secrets (second factor); never shared


def key_file(app: Flask) -> Path:
    configured = app.config.get("MASTER_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "master_keys.json"


# A refused key file is tried again after this many seconds, not on every request: a
# rotation or retirement in another process saves the file a moment before it commits
# the matching check row, so a refusal can be momentary.
REFUSED_RETRY_SECONDS = 5.0


def ring() -> KeyRing:
    """The key ring, re-read when the key file changed (a rotation by the administrator
    must reach running workers: they would otherwise wrap under a retired key).

    A changed file passes the start-up check (check_ring) before it is used. One that
    fails it (swapped for another installation's ring, edited, truncated) is refused:
    the previous ring stays in use, an error is logged once per change of the file and
    a security event written, so no data is sealed under a key the data does not know."""
    app = current_app
    path = key_file(app)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise MasterKeyError(f"The master key file {path} has disappeared.") from None
    if mtime != app.extensions.get("pgd.keyring_mtime"):
        refused = app.extensions.get("pgd.keyring_refused")  # (mtime, monotonic time)
        if (
            refused is None
            or refused[0] != mtime
            or (time.monotonic() - refused[1] >= REFUSED_RETRY_SECONDS)
        ):
            _reload(app, path, mtime, first_refusal=refused is None or refused[0] != mtime)
    return app.extensions["pgd.keyring"]  # type: ignore[no-any-return]


def _reload(app: Flask, path: Path, mtime: int, *, first_refusal: bool) -> None:
    try:
        candidate = KeyRing.load(path)
        check_ring(db.session(), candidate)
    except MasterKeyError as exc:
        app.extensions["pgd.keyring_refused"] = (mtime, time.monotonic())
        if first_refusal:
            _log.error(
                "The changed master key file %s was refused and the previous key ring stays "
                "in use: %s Restore the right key file (nothing was sealed under the new "
                "one).",
                path,
                exc,
            )
            from pgd import security_log  # key ids only, never key material

            security_log.event(
                security_log.Events.KEY_FILE_REFUSED,
                outcome="refused",
                key_id=app.extensions["pgd.keyring"].current,
            )
        return
    app.extensions["pgd.keyring"] = candidate
    app.extensions["pgd.keyring_mtime"] = mtime
    app.extensions.pop("pgd.keyring_refused", None)


def _tables_exist(sess: Session) -> bool:
    names = set(inspect(sess.connection()).get_table_names())
    return {"data_keys", "master_key_checks"} <= names


def _encrypted_data_exists(sess: Session) -> bool:
    if not _tables_exist(sess):
        return False
    keys = sess.scalar(select(func.count()).select_from(DataKey))
    checks = sess.scalar(select(func.count()).select_from(MasterKeyCheck))
    return bool(keys or checks)


def init_app(app: Flask) -> None:
    """Load the master key ring; create one only when no encrypted data exists yet."""
    path = key_file(app)
    with app.app_context():
        sess = db.session()
        if path.exists():
            keyring = KeyRing.load(path)
        elif _encrypted_data_exists(sess):
            raise MasterKeyError(
                f"The master key file {path} is missing, but the database holds encrypted "
                "data. Restore the key file from your backup; PGD will not create a new key "
                "because the existing data could never be read with it."
            )
        else:
            keyring = KeyRing.create_file(path)
        app.extensions["pgd.keyring"] = keyring
        app.extensions["pgd.keyring_mtime"] = path.stat().st_mtime_ns
        verify_ring(sess, keyring)


def verify_ring(sess: Session, keyring: KeyRing) -> None:
    """Refuse to run with a key ring that does not match the database."""
    if not _tables_exist(sess):
        return  # not migrated yet; `flask db-upgrade` calls this again afterwards
    check_ring(sess, keyring)
    _ensure_check(sess, keyring, keyring.current)
    sess.commit()


def check_ring(sess: Session, keyring: KeyRing) -> None:
    """The start-up check, read-only (it runs inside a request's transaction when the key
    file changed): every master key check the ring holds a key for must verify, and every
    master key that wraps a data key must be in the ring. Raises MasterKeyError."""
    if not _tables_exist(sess):
        return
    for check in sess.scalars(select(MasterKeyCheck)):
        if check.kek_id in keyring.keys and not keyring.verify_check(check.kek_id, check.token):
            raise MasterKeyError(
                f"Master key {check.kek_id!r} in the key file is not the key this database "
                "was encrypted with (the file was changed or belongs to another installation)."
            )
    used = set(sess.scalars(select(DataKey.kek_id).distinct()))
    missing = used - set(keyring.keys)
    if missing:
        raise MasterKeyError(
            "Data keys in the database are wrapped by master key(s) "
            f"{', '.join(sorted(missing))}, which the key file does not hold."
        )


def _insert_unless_present(sess: Session, table: Any, values: dict[str, object]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: two requests creating the same row at once (two
    workers saving a patient's first glucose reading) both succeed, and the first wins.
    PostgreSQL waits for the other transaction, then skips; SQLite serialises writers."""
    from sqlalchemy.dialects import postgresql, sqlite

    conn = sess.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


def _ensure_check(sess: Session, keyring: KeyRing, kek_id: str) -> None:
    if sess.get(MasterKeyCheck, kek_id) is None:
        _insert_unless_present(
            sess,
            MasterKeyCheck.__table__,
            {"kek_id": kek_id, "token": keyring.make_check(kek_id), "created_at": db.utcnow()},
        )


# -- which keys this request may open ------------------------------------------------
# Once a request knows its principal, only that principal's own keys and the
# (owner, category) pairs the sharing policy permitted unwrap. A query that forgot a
# filter therefore meets KeyNotPermitted, never another patient's or category's values.
# pgd.crypto does not import pgd.sharing: the policy calls permit(), crypto only checks.


def limit_keys_to(principal_id: uuid.UUID) -> None:
    """From now on in this request: own keys, plus what permit() adds, and nothing else."""
    g.pgd_key_scope = (principal_id, set())
    db.forget_reads()  # nothing read before the scope was set is handed out after it


def permit(owner_id: uuid.UUID, category: Category | str) -> None:
    """Called by pgd.sharing.policy only, after it allowed this (owner, category)."""
    scope = g.get("pgd_key_scope")
    if scope is not None:
        scope[1].add((owner_id, str(category)))


def permit_many(pairs: list[tuple[uuid.UUID, str]]) -> None:
    """permit() for many (owner, category) pairs at once (pgd.sharing.policy only)."""
    scope = g.get("pgd_key_scope")
    if scope is not None:
        scope[1].update(pairs)


def permit_seal(owner_id: uuid.UUID, category: Category | str, table: str) -> None:
    """Called by pgd.sharing.policy only, after it allowed one clinician write: this
    request may seal records of that table (and no other) with that key."""
    scope = g.get("pgd_key_scope")
    if scope is not None:
        scope[1].add((owner_id, str(category)))
        g.setdefault("pgd_seal_scope", set()).add((owner_id, str(category), table))


def _seal_guard(owner_id: uuid.UUID, category: str) -> Callable[[str], None] | None:
    """None for the principal's own keys (and outside a request); otherwise a check that
    the policy released this key for a write into that table in this request."""
    return _guard(g.get("pgd_key_scope"), owner_id, category)


def _guard(scope: Any, owner_id: uuid.UUID, category: str) -> Callable[[str], None] | None:
    if scope is None or scope[0] == owner_id:
        return None

    def may_seal(table: str) -> None:
        if (owner_id, category, table) not in g.get("pgd_seal_scope", set()):
            raise KeyNotPermitted(f"This request may not write {table} with that {category} key.")

    return may_seal


def _check_permitted(owner_id: uuid.UUID, category: str) -> None:
    scope = g.get("pgd_key_scope")
    if scope is None:
        return  # command line, registration, login: no principal to limit to
    own, pairs = scope
    if owner_id != own and (owner_id, category) not in pairs:
        raise KeyNotPermitted(f"This request may not open the {category} key of that owner.")


# -- the worker's cache of unwrapped data keys ----------------------------------------
# A key opened by one request is kept in this worker's memory for DATA_KEY_CACHE_SECONDS,
# so the next request skips the lookup and the unwrap. It sits BEHIND the consent door:
# cipher_for() and preload() check the request's permitted pairs (policy) before they
# look here, exactly as before they looked in the database. An entry belongs to the key
# ring it was unwrapped with: a rotation, a retirement or any change of the key file
# gives a new ring and empties the cache. Crypto-shredding removes the owner's entries.
# Only keys read from the database are kept; a key made in this transaction is not
# (its transaction could still roll back).


class _WorkerKeys:
    """One per app and process; a worker's threads share it (hence the lock)."""

    SWEEP_EVERY = 256  # puts between sweeps of expired entries

    def __init__(self) -> None:
        self.ring: KeyRing | None = None
        self.entries: dict[tuple[uuid.UUID, str], tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._puts = 0

    def get(self, keyring: KeyRing, owner_id: uuid.UUID, category: str) -> bytes | None:
        with self._lock:
            if keyring is not self.ring:
                return None
            found = self.entries.get((owner_id, category))
            if found is None:
                return None
            if found[1] <= time.monotonic():
                del self.entries[(owner_id, category)]
                return None
            return found[0]

    def put(self, keyring: KeyRing, owner_id: uuid.UUID, category: str, dek: bytes) -> None:
        if (owner_id, category) in g.get("pgd_keys_made", ()):
            return  # made in this request's transaction: it could still roll back
        seconds = float(current_app.config.get("DATA_KEY_CACHE_SECONDS", 0) or 0)
        if seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if keyring is not self.ring:  # another ring: nothing unwrapped before may stay
                self.entries = {}
                self.ring = keyring
            self.entries[(owner_id, category)] = (dek, now + seconds)
            self._puts += 1
            if self._puts % self.SWEEP_EVERY == 0:  # no unwrapped key outlives its time
                for key in [k for k, e in self.entries.items() if e[1] <= now]:
                    del self.entries[key]

    def forget_owner(self, owner_id: uuid.UUID) -> None:
        with self._lock:
            for key in [k for k in self.entries if k[0] == owner_id]:
                del self.entries[key]

    def clear(self) -> None:
        with self._lock:
            self.entries = {}
            self.ring = None


def made_in_this_request(owner_id: uuid.UUID, category: str) -> None:
    """A data key was created in this request's transaction: never kept in the worker's
    cache from this request (pgd.crypto only)."""
    g.setdefault("pgd_keys_made", set()).add((owner_id, category))


def _worker_keys() -> _WorkerKeys:
    found = current_app.extensions.get("pgd.worker_keys")
    if found is None:
        found = current_app.extensions["pgd.worker_keys"] = _WorkerKeys()
    return found  # type: ignore[no-any-return]


def forget_cached_keys() -> None:
    """Empty this worker's cache of unwrapped data keys (rotation, retirement)."""
    _worker_keys().clear()


def preload(owner_ids: list[uuid.UUID], category: Category) -> dict[uuid.UUID, RecordCipher]:
    """Open many owners' keys of one category with one query per 900 (a list of 2,000
    names, or the triage of 2,000 patients): the same checks as cipher_for, made once.
    Returns the ciphers of those owners, by owner."""
    name = str(category)
    cache: dict[tuple[uuid.UUID, str], RecordCipher] = g.setdefault("pgd_ciphers", {})
    wanted = [o for o in owner_ids if (o, name) not in cache]
    scope = g.get("pgd_key_scope")
    if scope is not None:
        own, pairs = scope
        for owner_id in wanted:
            if owner_id != own and (owner_id, name) not in pairs:
                raise KeyNotPermitted(f"This request may not open the {name} key of that owner.")
    keyring = ring()
    worker = _worker_keys()
    missing = []
    for owner_id in wanted:
        dek = worker.get(keyring, owner_id, name)
        if dek is None:
            missing.append(owner_id)
        else:
            cache[(owner_id, name)] = RecordCipher(
                dek, owner_id, name, _guard(scope, owner_id, name)
            )
    wanted = missing
    conn = db.session().connection()  # Core rows, no ORM: 6,000 keys for one list
    for start in range(0, len(wanted), 900):
        rows = conn.execute(
            select(DataKey.owner_id, DataKey.kek_id, DataKey.wrapped).where(
                DataKey.owner_id.in_(wanted[start : start + 900]),
                DataKey.category == name,
            )
        )
        for owner_id, kek_id, wrapped in rows:
            dek = keyring.unwrap(kek_id, wrapped, owner_id, name)
            worker.put(keyring, owner_id, name, dek)
            cache[(owner_id, name)] = RecordCipher(
                dek, owner_id, name, _guard(scope, owner_id, name)
            )
    # The ciphers of the owners asked for (an owner without this key is left out).
    return {o: cache[(o, name)] for o in owner_ids if (o, name) in cache}


# Built once: every request that opens a record runs it (an API create is ~1 ms in all).
_WRAPPED_KEY = select(DataKey.kek_id, DataKey.wrapped).where(
    DataKey.owner_id == bindparam("owner"), DataKey.category == bindparam("category")
)


def _stored_key(sess: Session, owner_id: uuid.UUID, category: str) -> Any:
    """The (kek_id, wrapped) row of one data key, or None; on the session's connection
    (same transaction), without the ORM's execute layer."""
    params = {"owner": owner_id, "category": category}
    return sess.connection().execute(_WRAPPED_KEY, params).first()


def cipher_for(owner_id: uuid.UUID, category: Category, *, create: bool = False) -> RecordCipher:
    """The cipher for one (owner, category) data key, cached for this request.

    With create=True a missing data key is made (inside the caller's transaction);
    without it a missing key raises DecryptionError, since nothing was sealed with it.
    Raises KeyNotPermitted when the sharing policy did not allow this pair.
    """
    _check_permitted(owner_id, str(category))
    cache: dict[tuple[uuid.UUID, str], RecordCipher] = g.setdefault("pgd_ciphers", {})
    hit = cache.get((owner_id, category))
    if hit is not None:
        return hit
    dek = _data_key(db.session(), owner_id, str(category), create=create)
    cipher = RecordCipher(dek, owner_id, str(category), _seal_guard(owner_id, str(category)))
    cache[(owner_id, category)] = cipher
    return cipher


def _data_key(sess: Session, owner_id: uuid.UUID, category: str, *, create: bool) -> bytes:
    """The unwrapped data key of (owner, category): from the worker's cache, else read
    (and, with create=True, made inside the caller's transaction; two first uses at once
    both succeed and the first stored key wins) and unwrapped. A key made in this
    transaction is not cached: the transaction could still roll back. Raises
    DecryptionError for a missing key without create. The caller checks the policy."""
    keyring = ring()
    worker = _worker_keys()
    dek = worker.get(keyring, owner_id, category)
    if dek is not None:
        return dek
    row = _stored_key(sess, owner_id, category)
    stored = row is not None
    if row is None:
        if not create:
            raise DecryptionError(f"No {category} data key exists for this owner.")
        kek_id, wrapped = keyring.wrap(new_data_key(), owner_id, category)
        made_in_this_request(owner_id, category)
        _ensure_check(sess, keyring, kek_id)
        _insert_unless_present(
            sess,
            DataKey.__table__,
            {
                "id": db.new_id(),
                "owner_id": owner_id,
                "category": category,
                "kek_id": kek_id,
                "wrapped": wrapped,
                "created_at": db.utcnow(),
            },
        )
        # Read back whichever key won (ours, or one another request made a moment ago).
        row = _stored_key(sess, owner_id, category)
        if row is None:  # cannot happen: the insert above or another one put it there
            raise DecryptionError(f"The {category} data key could not be stored.")
    dek = keyring.unwrap(row.kek_id, bytes(row.wrapped), owner_id, category)
    if stored:
        worker.put(keyring, owner_id, category, dek)
    return dek


def destroy_patient_keys(owner_id: uuid.UUID) -> int:
    """Crypto-shredding, inside the caller's transaction: delete every wrapped data key of
    an owner and forget the unwrapped ones this request holds. Their sealed records, also
    in a backup, become unreadable noise once no master key that wrapped them remains
    (rotate, then retire the old key). Returns how many data keys were destroyed."""
    sess = db.session()
    result = sess.execute(
        delete(DataKey)
        .where(DataKey.owner_id == owner_id)
        .execution_options(synchronize_session=False)
    )
    # The unwrapped keys: this worker's cache and this request's (g). Another worker may
    # keep one for at most DATA_KEY_CACHE_SECONDS, with nothing left to open: the rows
    # go in the same transaction, and the owner can no longer log in or use a key.
    _worker_keys().forget_owner(owner_id)
    cache: dict[tuple[uuid.UUID, str], RecordCipher] | None = g.get("pgd_ciphers")
    if cache is not None:
        for key in [k for k in cache if k[0] == owner_id]:
            del cache[key]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def token_digest(token: str) -> str:
    """Digest under a key derived from the app secret (rotating SECRET_KEY revokes tokens)."""
    secret = current_app.extensions.get("pgd.token_key")
    if secret is None:
        import hashlib
        import hmac

        secret = hmac.new(
            current_app.config["SECRET_KEY"].encode(), b"pgd.api-token.v1", hashlib.sha256
        ).digest()
        current_app.extensions["pgd.token_key"] = secret
    return _token_digest(secret, token)
