"""The key of the access log's digests (pgd.sharing.access_log): HMAC-SHA256 under a data
key of its own, so whoever can write the database but cannot read the master key file
cannot recompute an event's digest.

The key is an ordinary DataKey (wrapped by the current master key, re-wrapped by
pgd.crypto.rotation like every other) under a reserved system owner id, category
"audit". No user ever has that id (user ids are random version-4 UUIDs; this one is
version 0), so deleting an account (destroy_patient_keys) never touches it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from pgd import db
from pgd.crypto.core import DecryptionError, new_data_key
from pgd.crypto.models import DataKey

# Reserved: never a user (see above). Not a foreign key anywhere.
AUDIT_OWNER = uuid.UUID("00000000-0000-0000-0000-0000000a0d17")
AUDIT_CATEGORY = "audit"


def _key(sess: Session) -> bytes:
    """The unwrapped audit key, made on first use (inside the caller's transaction; two
    first uses at once both succeed and the first stored key wins)."""
    from pgd.crypto import (
        _ensure_check,
        _insert_unless_present,
        _stored_key,
        _worker_keys,
        made_in_this_request,
        ring,
    )

    keyring = ring()
    worker = _worker_keys()  # the worker's cache of unwrapped keys (pgd.crypto)
    cached = worker.get(keyring, AUDIT_OWNER, AUDIT_CATEGORY)
    if cached is not None:
        return cached
    row = _stored_key(sess, AUDIT_OWNER, AUDIT_CATEGORY)
    stored = row is not None
    if row is None:
        kek_id, wrapped = keyring.wrap(new_data_key(), AUDIT_OWNER, AUDIT_CATEGORY)
        made_in_this_request(AUDIT_OWNER, AUDIT_CATEGORY)
        _ensure_check(sess, keyring, kek_id)
        _insert_unless_present(
            sess,
            DataKey.__table__,
            {
                "id": db.new_id(),
                "owner_id": AUDIT_OWNER,
                "category": AUDIT_CATEGORY,
                "kek_id": kek_id,
                "wrapped": wrapped,
                "created_at": db.utcnow(),
            },
        )
        row = _stored_key(sess, AUDIT_OWNER, AUDIT_CATEGORY)
        if row is None:  # cannot happen: the insert above or another one put it there
            raise DecryptionError("The audit key could not be stored.")
    # Cached by its wrapped form: a key made in a transaction that rolled back is never
    # read again, and a re-wrapped one is unwrapped once more (same key inside).
    cache: dict[tuple[str, bytes], bytes] = current_app.extensions.setdefault("pgd.audit_key", {})
    found = cache.get((row.kek_id, bytes(row.wrapped)))
    if found is None:
        found = keyring.unwrap(row.kek_id, bytes(row.wrapped), AUDIT_OWNER, AUDIT_CATEGORY)
        cache.clear()
        cache[(row.kek_id, bytes(row.wrapped))] = found
    if stored:  # not one made in this transaction: it could still roll back
        worker.put(keyring, AUDIT_OWNER, AUDIT_CATEGORY, found)
    return found


def log_macer(sess: Session | None = None) -> Callable[[bytes], str]:
    """HMAC-SHA256 (hex) of access events' canonical forms, the key read once for many
    events (sess: the session whose transaction reads, or makes, the key; default the
    request's)."""
    key = _key(sess or db.session())
    return lambda material: hmac.new(key, material, hashlib.sha256).hexdigest()


def log_key_exists(sess: Session | None = None) -> bool:
    from pgd.crypto import _stored_key

    return _stored_key(sess or db.session(), AUDIT_OWNER, AUDIT_CATEGORY) is not None
