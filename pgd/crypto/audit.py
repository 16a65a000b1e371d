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

from sqlalchemy.orm import Session

from pgd import db

# Reserved: never a user (see above). Not a foreign key anywhere.
AUDIT_OWNER = uuid.UUID("00000000-0000-0000-0000-0000000a0d17")
AUDIT_CATEGORY = "audit"


def _key(sess: Session) -> bytes:
    """The unwrapped audit key, made on first use inside the caller's transaction, kept
    in the worker's key cache like any data key (a rotation empties it)."""
    from pgd.crypto import _data_key

    return _data_key(sess, AUDIT_OWNER, AUDIT_CATEGORY, create=True)


def log_macer(sess: Session | None = None) -> Callable[[bytes], str]:
    """HMAC-SHA256 (hex) of access events' canonical forms, the key read once for many
    events (sess: the session whose transaction reads, or makes, the key; default the
    request's)."""
    key = _key(sess or db.session())
    return lambda material: hmac.new(key, material, hashlib.sha256).hexdigest()


def log_key_exists(sess: Session | None = None) -> bool:
    from pgd.crypto import _stored_key

    return _stored_key(sess or db.session(), AUDIT_OWNER, AUDIT_CATEGORY) is not None
