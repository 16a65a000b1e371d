"""The access log's anchor: every chain's head, written to a file outside the database.

Whoever can write the database and also holds the audit key could rewrite a patient's
chain from its first event so that it verifies again. The anchor shows that: it holds
each chain's head (patient id, seq, digest) as it stood at some earlier moment, plus a
SHA-256 over all of them, in a file the database cannot change
(ACCESS_LOG_ANCHOR_FILE, default instance/access_log_anchor.json; the one before it is
kept next to it as .prev). `flask verify-access-log` compares every chain with it.

Written after a request that appended events once the last anchor is older than
ACCESS_LOG_ANCHOR_INTERVAL seconds (default 300), and by `flask anchor-access-log`
(cron). Atomic (a temporary file, fsync, rename), mode 0600, under a file lock so two
workers never write at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
from flask import Flask

from pgd import db
from pgd.sharing import access_log

DEFAULT_INTERVAL = 300


class AnchorError(Exception):
    """The anchor file cannot be read, or it does not match its own digest."""


def anchor_file(app: Flask) -> Path:
    configured = app.config.get("ACCESS_LOG_ANCHOR_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "access_log_anchor.json"


def previous_file(path: Path) -> Path:
    return path.with_name(path.name + ".prev")


def interval(app: Flask) -> int:
    return int(app.config.get("ACCESS_LOG_ANCHOR_INTERVAL") or DEFAULT_INTERVAL)


@contextlib.contextmanager
def _locked(path: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive lock on PATH.lock; yields False when busy and wait is False."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _due(path: Path, seconds: int) -> bool:
    try:
        return time.time() - path.stat().st_mtime >= seconds
    except FileNotFoundError:
        return True


def _encode(anchor: access_log.Anchor) -> bytes:
    return orjson.dumps(
        {
            "format": "pgd.access-anchor.v1",
            "written_at": anchor.written_at,
            "digest": access_log.anchor_digest(anchor.legacy, anchor.heads),
            "legacy": list(anchor.legacy) if anchor.legacy else None,
            "heads": [
                [str(p), anchor.heads[p][0], anchor.heads[p][1]] for p in sorted(anchor.heads)
            ],
        },
        option=orjson.OPT_INDENT_2,
    )


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    if path.exists():  # keep the one before: a hard link, so PATH never goes missing
        prev = previous_file(path)
        link = prev.with_name(prev.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.link(path, link)
        os.replace(link, prev)
    os.replace(tmp, path)
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def _write_heads(app: Flask, path: Path) -> access_log.Anchor:
    """Write every chain's current head to PATH (the caller holds the file lock)."""
    with app.app_context():  # its own session: committed heads only
        anchor = access_log.current_heads(db.session())
    _write(path, _encode(anchor))
    return anchor


def write(app: Flask, *, wait: bool = True) -> access_log.Anchor | None:
    """Write the anchor now (inside an app context); None when another worker is
    writing it at this moment and wait is False."""
    path = anchor_file(app)
    with _locked(path, wait=wait) as mine:
        if not mine:
            return None
        return _write_heads(app, path)


def write_if_due(app: Flask) -> bool:
    """After a request that appended: write when the last anchor is older than the
    interval (checked again under the lock). True when written."""
    path = anchor_file(app)
    seconds = interval(app)
    if not _due(path, seconds):
        return False
    with _locked(path, wait=False) as mine:
        if not mine or not _due(path, seconds):
            return False
        _write_heads(app, path)
        return True


def read(path: Path) -> access_log.Anchor:
    """The anchor in PATH; AnchorError when unreadable or not matching its digest."""
    try:
        raw = orjson.loads(path.read_bytes())
        legacy = tuple(raw["legacy"]) if raw.get("legacy") else None
        heads = {uuid.UUID(p): (int(seq), str(mac)) for p, seq, mac in raw["heads"]}
        digest = str(raw["digest"])
        written = str(raw.get("written_at", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnchorError(f"the anchor file {path} cannot be read: {exc}") from exc
    pair = (int(legacy[0]), str(legacy[1])) if legacy else None
    if access_log.anchor_digest(pair, heads) != digest:
        raise AnchorError(f"the anchor file {path} does not match its own digest (edited?)")
    return access_log.Anchor(pair, heads, written)
