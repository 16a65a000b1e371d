"""Consent history on "who looked" (issue 13, NEN 7513): every share as it was made,
each change, and how it ended (stopped by the patient, by the administrator switching
the clinician off, or run out), newest first; nothing overwritten; only one's own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pgd import db
from pgd.measurements.validation import LOCAL
from pgd.sharing import services
from pgd.sharing.models import Grant, GrantChange
from tests.sharing.conftest import logged_in

POH = "Anna de Vries, practice support worker (POH)"


@pytest.fixture
def patient(create_patient: Callable[..., Any]) -> Any:
    return create_patient()


@pytest.fixture
def clinician(create_clinician: Callable[..., Any]) -> Any:
    return create_clinician()  # Anna de Vries, poh@praktijk.nl


@pytest.fixture
def web(app: Flask, patient: Any) -> FlaskClient:
    return logged_in(app, "patient@example.nl")


def _day(moment: datetime) -> str:
    local = moment.astimezone(LOCAL)
    return f"{local:%B} {local.day}, {local.year}"


def _history(web: FlaskClient) -> str:
    page = web.get("/sharing/who-looked")
    assert page.status_code == 200
    text = page.get_data(as_text=True).replace("&#39;", "'")
    return text[text.index('id="consent-history"') :]


def _share(app: Flask, patient: Any, categories: list[str], until: datetime) -> uuid.UUID:
    with app.test_request_context():
        return services.create_grant(
            patient,
            email="poh@praktijk.nl",
            categories=categories,
            data_from=None,
            expires_at=until,
        ).id


def test_made_extended_narrowed_and_stopped_appear_newest_first(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any
) -> None:
    now = datetime.now(UTC)
    first_end = datetime(now.year + 1, 3, 3, 23, 0, tzinfo=UTC)
    longer = datetime(now.year + 1, 6, 30, 22, 0, tzinfo=UTC)
    grant_id = _share(app, patient, ["blood_pressure", "weight"], first_end)
    with app.test_request_context():
        services.change_terms(
            patient, grant_id, ["blood_pressure", "weight", "glucose"], longer, confirmed=True
        )
        services.change_terms(patient, grant_id, ["blood_pressure", "glucose"], None)
        services.revoke(patient, grant_id)
    page = _history(web)
    today = _day(now)
    lines = [
        f"You stopped sharing with {POH} — {today}",
        f"You changed sharing with {POH}: weight removed — {today}",
        f"You changed sharing with {POH}: blood sugar added; extended until "
        f"{_day(longer - timedelta(microseconds=1))} — {today}",
        f"You shared your blood pressure and weight with {POH}, until "
        f"{_day(first_end - timedelta(microseconds=1))} — {today}",
    ]
    places = [page.index(line) for line in lines]
    assert places == sorted(places)  # newest first
    with app.app_context():
        row = db.session().scalar(select(Grant).where(Grant.id == grant_id))
        assert row is not None
        assert row.stopped_by == "patient"


def test_a_switched_off_clinicians_stop_says_why(
    app: Flask,
    web: FlaskClient,
    patient: Any,
    clinician: Any,
    make_grant: Callable[..., Any],
) -> None:
    grant_id = make_grant(patient, clinician, categories=("weight",))
    done = app.test_cli_runner().invoke(args=["disable-user", clinician.email])
    assert done.exit_code == 0, done.output
    page = _history(web)
    stop = page.index(
        f"Sharing with {POH} was stopped because this care provider's account was switched off"
    )
    made = page.index(f"You shared your weight with {POH}, until")
    assert stop < made
    assert "You stopped sharing" not in page
    with app.app_context():
        row = db.session().scalar(select(Grant).where(Grant.id == grant_id))
        assert row is not None
        assert row.stopped_by == "disabled"


def test_a_share_that_ran_out_says_so(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    make_grant(patient, clinician, categories=("weight",), state="expired")
    page = _history(web)
    assert f"Sharing with {POH} ended: the end date you chose was reached — " in page
    assert "You stopped sharing" not in page
    assert "was stopped" not in page


def test_two_changes_are_two_rows_and_the_start_stays_as_it_was(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any
) -> None:
    end = datetime.now(UTC) + timedelta(days=200)
    grant_id = _share(app, patient, ["weight"], end)
    with app.test_request_context():
        services.change_terms(patient, grant_id, ["weight", "goals"], None, confirmed=True)
        services.change_terms(patient, grant_id, ["goals"], None)
    with app.app_context():
        rows = [
            (set(r.categories_before.split(",")), set(r.categories_after.split(",")))
            for r in db.session().scalars(
                select(GrantChange)
                .where(GrantChange.grant_id == grant_id)
                .order_by(GrantChange.changed_at)
            )
        ]
    assert rows == [({"weight"}, {"weight", "goals"}), ({"weight", "goals"}, {"goals"})]
    page = _history(web)
    assert page.count("You changed sharing with") == 2
    assert f"You shared your weight with {POH}, until" in page  # as it was made


def test_another_patients_history_never_shows(
    app: Flask,
    web: FlaskClient,
    patient: Any,
    clinician: Any,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., Any],
) -> None:
    other = create_patient(email="other@example.nl")
    bert = create_clinician(email="bert@praktijk.nl", name="Bert Jansen", profession="huisarts")
    make_grant(other, bert, categories=("glucose",), state="revoked")
    make_grant(other, clinician, categories=("glucose",))
    page = _history(web)
    assert "Jansen" not in page
    assert "blood sugar" not in page
    assert "You have not shared your data with anyone yet." in page
    mine = make_grant(patient, clinician, categories=("weight",))
    assert mine
    page = _history(web)
    assert page.count("You shared your") == 1
    assert "blood sugar" not in page


def test_an_older_page_of_looks_does_not_repeat_the_history(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    make_grant(patient, clinician, categories=("weight",))
    page = web.get("/sharing/who-looked?before=5").get_data(as_text=True)
    assert "consent-history" not in page
