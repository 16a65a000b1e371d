"""Server-side login sessions: idle timeout, maximum age, and logout that really ends it."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app, session

from pgd import db
from pgd.accounts.models import LoginSession

TOUCH_EVERY = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def start(user_id: uuid.UUID) -> None:
    """Record a new login and put its token in the (signed) session cookie."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as sess:
        sess.add(LoginSession(id=_digest(token), user_id=user_id))
    session["sid"] = token


def is_active(user_id: uuid.UUID) -> bool:
    """True while this cookie's login has not ended, idled out or grown too old."""
    token = session.get("sid")
    if not isinstance(token, str):
        return False
    row = db.session().get(LoginSession, _digest(token))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return False
    now = datetime.now(UTC)
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    longest = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    if now - _aware(row.last_seen_at) > idle or now - _aware(row.created_at) > longest:
        end()
        return False
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        with db.transaction():
            row.last_seen_at = now
    return True


def end() -> None:
    token = session.pop("sid", None)
    if not isinstance(token, str):
        return
    with db.transaction() as sess:
        row = sess.get(LoginSession, _digest(token))
        if row is not None and row.ended_at is None:
            row.ended_at = datetime.now(UTC)
