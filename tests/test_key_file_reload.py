"""A key file changed on disk while PGD runs passes the start-up check first (issue 13).

A swapped ring (another installation's, or a fresh one) or an edited file is refused:
the previous ring stays in use, nothing is sealed under the refused key, and the log
says so. A genuine rotation by another process (the same keys plus a new one) is taken.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from pgd import db
from pgd.crypto.core import KeyRing
from pgd.measurements.validation import LOCAL
from pgd.security_log import Events
from tests.conftest import login, post_form


def _key_path(app: Flask) -> Path:
    return Path(app.instance_path) / "master_keys.json"


def _replace(path: Path, content: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(content)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))  # surely "changed"


def _save_reading(client: Any, systolic: int) -> None:
    when = datetime.now(LOCAL) - timedelta(hours=1)
    response = post_form(
        client,
        "/measurements/blood-pressure/new",
        {
            "systolic": str(systolic),
            "diastolic": "88",
            "pulse": "",
            "arm": "",
            "date": when.strftime("%d-%m-%Y"),
            "time": when.strftime("%H:%M"),
            "note": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _kek_of(app: Flask, category: str) -> str:
    with app.app_context():
        return str(
            db.session()
            .execute(text("SELECT kek_id FROM data_keys WHERE category = :c"), {"c": category})
            .scalar_one()
        )


def _swapped(old: KeyRing) -> str:
    return KeyRing.generate().to_json()  # a fresh ring: another installation's


def _same_id_other_key(old: KeyRing) -> str:
    other = base64.b64encode(os.urandom(32)).decode()
    return json.dumps(
        {"format": "pgd-master-keys-v1", "current": old.current, "keys": {old.current: other}}
    )


def _corrupt(old: KeyRing) -> str:
    return old.to_json()[:40]  # an edit that broke the file


@pytest.mark.parametrize("change", [_swapped, _same_id_other_key, _corrupt])
def test_a_changed_key_file_that_does_not_match_is_refused(
    app: Flask, create_patient: Any, caplog: pytest.LogCaptureFixture, change: Any
) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    path = _key_path(app)
    old = KeyRing.load(path)
    _replace(path, change(old))
    caplog.set_level(logging.INFO)
    _save_reading(client, 151)  # the first blood pressure: a new data key is wrapped now
    _save_reading(client, 152)
    assert _kek_of(app, "blood_pressure") == old.current  # sealed under the old ring
    body = client.get("/measurements").get_data(as_text=True)
    assert "151/88" in body  # and readable
    assert "152/88" in body
    refused = [r for r in caplog.records if r.name == "pgd.crypto" and r.levelno >= logging.ERROR]
    assert len(refused) == 1  # once per change of the file, not per request
    assert "refused" in refused[0].getMessage()
    assert str(path) in refused[0].getMessage()
    events = [r for r in caplog.records if r.name == "pgd.security"]
    assert [r.getMessage() for r in events].count(Events.KEY_FILE_REFUSED) == 1
    assert app.extensions["pgd.keyring"].keys == old.keys


def test_the_right_file_restored_after_a_refusal_is_taken_again(
    app: Flask, create_patient: Any
) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    path = _key_path(app)
    good = path.read_text()
    old = KeyRing.load(path)
    _replace(path, _swapped(old))
    _save_reading(client, 140)
    rotated = old.with_new_key()  # another process rotated: the old keys plus a new one
    _replace(path, rotated.to_json())
    assert good != rotated.to_json()
    _save_reading(client, 141)
    assert app.extensions["pgd.keyring"].current == rotated.current
    assert "141/88" in client.get("/measurements").get_data(as_text=True)
