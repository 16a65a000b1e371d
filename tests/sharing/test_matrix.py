"""Authorization matrix over every clinician endpoint, HTML and API.

own patient vs other patient × each category × active / expired / revoked / narrowed
grant × with and without second factor. Every cell asserts the exact outcome: 200 with
the category present, 200 with the category absent, or 404 — nothing in between.
Without a second factor every clinician page sends the clinician to set it up, and the
API answers 404 — even for a key that survived the factor (removing a factor the normal
way also revokes the clinician's keys; see tests/accounts/test_patient_and_reset.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from pgd.accounts import tokens
from tests.sharing.conftest import (
    ALL,
    add_readings,
    allowed_events,
    enrol,
    logged_in,
    lose_second_factor,
    set_state,
)

STATES = ("active", "expired", "revoked", "narrowed")
SLUG = {"blood_pressure": "blood-pressure", "weight": "weight", "glucose": "glucose"}
API = "/api/v1"


def _expected(target: str, category: str, state: str, verified: bool) -> tuple[bool, bool]:
    """(patient visible at all, this category readable)."""
    visible = target == "own" and verified and state in ("active", "narrowed")
    readable = target == "own" and verified and state == "active"
    return visible, readable


@pytest.mark.parametrize("verified", [True, False], ids=["second-factor", "no-second-factor"])
def test_authorization_matrix(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    verified: bool,
) -> None:
    me = create_clinician()
    colleague = create_clinician(email="arts@praktijk.nl", name="Bert Kok", profession="huisarts")
    patients: dict[tuple[str, str, str], Any] = {}
    for target, clinician in (("own", me), ("other", colleague)):
        for category in ALL:
            for state in STATES:
                key = (target, category, state)
                label = f"{target}-{category}-{state}"
                patient = create_patient(email=f"{label}@example.nl", name=f"Patient {label}")
                add_readings(app, patient)
                grant_id = make_grant(patient, clinician)
                if state == "narrowed":
                    rest = ",".join(c for c in ALL if c != category)
                    set_state(app, grant_id, "active", categories=rest)
                elif state != "active":
                    set_state(app, grant_id, state)
                patients[key] = patient
    # The API key is made while the second factor is there; "without" loses it after.
    if verified:
        web = verified_client(me)
    else:
        enrol(app, me)
    with app.test_request_context():
        _info, raw = tokens.create(me, "Practice system")
    if not verified:
        lose_second_factor(app, me)
        web = logged_in(app, "poh@praktijk.nl")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}

    home_page = web.get("/clinician")
    assert home_page.status_code == (200 if verified else 302)
    home = home_page.get_data(as_text=True)
    web_denied = 404 if verified else 302  # without: off to set up the second factor
    listed = api.get(f"{API}/patients", headers=headers)
    listed_ids = (
        {p["id"] for p in listed.get_json()["items"]} if listed.status_code == 200 else set()
    )
    assert listed.status_code == 200  # the list itself is always there; it may be empty

    # "My patients" showed the name and date of birth and how the shared categories go
    # (flags, last reading) of each visible patient, and GET /patients their names and
    # dates of birth: one read event each, per list (8 + 8 with a second factor).
    reads = 8 + 8 if verified else 0
    failures: list[str] = []
    for (target, category, state), patient in patients.items():
        visible, readable = _expected(target, category, state, verified)
        cell = f"{target}/{category}/{state}/{'2fa' if verified else 'no-2fa'}"
        if (f"Patient {target}-{category}-{state}" in home) != visible:
            failures.append(f"{cell}: my patients page listing is wrong")
        if (str(patient.id) in listed_ids) != visible:
            failures.append(f"{cell}: GET /patients listing is wrong")
        dossier = web.get(f"/clinician/patients/{patient.id}")
        if dossier.status_code != (200 if visible else web_denied):
            failures.append(f"{cell}: dossier answered {dossier.status_code}")
        elif visible:
            reads += 1
            shown = f'id="sum-{category}"' in dossier.get_data(as_text=True)
            if shown != readable:
                failures.append(f"{cell}: {category} section shown={shown}")
        summ = api.get(f"{API}/patients/{patient.id}/summary", headers=headers)
        if summ.status_code != (200 if visible else 404):
            failures.append(f"{cell}: API summary answered {summ.status_code}")
        elif visible:
            reads += 1
            body = summ.get_json()
            shown = [b["category"] for b in body["measurements"]] + (
                ["goals"] if "goals" in body else []
            )
            if (category in shown) != readable:
                failures.append(f"{cell}: API summary shows {shown}")
        if category == "goals":
            continue
        chart = web.get(f"/clinician/patients/{patient.id}/charts/{SLUG[category]}")
        if chart.status_code != (200 if readable else web_denied):
            failures.append(f"{cell}: chart answered {chart.status_code}")
        reads += chart.status_code == 200
        got = api.get(f"{API}/patients/{patient.id}/measurements?type={category}", headers=headers)
        if got.status_code != (200 if readable else 404):
            failures.append(f"{cell}: API answered {got.status_code}")
        elif readable:
            reads += 1
            kinds = {item["type"] for item in got.get_json()["items"]}
            if kinds != {category}:
                failures.append(f"{cell}: API returned {kinds}")
        if got.status_code == 404:
            assert got.headers["Content-Type"].startswith("application/problem+json")
        if dossier.status_code == 302:
            assert "/account/second-factor/setup" in dossier.headers["Location"]
    assert failures == []
    assert allowed_events(app) == reads  # refused tries are events with outcome "refused"
    # The two lists (8 + 8), per category an active and a narrowed dossier and API summary
    # (8 + 8), and 3 charts and 3 API reads of readings.
    assert reads == (8 + 8 + 8 + 8 + 3 + 3 if verified else 0)


def test_guessed_urls_answer_404(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    clinician = create_clinician()
    patient = create_patient()
    add_readings(app, patient)
    make_grant(patient, clinician, categories=("weight",))
    web = verified_client(clinician)
    assert web.get(f"/clinician/patients/{patient.id}/charts/weight").status_code == 200
    for url in (
        f"/clinician/patients/{patient.id}/charts/glucose",
        f"/clinician/patients/{patient.id}/charts/blood-pressure",
        f"/clinician/patients/{patient.id}/charts/goals",
        f"/clinician/patients/{patient.id}/charts/../weight",
        f"/clinician/patients/{uuid.uuid4()}",
        f"/clinician/patients/{clinician.id}",
        "/clinician/patients/not-a-uuid",
    ):
        assert web.get(url).status_code == 404, url
    # Not shared reads the same for an unknown patient and for a category not shared.
    for url in (
        f"/clinician/patients/{uuid.uuid4()}",
        f"/clinician/patients/{patient.id}/charts/glucose",
    ):
        assert "Patients can stop sharing at any time." in web.get(url).get_data(as_text=True)
    page = web.get(f"/clinician/patients/{patient.id}").get_data(as_text=True)
    assert 'id="sum-weight"' in page
    for absent in ("sum-glucose", "sum-blood_pressure", "sum-goals", "charts/glucose"):
        assert absent not in page  # absent, not greyed out


def test_my_patients_pages_most_recent_first(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pgd.sharing import worklist

    monkeypatch.setattr(worklist, "PAGE_SIZE", 2)  # read at each call: 3 pages of 2, 2, 1
    clinician = create_clinician()
    for i in range(5):
        make_grant(create_patient(email=f"p{i}@example.nl", name=f"Patient Nummer{i}"), clinician)
    web = verified_client(clinician)
    seen: list[str] = []
    url = "/clinician?sort=shared"
    pages = 0
    for _page in range(4):
        page = web.get(url).get_data(as_text=True)
        pages += 1
        assert "5 patiënten delen" in page or "5 patients share" in page
        names = [n for n in (f"Nummer{i}" for i in range(5)) if n in page]
        seen += sorted(names, key=page.index)
        more = re.search(r'href="(/clinician\?[^"]+)">Next page', page)
        if not more:
            break
        url = more.group(1).replace("&amp;", "&")
    assert seen == ["Nummer4", "Nummer3", "Nummer2", "Nummer1", "Nummer0"]
    assert pages == 3  # really paged: 2 + 2 + 1
