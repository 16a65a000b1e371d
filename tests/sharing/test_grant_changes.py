"""Shares that can grow: add categories, extend, shorten or remove on one page; sharing
more or longer only after a confirm step; every change kept and shown to the patient;
"3 months" and "1 year" end at the end of the day shown; a new share code cancels the
previous one; bad input changes nothing."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy import select, update

from pgd import db
from pgd.measurements.validation import LOCAL
from pgd.sharing import dossier, forms, policy, routes_patient, services
from pgd.sharing.forms import ChangeForm, GrantForm
from pgd.sharing.models import Grant, GrantChange
from pgd.sharing.services import SharingError
from tests.conftest import count_rows, csrf_token, post_form
from tests.sharing.conftest import logged_in, set_state

SAME = "This is already what you share, so nothing was changed."


@pytest.fixture
def patient(create_patient: Callable[..., Any]) -> Any:
    return create_patient()


@pytest.fixture
def clinician(create_clinician: Callable[..., Any]) -> Any:
    return create_clinician()  # Anna de Vries, poh@praktijk.nl


@pytest.fixture
def web(app: Flask, patient: Any) -> FlaskClient:
    return logged_in(app, "patient@example.nl")


def _row(app: Flask, grant_id: uuid.UUID) -> tuple[Any, ...]:
    """The grant's terms as stored (UTC-aware), to compare before and after."""
    with app.app_context():
        row = db.session().scalar(select(Grant).where(Grant.id == grant_id))
        assert row is not None
        return (
            row.categories,
            policy.aware(row.expires_at),
            policy.aware(row.data_from),
            policy.aware(row.changed_at),
        )


def _set_end(app: Flask, grant_id: uuid.UUID, expires_at: datetime) -> None:
    with app.app_context(), db.transaction() as sess:
        sess.execute(update(Grant).where(Grant.id == grant_id).values(expires_at=expires_at))


def _changes(app: Flask) -> list[GrantChange]:
    with app.app_context():
        sess = db.session()
        found = list(sess.scalars(select(GrantChange).order_by(GrantChange.changed_at)))
        sess.expunge_all()
        return found


def _hidden_fields(page: str) -> dict[str, Any]:
    """What the confirm step sends back, as a browser would (repeated names as lists)."""
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        value = re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        data.setdefault(name, []).append(value)
    return {k: v if k == "categories" else v[0] for k, v in data.items()}


def _error_at(page: str, field: str) -> str:
    """The message shown next to one field ("" when there is none)."""
    found = re.search(rf'id="{field}-error">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


class _Clock:
    """The routes' clock set to a fixed moment (the service keeps the real time)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, moment: datetime) -> None:
        class Frozen(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return moment.astimezone(tz)

        self.monkeypatch.setattr(routes_patient, "datetime", Frozen)
        self.monkeypatch.setattr(forms, "datetime", Frozen)  # the days named on the form


# -- adding, extending, narrowing ------------------------------------------------------
def test_adding_a_category_is_confirmed_first_then_saved_and_shown(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    first_day = datetime(2026, 3, 1, tzinfo=LOCAL).astimezone(UTC)
    grant_id = make_grant(patient, clinician, categories=("weight",), data_from=first_day)
    before = _row(app, grant_id)
    url = f"/sharing/{grant_id}"
    form = web.get(url).get_data(as_text=True)
    for code in ("blood_pressure", "weight", "glucose", "goals"):  # everything is offered
        assert f'value="{code}"' in form
    assert re.search(r'<input checked[^>]*value="weight"', form)  # what is shared now
    assert not re.search(r'<input checked[^>]*value="glucose"', form)

    ask = post_form(web, url, {"categories": ["weight", "glucose"], "expiry": "keep"})
    page = ask.get_data(as_text=True)
    assert ask.status_code == 200
    assert "Anna de Vries will also see your blood sugar, from March 1, 2026 on." in page
    assert _row(app, grant_id) == before  # nothing saved before the confirmation
    assert _changes(app) == []

    done = web.post(url, data=_hidden_fields(page))
    assert done.status_code == 302
    categories, expires, data_from, changed = _row(app, grant_id)
    assert categories == "weight,glucose"
    assert expires == before[1]  # "keep the end date"
    assert data_from == first_day  # the period stays as it was
    assert changed is not None
    [change] = _changes(app)
    assert (change.grant_id, change.patient_id) == (grant_id, patient.id)
    assert (change.categories_before, change.categories_after) == ("weight", "weight,glucose")
    assert policy.aware(change.expires_before) == policy.aware(change.expires_after) == expires
    overview = web.get("/sharing").get_data(as_text=True)
    today = datetime.now(LOCAL)
    assert f"Changed on {today:%B} {today.day}, {today.year}: blood sugar added." in overview


def test_extending_is_confirmed_first_and_ends_at_the_end_of_the_day_shown(
    app: Flask,
    web: FlaskClient,
    patient: Any,
    clinician: Any,
    make_grant: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Extended "3 months" at 00:30 on 2 August 2027 (summer time): through 1 November,
    after the clocks went back on 31 October: 23:00 UTC, not 22:00."""
    grant_id = make_grant(patient, clinician, categories=("blood_pressure",))
    _set_end(app, grant_id, datetime(2027, 1, 1, tzinfo=LOCAL).astimezone(UTC))
    _Clock(monkeypatch).set(datetime(2027, 8, 1, 22, 30, tzinfo=UTC))
    url = f"/sharing/{grant_id}"
    ask = post_form(web, url, {"categories": ["blood_pressure"], "expiry": "3m"})
    page = ask.get_data(as_text=True)
    assert "Sharing lasts longer: until November 1, 2027 (now until December 31, 2026)." in page
    assert _changes(app) == []
    assert web.post(url, data=_hidden_fields(page)).status_code == 302
    assert _row(app, grant_id)[1] == datetime(2027, 11, 1, 23, 0, tzinfo=UTC)
    assert _row(app, grant_id)[0] == "blood_pressure"
    overview = web.get("/sharing").get_data(as_text=True)
    assert "until November 1, 2027" in overview
    assert "extended until November 1, 2027." in overview


def test_narrowing_saves_at_once_and_the_history_is_newest_first(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    grant_id = make_grant(patient, clinician, categories=("blood_pressure", "weight"))
    url = f"/sharing/{grant_id}"
    soon = (datetime.now(LOCAL) + timedelta(days=10)).date()
    done = post_form(
        web, url, {"categories": ["weight"], "expiry": "date", "until": f"{soon:%d-%m-%Y}"}
    )
    assert done.status_code == 302  # less and shorter: no confirm step needed
    end = datetime.combine(soon + timedelta(days=1), time(0), tzinfo=LOCAL)  # that day, inclusive
    assert _row(app, grant_id)[:2] == ("weight", end)
    ask = post_form(web, url, {"categories": ["weight", "goals"], "expiry": "keep"})
    assert web.post(url, data=_hidden_fields(ask.get_data(as_text=True))).status_code == 302
    assert [c.categories_after for c in _changes(app)] == ["weight", "weight,goals"]
    page = web.get("/sharing").get_data(as_text=True)
    added = page.index("goals (with questions for the consult) added.")
    removed = page.index(
        f"blood pressure removed; shortened until {soon:%B} {soon.day}, {soon.year}."
    )
    assert added < removed  # newest first


def test_an_end_on_the_day_already_shown_is_not_an_extension(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    """A share made before ends mid-day; "1 year" from the day it was made names the same
    last day. That is no consent change: the end stays, nothing asks to confirm it."""
    grant_id = make_grant(patient, clinician, categories=("weight",))
    last = datetime.now(LOCAL).date() + timedelta(days=365)
    noon = datetime.combine(last, time(12), tzinfo=LOCAL).astimezone(UTC)
    _set_end(app, grant_id, noon)
    url = f"/sharing/{grant_id}"
    same = post_form(web, url, {"categories": ["weight"], "expiry": "1y"})
    assert SAME in _error_at(same.get_data(as_text=True), "categories")
    ask = post_form(web, url, {"categories": ["weight", "glucose"], "expiry": "1y"})
    page = ask.get_data(as_text=True)
    assert "will also see your blood sugar" in page
    assert "Sharing lasts longer" not in page
    assert web.post(url, data=_hidden_fields(page)).status_code == 302
    assert _row(app, grant_id)[:2] == ("weight,glucose", noon)
    [change] = _changes(app)
    assert policy.aware(change.expires_before) == policy.aware(change.expires_after) == noon


# -- "3 months" and "1 year" end at the end of the day shown ---------------------------
# (now in UTC, choice, the last day shown and working, the stored end in UTC)
ENDS = [
    # The example of issue 11: shared on 29-11-2026, "3 months" works t/m 28-02-2027.
    (datetime(2026, 11, 29, 9, 46, tzinfo=UTC), "3m", date(2027, 2, 28), (2027, 2, 28, 23)),
    # 00:30 local is already the next day: counted from 30 November.
    (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "3m", date(2027, 3, 1), (2027, 3, 1, 23)),
    # Across the start of summer time (28-03-2027): the day ends at 22:00 UTC.
    (datetime(2027, 1, 15, 12, 0, tzinfo=UTC), "3m", date(2027, 4, 16), (2027, 4, 16, 22)),
    # Across the end of summer time (31-10-2027), started at 00:30 summer time.
    (datetime(2027, 8, 1, 22, 30, tzinfo=UTC), "3m", date(2027, 11, 1), (2027, 11, 1, 23)),
    (datetime(2026, 11, 29, 9, 46, tzinfo=UTC), "1y", date(2027, 11, 29), (2027, 11, 29, 23)),
    # Started on the 23-hour day itself; 2028 is a leap year.
    (datetime(2027, 3, 27, 23, 30, tzinfo=UTC), "1y", date(2028, 3, 27), (2028, 3, 27, 22)),
]


@pytest.mark.parametrize("form_class", [GrantForm, ChangeForm])
@pytest.mark.parametrize(("now", "choice", "last", "stored"), ENDS)
def test_spans_end_at_the_end_of_the_local_day_shown(
    app: Flask,
    form_class: type[Any],
    now: datetime,
    choice: str,
    last: date,
    stored: tuple[int, int, int, int],
) -> None:
    with app.test_request_context():  # Dutch, the default
        form = form_class(formdata=None)
        form.expiry.data = choice
        end = form.expires_at(now)
        assert end == datetime(*stored, tzinfo=UTC)
        last_moment = (end - timedelta(microseconds=1)).astimezone(LOCAL)
        assert (last_moment.date(), last_moment.time().isoformat()) == (last, "23:59:59.999999")
        shown = render_template_string("t/m {{ end|last_day }}", end=end)
        months = ["februari", "maart", "april", "november"]
        assert shown == f"t/m {last.day} {months[[2, 3, 4, 11].index(last.month)]} {last.year}"


def test_a_new_share_of_3_months_works_through_the_last_day_shown(
    app: Flask,
    web: FlaskClient,
    patient: Any,
    clinician: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _Clock(monkeypatch).set(datetime(2027, 1, 15, 12, 0, tzinfo=UTC))
    choose = post_form(web, "/sharing/new", {"how": "email", "email": "poh@praktijk.nl"})
    assert "3 months (until April 16, 2027)" in choose.get_data(as_text=True)
    data = {"code": "", "email": "poh@praktijk.nl", "categories": ["weight"], "period": "all"}
    done = post_form(web, "/sharing/confirm", {**data, "expiry": "3m"}, form_url="/sharing/new")
    assert done.status_code == 302
    with app.app_context():
        grant_id = db.session().scalar(select(Grant.id))
    assert grant_id is not None
    end = _row(app, grant_id)[1]
    assert end == datetime(2027, 4, 16, 22, 0, tzinfo=UTC)  # 00:00 on 17 April, summer time
    assert "until April 16, 2027" in web.get("/sharing").get_data(as_text=True)
    with app.app_context():  # the door agrees: open through the last moment of that day
        assert policy.active_grant(clinician.id, patient.id, end - timedelta(microseconds=1))
        assert policy.active_grant(clinician.id, patient.id, end) is None


# -- a new share code cancels the previous one ------------------------------------------
def test_a_new_share_code_cancels_the_previous_unused_one(
    app: Flask, web: FlaskClient, clinician: Any, verified_client: Callable[..., FlaskClient]
) -> None:
    clinician_web = verified_client(clinician)
    page = clinician_web.get("/clinician/share-code").get_data(as_text=True)
    assert "Each new code cancels your previous code" in page
    shown = post_form(clinician_web, "/clinician/share-code", {}).get_data(as_text=True)
    assert "A new code cancels this one, also when nobody has used it yet." in shown
    with app.test_request_context():
        first, _expires = dossier.new_share_code(clinician)
        second, _expires = dossier.new_share_code(clinician)
    old = post_form(web, "/sharing/new", {"how": "code", "code": first})
    assert "This code does not work" in _error_at(old.get_data(as_text=True), "code")
    new = post_form(web, "/sharing/new", {"how": "code", "code": second})
    assert "Anna de Vries" in new.get_data(as_text=True)
    assert count_rows(app, "share_codes") == 1


# -- bad input changes nothing ----------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"categories": ["weight", "profile"], "expiry": "keep"},
            "categories",
            "Choose from the list",
        ),
        (
            {"categories": ["weight", "profile"], "expiry": "keep", "confirmed": "yes"},
            "categories",
            "Choose from the list",
        ),
        ({"expiry": "keep"}, "categories", "Choose at least one thing"),
        (
            {"categories": ["weight"], "expiry": "date", "until": "1-1-2020"},
            "until",
            "The end date has passed",
        ),
        (
            {
                "categories": ["weight", "glucose"],
                "expiry": "date",
                "until": "1-1-2020",
                "confirmed": "yes",
            },
            "until",
            "The end date has passed",
        ),
        (
            {"categories": ["weight"], "expiry": "date", "until": ""},
            "until",
            "Fill in the last day",
        ),
        ({"categories": ["weight"], "expiry": "5y"}, "expiry", "Not a valid choice"),
        ({"categories": ["weight"], "expiry": "keep"}, "categories", SAME),
    ],
)
def test_bad_changes_are_refused_next_to_the_field(
    app: Flask,
    web: FlaskClient,
    patient: Any,
    clinician: Any,
    make_grant: Callable[..., Any],
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    grant_id = make_grant(patient, clinician, categories=("weight",))
    before = _row(app, grant_id)
    refused = post_form(web, f"/sharing/{grant_id}", data)
    assert refused.status_code == 200
    assert message in _error_at(refused.get_data(as_text=True), field)
    assert _row(app, grant_id) == before
    assert _changes(app) == []


@pytest.mark.parametrize("state", ["revoked", "expired", "someone else's"])
def test_a_stopped_expired_or_other_patients_grant_cannot_be_changed(
    app: Flask,
    web: FlaskClient,
    create_patient: Callable[..., Any],
    patient: Any,
    clinician: Any,
    make_grant: Callable[..., Any],
    state: str,
) -> None:
    owner = create_patient(email="ander@example.nl") if state == "someone else's" else patient
    grant_id = make_grant(owner, clinician, categories=("weight",))
    if owner is patient:
        set_state(app, grant_id, state)
    before = _row(app, grant_id)
    url = f"/sharing/{grant_id}"
    assert web.get(url).status_code == 404
    token = csrf_token(web, "/sharing")
    for data in (
        {"categories": ["weight", "glucose"], "expiry": "1y"},
        {"categories": ["weight", "glucose"], "expiry": "1y", "confirmed": "yes"},
        {"categories": ["weight"], "expiry": "keep"},
    ):
        assert web.post(url, data={**data, "csrf_token": token}).status_code == 404
    assert _row(app, grant_id) == before
    assert _changes(app) == []


def test_a_double_submit_of_the_confirmation_changes_once(
    app: Flask, web: FlaskClient, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    grant_id = make_grant(patient, clinician, categories=("weight",))
    url = f"/sharing/{grant_id}"
    ask = post_form(web, url, {"categories": ["weight", "glucose"], "expiry": "1y"})
    confirm = _hidden_fields(ask.get_data(as_text=True))
    assert web.post(url, data=confirm).status_code == 302
    after = _row(app, grant_id)
    again = web.post(url, data=confirm)
    assert again.status_code == 200
    assert SAME in _error_at(again.get_data(as_text=True), "categories")
    assert _row(app, grant_id) == after
    assert len(_changes(app)) == 1


def test_the_service_asks_before_sharing_more_and_two_changes_at_once_make_one(
    app: Flask, patient: Any, clinician: Any, make_grant: Callable[..., Any]
) -> None:
    grant_id = make_grant(patient, clinician, categories=("weight",))
    before = _row(app, grant_id)
    with app.test_request_context(), pytest.raises(services.NeedsConfirmation) as asked:
        services.change_terms(patient, grant_id, ["weight", "glucose"], None)
    assert asked.value.change.added == ("glucose",)
    assert _row(app, grant_id) == before
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def change() -> None:
        with app.test_request_context():
            start.wait(timeout=10)
            try:
                services.change_terms(
                    patient, grant_id, ["weight", "glucose"], None, confirmed=True
                )
                outcomes.append("changed")
            except SharingError as exc:
                outcomes.append(f"{exc.field}:{exc.code}")

    threads = [threading.Thread(target=change) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["categories:same", "changed"], outcomes
    assert _row(app, grant_id)[0] == "weight,glucose"
    assert len(_changes(app)) == 1
