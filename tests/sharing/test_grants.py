"""The patient grants, narrows and revokes; bad input and attacks change no grant.
(Sharing more or longer: tests/sharing/test_grant_changes.py.)"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from pgd import db
from pgd.measurements.validation import LOCAL
from pgd.sharing import dossier
from pgd.sharing.forms import local_end
from pgd.sharing.models import Grant, ShareCode
from tests.conftest import count_rows, post_form
from tests.sharing.conftest import logged_in

NOT_FOUND_EMAIL = "We cannot find a care provider with this e-mail address"
BAD_CODE = "This code does not work"


def _code(app: Flask, clinician: Any) -> str:
    with app.test_request_context():
        code, _expires = dossier.new_share_code(clinician)
    return code


def _grants(app: Flask) -> list[Grant]:
    with app.app_context():
        sess = db.session()
        found = list(sess.scalars(select(Grant)))
        sess.expunge_all()
        return found


def _find(client: FlaskClient, **data: str) -> Any:
    return post_form(client, "/sharing/new", data)


def _confirm(client: FlaskClient, **data: Any) -> Any:
    return post_form(client, "/sharing/confirm", data, form_url="/sharing/new")


@pytest.fixture
def patient_client(app: Flask, create_patient: Callable[..., Any]) -> FlaskClient:
    create_patient()
    return logged_in(app, "patient@example.nl")


def test_grant_by_share_code_shows_the_clinician_then_shares(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    clinician = create_clinician()
    code = _code(app, clinician)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code)
    with app.app_context():
        stored = db.session().scalar(select(ShareCode))
        assert stored is not None
        assert code not in stored.digest
    typed = f"{code[:4].lower()} - {code[4:]}"  # forgiving: case, spaces and dashes
    card = _find(patient_client, how="code", code=typed)
    page = card.get_data(as_text=True)
    assert card.status_code == 200
    assert "Anna de Vries" in page
    assert "Huisartsenpraktijk De Linde" in page
    assert re.search(r'<input checked[^>]*value="1y"', page)  # 1 year pre-selected
    assert _grants(app) == []  # nothing shared before confirming
    day_before = datetime.now(LOCAL).date()
    done = _confirm(
        patient_client,
        code=code,
        email="",
        categories=["blood_pressure", "glucose"],
        period="all",
        expiry="1y",
    )
    assert done.status_code == 302
    [grant] = _grants(app)
    assert grant.categories == "blood_pressure,glucose"
    expires = (
        grant.expires_at.replace(tzinfo=UTC)
        if grant.expires_at.tzinfo is None
        else grant.expires_at
    )
    # "1 year" lasts through the end of the local day 365 days on (the day shown).
    ends = {local_end(d + timedelta(days=365)) for d in (day_before, datetime.now(LOCAL).date())}
    assert expires in ends
    overview = patient_client.get("/sharing").get_data(as_text=True)
    assert (
        "Anna de Vries" in overview
        and "bloeddruk" in overview.lower()
        or "blood pressure" in overview
    )
    # The code was single use.
    again = _confirm(
        patient_client, code=code, email="", categories=["weight"], period="all", expiry="3m"
    )
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/sharing/new")
    assert len(_grants(app)) == 1


def test_grant_by_exact_email_with_period_and_end_date(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_clinician()
    card = _find(patient_client, how="email", email="  POH@praktijk.nl ")
    assert "Anna de Vries" in card.get_data(as_text=True)
    until = (datetime.now(UTC) + timedelta(days=30)).strftime("%d-%m-%Y")
    done = _confirm(
        patient_client,
        code="",
        email="poh@praktijk.nl",
        categories=["weight"],
        period="from",
        data_from_day="1-3-2026",
        expiry="date",
        until=until,
    )
    assert done.status_code == 302
    [grant] = _grants(app)
    assert grant.categories == "weight"
    assert grant.data_from is not None
    assert grant.data_from.strftime("%Y-%m-%d") in (
        "2026-02-28",
        "2026-03-01",
    )
    # "Until" is inclusive: the chosen day is shown, not the moment after it ends.
    last = datetime.now(UTC) + timedelta(days=30)
    shown = f"until {last.strftime('%B')} {last.day}, {last.year}"
    overview = patient_client.get("/sharing").get_data(as_text=True)
    assert shown in overview, overview[overview.find("until") - 40 : overview.find("until") + 60]


def test_unknown_email_and_a_patient_email_answer_like_a_typo(
    app: Flask, create_patient: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_patient(email="buurvrouw@example.nl", name="Buurvrouw")
    answers = [
        _find(patient_client, how="email", email=e).get_data(as_text=True)
        for e in ("nobody@praktijk.nl", "buurvrouw@example.nl", "patient@example.nl")
    ]
    for page in answers:
        assert NOT_FOUND_EMAIL in page
        assert "Buurvrouw" not in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABC", "A share code has 8 characters"),
        ("ABCD10OI", "only the letters"),
        ("ABCDEFGH", BAD_CODE),
    ],
)
def test_mistyped_codes_get_a_clear_message(
    app: Flask, patient_client: FlaskClient, typed: str, message: str
) -> None:
    page = _find(patient_client, how="code", code=typed).get_data(as_text=True)
    assert message in page
    assert _grants(app) == []


def test_a_share_code_is_valid_for_15_minutes(
    app: Flask, create_clinician: Callable[..., Any]
) -> None:
    clinician = create_clinician()
    with app.test_request_context():
        before = datetime.now(UTC)
        code, expires = dossier.new_share_code(clinician)
    assert (
        timedelta(minutes=15) - timedelta(seconds=5)
        <= expires - before
        <= timedelta(minutes=15) + timedelta(seconds=5)
    )
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    [stored] = _stored_codes(app)
    assert abs((stored.expires_at.replace(tzinfo=UTC) - expires).total_seconds()) < 1
    assert code not in repr(stored.digest)  # stored as a keyed digest, not the code


def _stored_codes(app: Flask) -> list[ShareCode]:
    with app.app_context():
        sess = db.session()
        found = list(sess.scalars(select(ShareCode)))
        sess.expunge_all()
        return found


def test_an_expired_code_does_not_work(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    code = _code(app, create_clinician())
    with app.app_context(), db.transaction() as sess:
        sess.execute(update(ShareCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert BAD_CODE in _find(patient_client, how="code", code=code).get_data(as_text=True)
    done = _confirm(
        patient_client, code=code, email="", categories=["weight"], period="all", expiry="1y"
    )
    assert done.status_code == 302
    assert _grants(app) == []


def test_share_code_guesses_are_rate_limited_per_patient(
    make_app: Callable[..., Flask], create_clinician: Any
) -> None:
    app = make_app(SHARE_LOOKUP_LIMIT="3 per 20 minutes")
    from pgd.accounts import services

    with app.test_request_context():
        services.register_patient("patient@example.nl", "mijn hond loopt graag mee", "P", None)
        clinician = services.create_clinician(
            "poh@praktijk.nl",
            "mijn hond loopt graag mee",
            "Anna de Vries",
            services.Profession("poh"),  # type: ignore[attr-defined]
        )
    client = logged_in(app, "patient@example.nl")
    for _ in range(3):
        assert BAD_CODE in _find(client, how="code", code="ABCDEFGH").get_data(as_text=True)
    code = _code(app, clinician)
    blocked = _find(client, how="code", code=code).get_data(as_text=True)
    assert "You tried too often. Wait 20 minutes" in blocked  # the window as configured
    assert "Anna de Vries" not in blocked
    # Another patient (from another address) is not slowed down by this one's guesses.
    with app.test_request_context():
        services.register_patient("ander@example.nl", "mijn hond loopt graag mee", "Q", None)
    other = logged_in(app, "ander@example.nl")
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    found = _find(other, how="code", code=code).get_data(as_text=True)
    assert "Anna de Vries" in found


def test_share_lookups_are_also_limited_per_address(
    make_app: Callable[..., Flask], create_clinician: Any
) -> None:
    """Many accounts guessing from one place meet the address limit."""
    app = make_app(SHARE_LOOKUP_LIMIT="5 per 15 minutes", SHARE_LOOKUP_LIMIT_IP="4 per 15 minutes")
    from pgd.accounts import services

    with app.test_request_context():
        for i in range(3):
            services.register_patient(f"p{i}@example.nl", "mijn hond loopt graag mee", "P", None)
        clinician = services.create_clinician(
            "poh@praktijk.nl",
            "mijn hond loopt graag mee",
            "Anna de Vries",
            services.Profession("poh"),  # type: ignore[attr-defined]
        )
    first, second, third = (logged_in(app, f"p{i}@example.nl") for i in range(3))
    for client in (first, first, second, second):  # 2 guesses each: under 5 per patient
        assert BAD_CODE in _find(client, how="code", code="ABCDEFGH").get_data(as_text=True)
    blocked = _find(third, how="code", code=_code(app, clinician)).get_data(as_text=True)
    assert "You tried too often" in blocked or "te vaak" in blocked
    assert "Anna de Vries" not in blocked


def _confirm_error(client: FlaskClient, **overrides: Any) -> str:
    data: dict[str, Any] = {
        "code": "",
        "email": "poh@praktijk.nl",
        "categories": ["weight"],
        "period": "all",
        "expiry": "1y",
    }
    data.update(overrides)
    response = _confirm(client, **data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_bad_choices_are_refused_next_to_the_field(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_clinician()
    assert "Choose at least one thing to share" in _confirm_error(patient_client, categories=[])
    assert "Choose from the list" in _confirm_error(patient_client, categories=["profile"])
    assert "The end date has passed" in _confirm_error(
        patient_client, expiry="date", until="1-1-2020"
    )
    assert "Fill in the last day" in _confirm_error(patient_client, expiry="date", until="")
    assert "day-month-year" in _confirm_error(patient_client, expiry="date", until="31-02-2027")
    future = (datetime.now(UTC) + timedelta(days=40)).strftime("%d-%m-%Y")
    assert "cannot be in the future" in _confirm_error(
        patient_client, period="from", data_from_day=future
    )
    assert _grants(app) == []


def test_a_second_grant_to_the_same_clinician_is_refused(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_clinician()
    _confirm(
        patient_client,
        code="",
        email="poh@praktijk.nl",
        categories=["weight"],
        period="all",
        expiry="1y",
    )
    page = _confirm_error(patient_client, categories=["glucose"])
    assert "You already share with this care provider" in page
    [grant] = _grants(app)
    assert grant.categories == "weight"


def _grant_via_pages(client: FlaskClient, categories: list[str]) -> uuid.UUID:
    _confirm(
        client, code="", email="poh@praktijk.nl", categories=categories, period="all", expiry="1y"
    )
    found = re.search(r"/sharing/([0-9a-f-]{36})", client.get("/sharing").get_data(as_text=True))
    assert found is not None
    return uuid.UUID(found.group(1))


def test_narrow_removes_categories_and_shortens_but_never_widens_unasked(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_clinician()
    grant_id = _grant_via_pages(patient_client, ["blood_pressure", "weight"])
    url = f"/sharing/{grant_id}"
    # Sharing more or longer is allowed now, but only after a confirm step: the first
    # post shows what changes and saves nothing.
    wider = post_form(
        patient_client, url, {"categories": ["blood_pressure", "glucose"], "expiry": "keep"}
    )
    assert wider.status_code == 200
    assert "will also see your blood sugar" in wider.get_data(as_text=True)
    longer = post_form(
        patient_client, url, {"categories": ["weight"], "expiry": "date", "until": "1-1-2040"}
    )
    assert "Sharing lasts longer: until January 1, 2040" in longer.get_data(as_text=True)
    none = post_form(patient_client, url, {"expiry": "keep"})
    assert "Choose at least one thing" in none.get_data(as_text=True)
    [grant] = _grants(app)
    assert grant.categories == "blood_pressure,weight"
    soon = (datetime.now(UTC) + timedelta(days=10)).strftime("%d-%m-%Y")
    ok = post_form(patient_client, url, {"categories": ["weight"], "expiry": "date", "until": soon})
    assert ok.status_code == 302
    [grant] = _grants(app)
    assert grant.categories == "weight"
    assert grant.changed_at is not None


def test_revoke_is_one_button_and_a_confirmation(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_clinician()
    grant_id = _grant_via_pages(patient_client, ["weight"])
    confirm_page = patient_client.get(f"/sharing/{grant_id}/stop")
    assert "Yes, stop sharing" in confirm_page.get_data(as_text=True) or "stoppen" in (
        confirm_page.get_data(as_text=True)
    )
    assert _grants(app)[0].revoked_at is None  # the GET changes nothing
    done = post_form(patient_client, f"/sharing/{grant_id}/stop", {})
    assert done.status_code == 302
    assert _grants(app)[0].revoked_at is not None
    assert patient_client.get(f"/sharing/{grant_id}/stop").status_code == 404  # once is enough


def test_another_patient_cannot_touch_my_grant(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    patient_client: FlaskClient,
) -> None:
    create_clinician()
    grant_id = _grant_via_pages(patient_client, ["weight"])
    create_patient(email="ander@example.nl")
    other = logged_in(app, "ander@example.nl")
    for url in (f"/sharing/{grant_id}", f"/sharing/{grant_id}/stop"):
        assert other.get(url).status_code == 404
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', other.get("/sharing").get_data(as_text=True)
    ).group(1)  # type: ignore[union-attr]
    assert other.post(f"/sharing/{grant_id}/stop", data={"csrf_token": token}).status_code == 404
    assert _grants(app)[0].revoked_at is None


def test_roles_stay_on_their_own_pages(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    for url in ("/clinician", "/clinician/share-code", f"/clinician/patients/{uuid.uuid4()}"):
        refused = patient_client.get(url)
        assert refused.status_code == 404, url
        # A patient is not told about shares: the plain "does not exist" page.
        assert "This page does not exist" in refused.get_data(as_text=True)
    create_clinician()
    clinician = logged_in(app, "poh@praktijk.nl")
    for url in ("/sharing", "/sharing/new", "/sharing/who-looked"):
        assert clinician.get(url).status_code == 404, url
    assert clinician.post("/sharing/confirm").status_code in (400, 404)
    assert count_rows(app, "grants") == 0


def test_a_clinician_cannot_grant_to_themselves(
    app: Flask, create_clinician: Callable[..., Any], verified_client: Any
) -> None:
    """Fully logged in (second factor passed), with a valid form token and their own
    share code or e-mail: the patient's pages are not theirs, so nothing happens."""
    me = create_clinician()
    web = verified_client(me)
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', web.get("/clinician/share-code").get_data(True)
    ).group(1)  # type: ignore[union-attr]
    code = _code(app, me)
    for data in (
        {"how": "code", "code": code},
        {"how": "email", "email": "poh@praktijk.nl"},
    ):
        assert web.post("/sharing/new", data={**data, "csrf_token": token}).status_code == 404
    confirm = {
        "csrf_token": token,
        "code": code,
        "email": "",
        "categories": ["weight"],
        "period": "all",
        "expiry": "1y",
    }
    assert web.post("/sharing/confirm", data=confirm).status_code == 404
    assert count_rows(app, "grants") == 0


def test_the_overview_shows_status_cover_and_end_of_every_share(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    from tests.sharing.conftest import set_state

    patient = create_patient()
    for i, state in enumerate(("active", "expired", "revoked")):
        clinician = create_clinician(
            email=f"c{i}@praktijk.nl", name=f"Zorg Verlener{i}", profession="huisarts"
        )
        grant_id = make_grant(patient, clinician, categories=("weight", "glucose"))
        if state != "active":
            set_state(app, grant_id, state)
    page = logged_in(app, "patient@example.nl").get("/sharing").get_data(as_text=True)
    items = [part.split("</li>")[0] for part in page.split('<li class="card')[1:]]
    cards = {i: next(c for c in items if f"Zorg Verlener{i}</h2>" in c) for i in range(3)}
    assert "Active</strong>" in cards[0]
    assert "until " in cards[0]
    assert "Stop sharing" in cards[0]
    assert ">Change<span" in cards[0]  # add, remove, extend or shorten
    assert "Expired</strong>" in cards[1]
    assert "ended on " in cards[1]
    assert "Stopped</strong>" in cards[2]
    assert "stopped on " in cards[2]
    for i in (1, 2):
        assert "Stop sharing" not in cards[i]  # nothing left to stop
        assert ">Change<span" not in cards[i]
    for card in cards.values():
        assert "Shares: weight and blood sugar." in card or "Shares: blood sugar and weight." in (
            card
        )
        assert "GP" in card or "huisarts" in card.lower()


def test_the_sharing_forms_forgive_and_point_at_the_right_field(
    app: Flask, create_clinician: Callable[..., Any], patient_client: FlaskClient
) -> None:
    create_clinician()
    # The e-mail typed while "share code" stayed chosen: the e-mail is what was meant.
    card = _find(patient_client, how="code", code="", email="poh@praktijk.nl")
    text = card.get_data(as_text=True)
    assert "Anna de Vries" in text
    # Dates to choose are not the patient's birthday: no "bday" autofill offered.
    assert 'autocomplete="bday"' not in text
    assert text.count('autocomplete="off"') >= 2
    # "Only from a date" without a date: the message is at the date, nothing vague.
    missing = _confirm_error(
        patient_client, period="from", data_from_day="", categories=["weight", "glucose"]
    )
    assert "Fill in the first day" in missing
    assert "This did not work" not in missing
    assert missing.count("checked") >= 3  # weight, glucose and "from a date" stay ticked
    until = _confirm_error(patient_client, expiry="date", until="")
    assert "Fill in the last day" in until
    assert "This did not work" not in until
    past = _confirm_error(patient_client, expiry="date", until="1-1-2020")
    assert "The end date has passed" in past
    assert _grants(app) == []


def test_only_the_birth_date_offers_birthday_autofill(client: FlaskClient) -> None:
    page = client.get("/register").get_data(as_text=True)
    assert 'autocomplete="bday"' in page


def test_two_confirmations_at_once_make_one_grant(
    app: Flask, create_patient: Callable[..., Any], create_clinician: Callable[..., Any]
) -> None:
    """A double click, or two tabs: both confirm at the same moment. One share is made,
    the other request hears "you already share with this care provider"."""
    import threading

    from pgd.sharing import services
    from pgd.sharing.services import SharingError

    clinician = create_clinician()
    for round_ in range(4):
        patient = create_patient(email=f"dubbel{round_}@example.nl")
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def confirm(
            patient: Any = patient,
            start: threading.Barrier = start,
            outcomes: list[str] = outcomes,
        ) -> None:
            with app.test_request_context():
                start.wait(timeout=10)
                try:
                    services.create_grant(
                        patient,
                        email="poh@praktijk.nl",
                        categories=["weight"],
                        data_from=None,
                        expires_at=datetime.now(UTC) + timedelta(days=30),
                    )
                    outcomes.append("made")
                except SharingError as exc:
                    outcomes.append(f"{exc.field}:{exc.code}")

        threads = [threading.Thread(target=confirm) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(outcomes) == ["clinician:already", "made"], outcomes
    assert len([g for g in _grants(app) if g.clinician_id == clinician.id]) == 4
