"""Goal texts, steps, check-in counts and consult questions are not readable in the
database (SQLite file, PostgreSQL dump)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from pgd.measurements.validation import LOCAL
from tests.conftest import login, post_form
from tests.test_encryption_at_rest import _database_bytes


def test_goal_text_steps_and_questions_are_sealed(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    response = post_form(
        client,
        "/goals/new",
        {
            "text": "minder chips eten",
            "why": "zodat mijn suiker zakt",
            "kind": "activity",
            "mode": "count",
            "per_week": "3",
            "unit": "zakjes-zoutloos",
            "start": datetime.now(LOCAL).strftime("%d-%m-%Y"),
            "until": "",
            "actions": "diëtist bellen over brood",
        },
    )
    assert response.status_code == 302
    goal_id = response.headers["Location"].rsplit("/", 1)[1]
    post_form(client, f"/goals/{goal_id}/check-in", {"count": "737"}, form_url="/goals")
    post_form(client, "/goals/questions", {"text": "vraag over steunkousen"})
    body = client.get(f"/goals/{goal_id}").get_data(as_text=True)
    assert "minder chips eten" in body  # the patient still reads it
    assert "737 zakjes-zoutloos" in body
    assert "vraag over steunkousen" in client.get("/goals/questions").get_data(as_text=True)
    raw = _database_bytes(app)
    assert b"patient@example.nl" in raw  # the right database
    for text in (
        "minder chips eten",
        "chips",
        "suiker zakt",
        "zakjes-zoutloos",
        "diëtist",
        "steunkousen",
    ):
        for encoded in (text.encode(), text.encode("utf-16-le")):
            assert encoded not in raw, text
    assert b'"c":737' not in raw
