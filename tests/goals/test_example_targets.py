"""The ready-made blood pressure goal aims at the NHG home target for the patient's age."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask

from tests.conftest import login


@pytest.mark.parametrize(
    ("age", "target"),
    [(60, "135"), (69, "135"), (70, "150"), (80, "150"), (None, "135")],
)
def test_blood_pressure_example_follows_the_age(
    app: Flask, create_patient: Any, age: int | None, target: str
) -> None:
    today = datetime.now(UTC).date()
    birth = None if age is None else date(today.year - age - 1, 12, 31)
    if birth is not None and (today.month, today.day) >= (12, 31):
        birth = date(today.year - age, 12, 31)
    create_patient(birth_date=birth)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    login(client, "patient@example.nl")
    body = client.get("/goals/new?example=blood_pressure").get_data(as_text=True)
    assert f'value="{target}"' in body
    assert f"Een gemiddelde bovendruk thuis onder {target}" in body
