"""A measurement's values and note are not readable in the database (SQLite file, pg_dump)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from pgd.measurements.validation import LOCAL
from tests.conftest import login, post_form
from tests.test_encryption_at_rest import _database_bytes


def test_blood_pressure_and_note_are_sealed(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    when = datetime.now(LOCAL) - timedelta(hours=2)
    response = post_form(
        client,
        "/measurements/blood-pressure/new",
        {
            "systolic": "187",
            "diastolic": "113",
            "pulse": "",
            "arm": "",
            "date": when.strftime("%d-%m-%Y"),
            "time": when.strftime("%H:%M"),
            "note": "duizelig na fietsen",
        },
    )
    assert response.status_code == 302
    raw = _database_bytes(app)
    assert b"patient@example.nl" in raw  # the right database
    for needle in (
        b"187/113",
        b'"s":187',
        b'"d":113',
        b"duizelig",
        b"fietsen",
        "duizelig".encode("utf-16-le"),
    ):
        assert needle not in raw, needle
    # the patient still sees it
    body = client.get("/measurements").get_data(as_text=True)
    assert "187/113" in body
    assert "duizelig na fietsen" in body
