"""Outgoing e-mail: SMTP through Flask-Mail, or the log and instance/mail/ without a server.

The fallback is for the embedded default (no MAIL_SERVER): a newcomer running PGD on a
laptop can still open a password-reset link from the .eml file or the server log.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app
from flask_mail import Message

from pgd.extensions import mail

log = logging.getLogger("pgd.mail")
_counter = itertools.count(1)
_counter_lock = threading.Lock()


def init_app(app: Flask) -> None:
    # Flask-Mail suppresses sending under TESTING; PGD's tests read a real SMTP server.
    app.config.setdefault("MAIL_SUPPRESS_SEND", False)
    mail.init_app(app)


def send(to: str, subject: str, body_text: str) -> None:
    """Send one plain-text message; without MAIL_SERVER, log it and write a .eml file."""
    message = Message(
        subject=subject,
        recipients=[to],
        body=body_text,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    if current_app.config.get("MAIL_SERVER"):
        mail.send(message)
        return
    path = _write_eml(Path(current_app.instance_path) / "mail", message.as_string())
    log.warning(
        "MAIL_SERVER is not set: e-mail to %s not sent, saved as %s\nSubject: %s\n\n%s",
        to,
        path,
        subject,
        body_text,
    )


def _write_eml(folder: Path, text: str) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    while True:
        with _counter_lock:
            number = next(_counter)
        path = folder / f"{stamp}-{number}.eml"
        try:
            # 0600: a message may hold a working password link.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path


def send_later(to: str, subject: str, body_text: str) -> threading.Thread:
    """Send from a thread, so the answer's timing does not show whether mail went out."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                send(to, subject, body_text)
            except Exception:  # noqa: BLE001 - a failed send must not vanish silently
                log.exception("Sending e-mail failed (subject %r)", subject)

    thread = threading.Thread(target=run, name="pgd-mail", daemon=True)
    thread.start()
    return thread
