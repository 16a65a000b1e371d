"""Database: declarative Base, one engine per app, one session per request, migrations."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def utcnow() -> datetime:
    return datetime.now(UTC)


# How long a SQLite connection waits for another's write lock before it gives up.
SQLITE_BUSY_TIMEOUT_MS = 10000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, FULL sync so a confirmed save survives a power cut."""
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # 64 MB page cache (allocated only as used): a 100,000-row import touches random
    # pages of the id and fingerprint indexes; the 2 MB default halves its speed.
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def _sqlite_file(url: str) -> Path | None:
    """The database file of a sqlite URL (None for memory or a file: URI)."""
    if not url.startswith("sqlite"):
        return None
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def private_sqlite_files(url: str) -> None:
    """Health data stays readable by PGD's own user only: create the SQLite file 0600 (its
    -wal and -shm files get the same mode from SQLite) and take group and other rights
    off files that an older PGD or a copy left 0644."""
    path = _sqlite_file(url)
    if path is None:
        return
    if not path.exists() and path.parent.is_dir():
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for found in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
        try:
            mode = stat.S_IMODE(found.stat().st_mode)
            if mode & 0o077:
                os.chmod(found, mode & 0o700)
        except OSError:  # absent, or owned by another user: SQLite reports what matters
            continue


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite_files(url)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["pgd.engine"] = engine
    maker = sessionmaker(bind=engine, expire_on_commit=False)
    for moment in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(maker, moment, _forget_reads)
    app.extensions["pgd.sessionmaker"] = maker
    app.teardown_appcontext(_close_session)


# -- reads made once per request ----------------------------------------------------------
# A page asks for the same small thing several times (the agreed target for the verdict,
# the summary and the chart; the open measuring weeks; the goals). remembered() keeps
# such a read for the rest of the request, until anything is written: every flush,
# commit or rollback and the start of every transaction forget them all, and so does a
# change of what this request may read (pgd.sharing.policy calls forget_reads()).


def remembered(key: tuple[Any, ...], load: Any) -> Any:
    """load(), or what it returned earlier in this request for the same key (see above)."""
    found = g.setdefault("pgd_reads", {})
    if key in found:
        return found[key]
    value = found[key] = load()
    return value


def forget_reads() -> None:
    g.pop("pgd_reads", None)


def _forget_reads(*_args: Any) -> None:
    from flask import has_app_context

    if has_app_context():
        g.pop("pgd_reads", None)


def engine() -> Engine:
    return current_app.extensions["pgd.engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The session of this request (or app context); closed, and rolled back, at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["pgd.sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    sess = g.pop("db_session", None)
    g.pop("pgd_ciphers", None)
    if sess is not None:
        sess.rollback()
        sess.close()


def autocommit_this_request() -> None:
    """PostgreSQL: run this request's statements each in its own transaction, without
    BEGIN and COMMIT round trips. Only for a request whose every write is one statement
    (an API create: the INSERT and its triage mark are one statement), called before its
    first statement; a statement still commits, to disk, before it returns."""
    sess = session()
    if sess.in_transaction() or sess.get_bind().dialect.name != "postgresql":
        return
    sess.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@contextmanager
def transaction() -> Iterator[Session]:
    """The one transaction boundary a service uses: commit on success, roll back on error."""
    sess = session()
    forget_reads()  # a write sees what is stored now (after its own locks), not earlier reads
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        g.pop("pgd_ciphers", None)  # a data key created in this transaction is gone too
        raise


# -- migrations ----------------------------------------------------------------------
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    from alembic import command

    private_sqlite_files(url)
    command.upgrade(alembic_config(url), revision)


def schema_is_current(eng: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(
        alembic_config(eng.url.render_as_string(hide_password=False))
    )
    with eng.connect() as conn:
        heads = set(MigrationContext.configure(conn).get_current_heads())
    return heads == set(script.get_heads())
