"""Server-side login sessions: idle timeout, maximum age, and logout that really ends it.

"My sessions" (issue 13): a user sees their logins that still work (device, last
activity) and ends the others. A session is named on that page by a handle derived from
its row id (itself a hash of the cookie's token), so the page shows nothing that opens
a session, and ending one looks it up among the user's own sessions only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, request, session
from sqlalchemy import select, update

from pgd import db
from pgd.accounts.models import LoginSession, User

TOUCH_EVERY = timedelta(seconds=60)
HANDLE_LENGTH = 20


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- the device, from the User-Agent header: a browser and a system name, nothing more ----
# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari", and
# Android also says "Linux".
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"Android", "Android"),
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Macintosh|Mac OS X", "macOS"),
    (r"Linux", "Linux"),
)


def describe_agent(agent: str | None) -> str | None:
    """ "Chrome;Android" from a User-Agent header; None when neither part is known."""
    text = agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, text)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, text)), "")
    return f"{browser};{system}" if browser or system else None


def _this_agent() -> str | None:
    return describe_agent(request.headers.get("User-Agent")) if has_request_context() else None


def start(user_id: uuid.UUID) -> None:
    """Record a new login and put its token in the (signed) session cookie."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as sess:
        sess.add(LoginSession(id=_digest(token), user_id=user_id, user_agent=_this_agent()))
    session["sid"] = token


def _expired(row: LoginSession, now: datetime) -> bool:
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    longest = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    return now - _aware(row.last_seen_at) > idle or now - _aware(row.created_at) > longest


def load_user(user_id: uuid.UUID, version: int) -> User | None:
    """The user of this request's cookie, if its login is still running: the user, the
    cookie's login session and whether a second factor is set up come in one statement
    (three before: every logged-in page paid for them, issue 14), then is_active decides
    as before from the rows now at hand."""
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    from pgd.accounts.models import SecondFactor

    found = (
        db.session()
        .execute(
            select(User, LoginSession, SecondFactor.confirmed_at)
            .outerjoin(
                LoginSession,
                (LoginSession.id == _digest(token)) & (LoginSession.user_id == User.id),
            )
            .outerjoin(SecondFactor, SecondFactor.user_id == User.id)
            .where(User.id == user_id)
        )
        .first()
    )
    if found is None:
        return None
    user, login, confirmed = found
    from pgd.accounts import second_factor  # late: it imports this module's importers

    second_factor.remember_enrolled(user.id, confirmed is not None)
    if user.session_version != version or login is None:
        return None  # password changed elsewhere, or this login is not (or no longer) known
    return user if is_active(user.id) else None


def is_active(user_id: uuid.UUID) -> bool:
    """True while this cookie's login has not ended, idled out or grown too old, and the
    account is not switched off."""
    token = session.get("sid")
    if not isinstance(token, str):
        return False
    sess = db.session()
    row = sess.get(LoginSession, _digest(token))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return False
    user = sess.get(User, user_id)  # already loaded by the user loader: no query
    if user is None or user.disabled_at is not None:
        return False
    now = datetime.now(UTC)
    if _expired(row, now):
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


# -- "My sessions" ---------------------------------------------------------------------


class NotFound(LookupError):
    """No such running session of this user (the caller answers 404)."""


@dataclass(frozen=True)
class SessionView:
    handle: str
    browser: str
    system: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def _handle(row_id: str) -> str:
    return hashlib.sha256(("pgd.session-handle:" + row_id).encode()).hexdigest()[:HANDLE_LENGTH]


def current_id() -> str | None:
    """The row id of this request's own login session (None outside a request or without
    one): what a password change keeps (services.end_everything)."""
    if not has_request_context():
        return None
    token = session.get("sid")
    return _digest(token) if isinstance(token, str) else None


def _running(user_id: uuid.UUID) -> list[LoginSession]:
    """The user's sessions that have not ended, idled out or grown too old."""
    now = datetime.now(UTC)
    rows = db.session().scalars(
        select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    )
    return [row for row in rows if not _expired(row, now)]


def running(user_id: uuid.UUID) -> list[SessionView]:
    """This user's working logins: this device first, then the most recently active."""
    current = current_id()
    views = []
    for row in _running(user_id):
        browser, _sep, system = (row.user_agent or "").partition(";")
        views.append(
            SessionView(
                _handle(row.id),
                browser,
                system,
                _aware(row.created_at),
                _aware(row.last_seen_at),
                row.id == current,
            )
        )
    views.sort(key=lambda v: (not v.current, -v.last_seen_at.timestamp()))
    return views


def end_one(user_id: uuid.UUID, handle: str) -> None:
    """End one other session of this user; its next request is logged out."""
    current = current_id()
    found = [row.id for row in _running(user_id) if _handle(row.id) == handle and row.id != current]
    if not found:
        raise NotFound(handle)
    _end_rows(user_id, found)


def end_others(user_id: uuid.UUID) -> int:
    """End every session of this user but this one; returns how many ended."""
    current = current_id()
    return _end_rows(user_id, [row.id for row in _running(user_id) if row.id != current])


def _end_rows(user_id: uuid.UUID, ids: list[str]) -> int:
    if not ids:
        return 0
    with db.transaction() as sess:
        result = sess.execute(
            update(LoginSession)
            .where(
                LoginSession.user_id == user_id,
                LoginSession.id.in_(ids),
                LoginSession.ended_at.is_(None),
            )
            .values(ended_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def clear_keeping_language() -> None:
    """Empty the browser's session (before a login, after a logout): only the chosen
    language stays, so nothing planted in the cookie before survives the change."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
