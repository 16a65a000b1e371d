"""The security log: one JSON object per line, apart from the access log (issue 13).

The access log (pgd.sharing.access_log) says which clinician read which patient's data;
this log says what happened at the doors: logins, second factors, passwords, API keys,
shares, refused access and key rotation. It goes through Python logging
("pgd.security") to stderr and, per config, to a file (SECURITY_LOG_FILE) or to syslog
(SECURITY_LOG_SYSLOG), one JSON object per line, for a SIEM or a plain `grep`.

What a line holds: time (UTC, ISO 8601), event kind, user id and role (or the principal
of the request), client address, a short user agent, the method and path asked for,
the outcome and ids (grant ids, key ids, patient ids, categories). Never: health values,
passwords, second-factor or recovery codes, tokens, names. Field names that could carry
such a thing are dropped by event() whatever a caller passes.

E-mail addresses (a failed login names an address that may not be an account) are
logged as `account_ref(email)`: a keyed hash (HMAC-SHA256 under a key derived from the
app secret, via pgd.crypto, first 16 hex digits). Repeated failures against one address
show as one ref; someone who reads the log without the secret cannot tell the address,
and an administrator who knows an address can compute its ref with
`flask --app pgd shell` → `security_log.account_ref("a@b.nl")`. Rotating SECRET_KEY
changes every ref. A truncated address ("j***@example.nl") was rejected: it still names
the domain and often the person.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request

LOGGER_NAME = "pgd.security"
log = logging.getLogger(LOGGER_NAME)
_warn = logging.getLogger(__name__ + ".setup")

USER_AGENT_MAX = 120
# Never in a line, whatever a caller passes (compared without case, also as a suffix).
FORBIDDEN_FIELDS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "code",
        "recovery_code",
        "token",
        "raw_token",
        "secret",
        "name",
        "email",
        "value",
        "values",
        "note",
        "birth_date",
    }
)


class Events:
    """Every event kind the security log knows; the value is the `event` field."""

    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_LIMITED = "login.limited"
    SECOND_FACTOR_SUCCEEDED = "second_factor.succeeded"
    SECOND_FACTOR_FAILED = "second_factor.failed"
    SECOND_FACTOR_LIMITED = "second_factor.limited"
    SECOND_FACTOR_SET_UP = "second_factor.set_up"
    SECOND_FACTOR_REMOVED = "second_factor.removed"  # by the user, with the password
    SECOND_FACTOR_RESET = "second_factor.reset"  # by an administrator (reset-second-factor)
    RECOVERY_CODES_RENEWED = "second_factor.recovery_codes_renewed"
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 (an event name)
    PASSWORD_CHANGE_FAILED = "password.change_failed"  # noqa: S105 (an event name)
    PASSWORD_RESET_REQUESTED = "password.reset_requested"  # noqa: S105 (an event name)
    PASSWORD_RESET = "password.reset"  # noqa: S105 (an event name)
    PASSWORD_FIRST_SET = "password.first_set"  # noqa: S105 (a clinician's first login)
    PASSWORD_LINK_SENT = "password.set_link_sent"  # noqa: S105 (an administrator's link)
    # A logged-in user's password asked again (API key, deletion, export, second factor
    # off) over the login limits; `what` names the step. Not login.limited: no login.
    PASSWORD_RECHECK_LIMITED = "password.recheck_limited"  # noqa: S105 (an event name)
    REGISTRATION_EXISTING_ADDRESS = "account.registration_existing_address"
    REGISTRATION_LIMITED = "account.registration_limited"  # mails for one address
    # A patient's own registration (pgd.accounts.confirmation): the link mailed to a new
    # or still-unconfirmed address, the link opened with the right password, and a link
    # that was unknown, used or expired, or opened with a wrong password (user_id only).
    REGISTRATION_LINK_SENT = "account.registration_link_sent"
    REGISTRATION_CONFIRMED = "account.registration_confirmed"
    REGISTRATION_CONFIRM_FAILED = "account.registration_confirm_failed"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    API_KEY_EXPIRED = "api_key.expired"
    API_KEY_REFUSED = "api_key.refused"  # a request with a missing, unknown or revoked key
    API_KEY_LIMITED = "api_key.limited"  # too many wrong keys from one address
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_DISABLED = "account.disabled"
    ACCOUNT_ENABLED = "account.enabled"
    SESSION_ENDED = "session.ended"  # by the user on "My sessions" (one, or all the others)
    SHARE_CREATED = "share.created"
    SHARE_EXTENDED = "share.extended"
    SHARE_NARROWED = "share.narrowed"
    SHARE_STOPPED = "share.stopped"
    ACCESS_REFUSED = "access.refused"  # the 404 of the consent door
    MASTER_KEY_ROTATED = "master_key.rotated"
    MASTER_KEY_RETIRED = "master_key.retired"
    KEY_FILE_REFUSED = "master_key.file_refused"  # a changed key file did not match the data
    LIMITS_UNAVAILABLE = "limits.unavailable"  # the shared limit storage (Redis) is down

    @classmethod
    def all(cls) -> frozenset[str]:
        return frozenset(
            value for name, value in vars(cls).items() if name.isupper() and isinstance(value, str)
        )


def account_ref(email: str) -> str:
    """A keyed, truncated hash of an e-mail address: the same address, the same ref."""
    from pgd import crypto

    cleaned = (email or "").strip().lower()
    return "acct_" + crypto.token_digest("pgd.security-log.account:" + cleaned)[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _forbidden(field: str) -> bool:
    lowered = field.lower()
    return lowered in FORBIDDEN_FIELDS or any(
        lowered.endswith("_" + word) for word in FORBIDDEN_FIELDS
    )


def _request_principal() -> tuple[Any, Any]:
    """The user id and role of this request, if someone is known (never loads a name)."""
    api = g.get("api_principal")
    if api is not None:
        return api.id, api.role
    from flask_login import current_user

    try:
        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.role
    except Exception:  # noqa: BLE001 - no user loader outside a full request: no principal
        return None, None
    return None, None


def _short_agent(text: str) -> str | None:
    text = " ".join((text or "").split())
    if not text:
        return None
    return text[:USER_AGENT_MAX]


def _path() -> str:
    """The path asked for, with ids; a secret in it (the token of a password-reset link)
    is replaced by the name of its part: "/password/reset/<token>"."""
    path = request.path
    for key, value in (request.view_args or {}).items():
        if _forbidden(key) and isinstance(value, str) and value:
            path = path.replace(value, f"<{key}>")
    return path


def record(kind: str, **fields: Any) -> dict[str, Any]:
    """The JSON object of one event (what event() writes), for callers and tests."""
    out: dict[str, Any] = {"time": datetime.now(UTC).isoformat(), "event": kind}
    user = fields.pop("user", None)
    if user is not None:
        fields.setdefault("user_id", getattr(user, "id", None))
        fields.setdefault("role", getattr(user, "role", None))
    if has_request_context():
        if "user_id" not in fields:
            user_id, role = _request_principal()
            if user_id is not None:
                fields["user_id"] = user_id
                fields.setdefault("role", role)
        out["ip"] = request.remote_addr
        out["user_agent"] = _short_agent(request.headers.get("User-Agent", ""))
        out["method"] = request.method
        out["path"] = _path()
        if getattr(g, "api_principal", None) is not None:
            out["api_key_id"] = str(g.api_principal.token_id)
    else:
        out["via"] = "command_line"  # an administrator's command (flask --app pgd ...)
    for key, value in fields.items():
        if _forbidden(key):
            _warn.warning("security log: field %r dropped from %s", key, kind)
            continue
        out[key] = _plain(value)
    return out


def event(kind: str, **fields: Any) -> None:
    """Write one security event. Fields: user (an object with .id/.role) or user_id and
    role, outcome ("success", "failure", "limited", "refused"), object/ids. In a request,
    the client address, user agent, method, path and (if not given) the principal are
    added. Never raises: a logging fault must not turn a login into a 500."""
    try:
        log.info("%s", kind, extra={"pgd_security": record(kind, **fields)})
    except Exception:  # noqa: BLE001
        _warn.exception("security log: could not write %s", kind)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a plain log record gets the same shape."""

    def format(self, rec: logging.LogRecord) -> str:
        data = getattr(rec, "pgd_security", None)
        if not isinstance(data, dict):
            data = {
                "time": datetime.fromtimestamp(rec.created, UTC).isoformat(),
                "event": rec.getMessage(),
            }
        return json.dumps(data, ensure_ascii=False, sort_keys=False, default=str)


def _syslog_handler(address: str) -> logging.Handler:
    """A socket path ("/dev/log"), "host:port" (UDP), "udp://host:port" or "tcp://host:port"."""
    import socket

    text = address.strip()
    kind = socket.SOCK_DGRAM
    if text.startswith("tcp://"):
        kind, text = socket.SOCK_STREAM, text[len("tcp://") :]
    elif text.startswith("udp://"):
        text = text[len("udp://") :]
    if text.startswith("/"):
        return logging.handlers.SysLogHandler(address=text)
    host, _sep, port = text.rpartition(":")
    return logging.handlers.SysLogHandler(
        address=(host or "localhost", int(port or 514)),
        facility=logging.handlers.SysLogHandler.LOG_AUTH,
        socktype=kind,
    )


def _create_private(path: Path) -> None:
    """A new log file is readable by its owner only (it names ids and addresses)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def init_app(app: Flask) -> None:
    """Attach the JSON handlers (once per process and destination) to "pgd.security"."""
    log.setLevel(logging.INFO)
    log.propagate = bool(app.config.get("TESTING"))  # tests read it with caplog
    wanted: list[tuple[str, Any]] = [("stderr", None)]
    if app.config.get("SECURITY_LOG_FILE"):
        wanted.append(("file", str(app.config["SECURITY_LOG_FILE"])))
    if app.config.get("SECURITY_LOG_SYSLOG"):
        wanted.append(("syslog", str(app.config["SECURITY_LOG_SYSLOG"])))
    have = {getattr(h, "pgd_destination", None) for h in log.handlers}
    for destination in wanted:
        if destination in have:
            continue
        kind, where = destination
        handler: logging.Handler
        if kind == "file":
            _create_private(Path(where))
            handler = logging.handlers.WatchedFileHandler(where, encoding="utf-8")
        elif kind == "syslog":
            handler = _syslog_handler(where)
        else:
            handler = logging.StreamHandler()  # stderr
        handler.setFormatter(JsonFormatter())
        handler.pgd_destination = destination  # type: ignore[attr-defined]
        log.addHandler(handler)
