"""Encryption at rest, checked on the real database (SQLite file, PostgreSQL dump),
and the master key: wrong, missing or altered keys stop the app; rotation keeps data."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pgd import crypto, db
from pgd.accounts import services
from pgd.crypto import MasterKeyError
from pgd.crypto.core import KeyRing
from tests.conftest import login, register_and_confirm

NAME = "Jansje Pietersma"


def _database_bytes(app: Flask) -> bytes:
    """Everything the database engine holds, as raw bytes (file or full dump)."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        engine = app.extensions["pgd.engine"]
        with engine.connect() as conn:  # fold the WAL into the main file first
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        data = Path(url.database).read_bytes()
        wal = Path(url.database + "-wal")
        return data + (wal.read_bytes() if wal.exists() else b"")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed to check PostgreSQL at rest")
    dump = subprocess.run(
        [
            pg_dump,
            "--data-only",
            "--inserts",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database,
        ],
        check=True,
        capture_output=True,
    )
    return dump.stdout


def test_name_and_birth_date_are_not_readable_in_the_database(client: Any, app: Flask) -> None:
    # Through the page and the link in the e-mail: the client ends logged in.
    register_and_confirm(client, "jansje@example.nl", name=NAME, birth_date="14-03-1950")
    raw = _database_bytes(app)
    assert b"jansje@example.nl" in raw  # proves we are looking at the right database
    for needle in (NAME, "Pietersma", "Jansje", "1950-03-14", "14-03-1950", "14031950"):
        assert needle.encode() not in raw, needle
        assert needle.encode("utf-16-le") not in raw, needle
    # The bare year as a value of its own. Four digits also turn up by chance inside hex
    # ciphertext, UUIDs and microseconds of timestamps (a CI run found '1950' in such a
    # dump), so the year counts only standing alone, as a stored number or text would.
    alone = re.compile(rb"(?<![0-9A-Za-z.:\\-])1950(?![0-9A-Za-z.:\\-])")
    assert alone.search(raw) is None, alone.search(raw)
    # and the app still reads them back
    assert NAME in client.get("/account/profile").get_data(as_text=True)


def test_profile_ciphertext_moved_to_another_patient_fails(app: Flask, create_patient: Any) -> None:
    a = create_patient(email="a@example.nl", name="Alice Aarts")
    b = create_patient(email="b@example.nl", name="Bob Bakker")
    with app.app_context():
        sess = db.session()
        sealed = sess.execute(
            text("SELECT name_sealed FROM profiles WHERE user_id = :id"),
            {"id": a.id.hex if sess.bind.dialect.name == "sqlite" else a.id},
        ).scalar_one()
        sess.execute(
            text("UPDATE profiles SET name_sealed = :s WHERE user_id = :id"),
            {"s": sealed, "id": b.id.hex if sess.bind.dialect.name == "sqlite" else b.id},
        )
        sess.commit()
    with app.test_request_context():
        assert services.profile_of(a.id).name == "Alice Aarts"
        with pytest.raises(crypto.DecryptionError):
            services.profile_of(b.id)


def test_master_key_file_and_secret_are_private(app: Flask) -> None:
    instance = Path(app.instance_path)
    for name in ("master_keys.json", "secret_key"):
        assert (instance / name).stat().st_mode & 0o777 == 0o600, name


def test_restart_keeps_data(make_app: Callable[..., Flask], create_patient: Any) -> None:
    create_patient(email="jansje@example.nl", name=NAME, birth_date=date(1950, 3, 14))
    again = make_app()
    client = again.test_client()
    assert login(client, "jansje@example.nl").status_code == 302
    assert NAME in client.get("/home").get_data(as_text=True)


def test_wrong_master_key_refuses_to_start(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any
) -> None:
    create_patient()
    path = Path(app.instance_path) / "master_keys.json"
    ring = KeyRing.load(path)
    impostor = KeyRing({ring.current: KeyRing.generate().keys.popitem()[1]}, ring.current)
    path.write_text(impostor.to_json())
    with pytest.raises(MasterKeyError, match="not the key this database"):
        make_app()


def test_other_installations_key_refuses_to_start(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any
) -> None:
    create_patient()
    path = Path(app.instance_path) / "master_keys.json"
    path.write_text(KeyRing.generate().to_json())
    with pytest.raises(MasterKeyError, match="does not hold"):
        make_app()


def test_missing_master_key_with_data_refuses_and_creates_nothing(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any
) -> None:
    create_patient()
    path = Path(app.instance_path) / "master_keys.json"
    path.unlink()
    with pytest.raises(MasterKeyError, match="missing"):
        make_app()
    assert not path.exists()


@pytest.mark.parametrize(
    "content", ["", "{}", "garbage", '{"current": "k1", "keys": {"k1": "AAAA"}}']
)
def test_tampered_key_file_refuses_to_start(
    app: Flask, make_app: Callable[..., Flask], content: str
) -> None:
    (Path(app.instance_path) / "master_keys.json").write_text(content)
    with pytest.raises(MasterKeyError):
        make_app()


def test_wrapped_data_key_altered_in_database_fails_to_open(
    app: Flask, create_patient: Any
) -> None:
    user = create_patient()
    with app.app_context():
        sess = db.session()
        key = sess.scalars(db_select_keys(user.id)).one()
        key.wrapped = bytes([key.wrapped[0] ^ 1]) + key.wrapped[1:]
        sess.commit()
    with app.test_request_context(), pytest.raises(MasterKeyError):
        services.profile_of(user.id)


def db_select_keys(owner_id: Any) -> Any:
    from sqlalchemy import select

    from pgd.crypto.models import DataKey

    return select(DataKey).where(DataKey.owner_id == owner_id)


def test_rotation_keeps_everything_readable_also_without_the_old_key(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any
) -> None:
    users = [create_patient(email=f"p{i}@example.nl", name=f"Patiënt {i}") for i in range(5)]
    old = KeyRing.load(Path(app.instance_path) / "master_keys.json").current
    with app.app_context():
        before = db.session().execute(text("SELECT name_sealed FROM profiles")).scalars().all()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rotate-master-key"])
    assert result.exit_code == 0, result.output
    assert "Data keys re-wrapped: 5" in result.output
    ring = KeyRing.load(Path(app.instance_path) / "master_keys.json")
    assert ring.current != old
    with app.app_context():
        after = db.session().execute(text("SELECT name_sealed FROM profiles")).scalars().all()
        kek_ids = set(db.session().execute(text("SELECT kek_id FROM data_keys")).scalars())
    assert sorted(before) == sorted(after)  # records untouched
    assert kek_ids == {ring.current}
    result = runner.invoke(args=["retire-master-key", old])
    assert result.exit_code == 0, result.output
    assert old not in KeyRing.load(Path(app.instance_path) / "master_keys.json").keys
    fresh = make_app()  # a restart with only the new key
    with fresh.test_request_context():
        assert [services.profile_of(u.id).name for u in users] == [f"Patiënt {i}" for i in range(5)]


def test_retiring_a_key_still_in_use_is_refused(app: Flask, create_patient: Any) -> None:
    create_patient()
    current = KeyRing.load(Path(app.instance_path) / "master_keys.json").current
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retire-master-key", current])
    assert result.exit_code != 0
    assert current in KeyRing.load(Path(app.instance_path) / "master_keys.json").keys


def test_interrupted_rotation_can_be_resumed(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [create_patient(email=f"p{i}@example.nl", name=f"P {i}") for i in range(7)]
    from pgd.crypto import rotation
    from pgd.crypto.core import KeyRing as Ring

    real_wrap = Ring.wrap
    calls = {"n": 0}

    def flaky_wrap(self: Ring, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt  # the administrator's Ctrl+C mid-rotation
        return real_wrap(self, *args)

    monkeypatch.setattr(Ring, "wrap", flaky_wrap)
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        rotation.rotate(app, batch_size=2)
    monkeypatch.setattr(Ring, "wrap", real_wrap)
    # The restart sees a ring with both keys; data keys are wrapped by either.
    restarted = make_app()
    ring = restarted.extensions["pgd.keyring"]
    assert len(ring.keys) == 2
    with restarted.app_context():
        by_key = json.loads(
            json.dumps(
                [r for r in db.session().execute(text("SELECT kek_id FROM data_keys")).scalars()]
            )
        )
    assert set(by_key) == set(ring.keys)  # half done
    with restarted.test_request_context():
        assert [services.profile_of(u.id).name for u in users] == [f"P {i}" for i in range(7)]
    result = restarted.test_cli_runner().invoke(args=["rotate-master-key", "--resume"])
    assert result.exit_code == 0, result.output
    with restarted.app_context():
        kek_ids = set(db.session().execute(text("SELECT kek_id FROM data_keys")).scalars())
    assert kek_ids == {ring.current}


def test_crypto_shredding_makes_records_unreadable(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():
        assert crypto.destroy_patient_keys(user.id) == 1
        db.session().commit()
    with app.test_request_context(), pytest.raises(crypto.DecryptionError):
        services.profile_of(user.id)


def test_engine_for_sqlite_uses_wal(app: Flask) -> None:
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("WAL is a SQLite setting")
    eng = create_engine(app.config["DATABASE_URL"])
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with app.app_context(), db.engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
