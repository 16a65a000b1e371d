"""Master key rotation: re-wrap data keys under a new master key; records stay untouched.

Safe to interrupt and re-run: every data key row says which master key wraps it, the
new ring is on disk before any row changes, and each batch commits on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from pgd import db
from pgd.crypto import _ensure_check, forget_cached_keys, key_file, ring
from pgd.crypto.core import KeyRing, MasterKeyError
from pgd.crypto.models import DataKey, MasterKeyCheck


@dataclass
class RotationResult:
    new_key_id: str
    rewrapped: int


def rotate(app: Flask, *, add_key: bool = True, batch_size: int = 500) -> RotationResult:
    """Add a new current master key (unless add_key=False) and re-wrap every data key."""
    path: Path = key_file(app)
    keyring: KeyRing = ring()
    sess = db.session()
    if add_key:
        keyring = keyring.with_new_key()
        keyring.save(path)  # on disk first: a crash now leaves a ring that opens everything
        app.extensions["pgd.keyring"] = keyring
    forget_cached_keys()  # nothing unwrapped before a rotation outlives it
    _ensure_check(sess, keyring, keyring.current)
    sess.commit()
    done = 0
    while True:
        rows = sess.scalars(
            select(DataKey).where(DataKey.kek_id != keyring.current).limit(batch_size)
        ).all()
        if not rows:
            break
        for row in rows:
            dek = keyring.unwrap(row.kek_id, row.wrapped, row.owner_id, row.category)
            row.kek_id, row.wrapped = keyring.wrap(dek, row.owner_id, row.category)
            row.rewrapped_at = db.utcnow()
        sess.commit()
        done += len(rows)
    from pgd import security_log  # key ids and a count only, never key material

    security_log.event(
        security_log.Events.MASTER_KEY_ROTATED,
        outcome="success",
        key_id=keyring.current,
        new_key=add_key,
        rewrapped=done,
    )
    return RotationResult(keyring.current, done)


def retire(app: Flask, key_id: str) -> None:
    """Remove an old master key from the ring once no data key depends on it."""
    keyring: KeyRing = ring()
    if key_id not in keyring.keys:
        raise MasterKeyError(f"Master key {key_id!r} is not in the ring.")
    sess = db.session()
    still = sess.scalar(select(func.count()).select_from(DataKey).where(DataKey.kek_id == key_id))
    if still:
        raise MasterKeyError(
            f"{still} data key(s) are still wrapped by {key_id!r}; run rotate-master-key "
            "--resume first."
        )
    keyring = keyring.without(key_id)
    # Checked again inside the same transaction that removes the key's check row.
    if sess.scalar(select(func.count()).select_from(DataKey).where(DataKey.kek_id == key_id)):
        raise MasterKeyError(f"A data key was wrapped by {key_id!r} meanwhile; run again.")
    keyring.save(key_file(app))
    app.extensions["pgd.keyring"] = keyring
    forget_cached_keys()
    check = sess.get(MasterKeyCheck, key_id)
    if check is not None:
        sess.delete(check)
    sess.commit()
