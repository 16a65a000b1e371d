"""Settings: defaults here, then instance/config.py, then PGD_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    """Every setting PGD reads; config.example.py documents each one."""

    # Database: SQLite in instance/ unless PGD_DATABASE_URL names another engine.
    DATABASE_URL: str | None = None
    # Master keys (KEK ring). A file in instance/ generated on first run.
    MASTER_KEY_FILE: str | None = None
    # Flask session signing key. Generated into instance/secret_key on first run.
    SECRET_KEY: str | None = None
    # Serve cookies with the Secure flag even when a request arrives over http
    # (behind a TLS-terminating proxy without ProxyFix).
    FORCE_SECURE_COOKIES = False
    # Number of reverse proxies in front of the app (0 = none); enables ProxyFix.
    PROXY_COUNT = 0
    # A login ends after this many minutes without a request, and after this many hours.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    # Login limits (Flask-Limiter syntax). Counted on failed attempts only.
    LOGIN_LIMIT_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_IP = "10 per 15 minutes"
    # Registrations per client address (each costs an argon2 hash).
    REGISTER_LIMIT_IP = "20 per hour"
    # Wrong second-factor codes per account and per client address (right ones never count).
    SECOND_FACTOR_LIMIT_ACCOUNT = "5 per 15 minutes"
    SECOND_FACTOR_LIMIT_IP = "20 per 15 minutes"
    # The name authenticator apps show next to the code.
    SECOND_FACTOR_ISSUER = "PGD"
    # Wrong share codes or unknown e-mail addresses per patient and per client address
    # (one address can be a whole practice's Wi-Fi: keep that one generous).
    SHARE_LOOKUP_LIMIT = "10 per 15 minutes"
    SHARE_LOOKUP_LIMIT_IP = "50 per 15 minutes"
    # Requests per valid API key (JSON API and FHIR); over it the answer is 429.
    API_KEY_RATE_LIMIT = "600 per minute"
    RATELIMIT_STORAGE = "memory://"
    # Seconds an unwrapped data key stays in a worker's memory after a request opened it
    # (0: never kept). Only behind the consent door: the policy still decides every
    # request; a key rotation or a change of the key file empties it at once.
    DATA_KEY_CACHE_SECONDS = 60
    # File imports (web page and FHIR $import): readings per file, and files per user.
    # One import per patient runs at a time, whatever these say.
    IMPORT_MAX_ROWS = 100_000
    IMPORT_RATE_LIMIT = "10 per hour"
    # Password-reset requests per e-mail address typed and per client address.
    RESET_LIMIT_ACCOUNT = "3 per hour"
    # Registration mails per e-mail address typed (a confirmation link or the owner's
    # notice); over it the page answers the same and nothing is sent or changed.
    REGISTER_LIMIT_ACCOUNT = "3 per hour"
    RESET_LIMIT_IP = "20 per hour"
    # Outgoing e-mail (SMTP). Without MAIL_SERVER, messages go to the log and instance/mail/.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "PGD <noreply@localhost>"
    # The address people use to reach PGD, for links in e-mail sent outside a request
    # (the send-password-link command). Default: http://127.0.0.1:5000
    PUBLIC_URL: str | None = None
    # Argon2id cost; the defaults follow RFC 9106's second recommended option.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4
    # Largest request body accepted (bytes).
    MAX_CONTENT_LENGTH = 1 * 1024 * 1024
    # Languages offered; the first is the default.
    LANGUAGES = ("nl", "en")
    TIMEZONE = "Europe/Amsterdam"
    # The security log (pgd.security_log): JSON lines always to stderr, and also to this
    # file and/or this syslog address ("/dev/log", "host:514", "tcp://host:514").
    SECURITY_LOG_FILE: str | None = None
    SECURITY_LOG_SYSLOG: str | None = None
    # The access log's anchor (every chain's head, outside the database): the file, and
    # how many seconds at most between two anchors written by the app.
    ACCESS_LOG_ANCHOR_FILE: str | None = None
    ACCESS_LOG_ANCHOR_INTERVAL = 300


_INT_SETTINGS = {
    "PROXY_COUNT",
    "ARGON2_TIME_COST",
    "ARGON2_MEMORY_COST",
    "ARGON2_PARALLELISM",
    "MAX_CONTENT_LENGTH",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "MAIL_PORT",
    "IMPORT_MAX_ROWS",
    "DATA_KEY_CACHE_SECONDS",
}
_BOOL_SETTINGS = {"FORCE_SECURE_COOKIES", "MAIL_USE_TLS"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read PGD_<SETTING> variables for every known setting, typed like its default."""
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    for name in dir(Defaults):
        if not name.isupper():
            continue
        raw = environ.get(f"PGD_{name}")
        if raw is None:
            continue
        if name in _INT_SETTINGS:
            found[name] = int(raw)
        elif name in _BOOL_SETTINGS:
            found[name] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif name == "LANGUAGES":
            found[name] = tuple(x.strip() for x in raw.split(",") if x.strip())
        else:
            found[name] = raw
    return found


def ensure_secret_key(instance_path: Path) -> str:
    """Return the session signing key from instance/secret_key, creating it (0600) once."""
    path = instance_path / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) < 32:
            raise RuntimeError(
                f"{path} is shorter than 32 characters; remove it or fix it."
            ) from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
