"""What a care provider may write during a consult, and only that (issue 11).

The agreed blood pressure target, a consult question marked discussed, a proposed goal
the patient accepts or declines. Each write is its own action in the access log and a
plain sentence on the patient's "who looked" page; bad input changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from pgd import crypto, db
from pgd.goals import proposals, questions
from pgd.measurements import targets
from pgd.measurements.models import Measurement
from pgd.measurements.validation import LOCAL
from pgd.sharing.policy import CLINICIAN_WRITES, SHAREABLE, Action, decide
from tests.conftest import acting_as_clinician, count_rows, login, post_form
from tests.sharing.conftest import add_readings, allowed_events, logged_in, set_state

TOKEN_PAGE = "/clinician/share-code"  # any clinician page with a form: the session's token


def _today() -> str:
    return datetime.now(UTC).astimezone(LOCAL).strftime("%-d %B %Y")


def _actions(app: Flask) -> list[str]:
    from sqlalchemy import text

    from pgd import db

    with app.app_context():
        return list(db.session().scalars(text("SELECT action FROM access_events ORDER BY seq")))


def _agree(web: Any, patient_id: uuid.UUID, **data: str) -> Any:
    return post_form(
        web,
        f"/clinician/patients/{patient_id}/agreed-target",
        {"systolic": "140", "diastolic": "90", "note": "", **data},
    )


def test_the_poh_records_an_agreed_target_the_patient_sees_who_and_when(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient(birth_date=datetime(1944, 5, 1).date())
    add_readings(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician)
    web = verified_client(clinician)
    form = web.get(f"/clinician/patients/{patient.id}/agreed-target").get_data(as_text=True)
    assert "Now: below 150/85 (NHG target for home measurement, 70 years and older)." in form
    done = _agree(web, patient.id, note="Duizelig bij opstaan")
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/clinician/patients/{patient.id}")
    # The patient's pages use it, named with who and when.
    own = logged_in(app, "patient@example.nl")
    settings = own.get("/settings").get_data(as_text=True)
    assert f"below 140/90 (agreed with A. de Vries (POH) on {_today()})" in settings
    assert "Duizelig bij opstaan" in settings
    with app.test_request_context():
        assert targets.resolve(patient, patient.id).blood_pressure.pair == (140, 90)
    # Its own action in the log, and a plain sentence for the patient.
    # (the form page was opened twice: once above, once by post_form for its token)
    assert _actions(app) == ["view_summary", "view_summary", "agree_target"]
    looked = own.get("/sharing/who-looked").get_data(as_text=True)
    assert "A. de Vries, practice support worker (POH) recorded the agreed target" in looked


def test_a_patient_change_is_kept_and_shown_to_the_care_provider(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    grant = make_grant(patient, clinician, categories=("blood_pressure",))
    web = verified_client(clinician)
    assert _agree(web, patient.id).status_code == 302
    own = logged_in(app, "patient@example.nl")
    changed = post_form(
        own,
        "/settings/agreed-target",
        {"systolic": "135", "diastolic": "85", "note": "Afgesproken aan de telefoon"},
        form_url="/settings",
    )
    assert changed.status_code == 302
    page = web.get(f"/clinician/patients/{patient.id}/agreed-target").get_data(as_text=True)
    assert f"below 135/85 (agreed target, changed by the patient on {_today()})" in page
    long_day = datetime.now(UTC).astimezone(LOCAL).strftime("%B %-d, %Y")  # en "long"
    assert f"140/90 · agreed with A. de Vries (POH) on {long_day}" in page  # history kept
    # Stopping the share leaves the target in place, as the patient's history.
    set_state(app, grant, "revoked")
    with app.test_request_context():
        assert [e.systolic for e in targets.agreed_history(patient, patient.id)] == [135, 140]
        assert targets.resolve(patient, patient.id).blood_pressure.pair == (135, 85)


def test_a_patient_without_an_agreed_target_cannot_make_one_up(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    create_patient()
    own = logged_in(app, "patient@example.nl")
    assert 'action="/settings/agreed-target"' not in own.get("/settings").get_data(as_text=True)
    refused = post_form(
        own, "/settings/agreed-target", {"systolic": "150", "diastolic": "95"}, form_url="/settings"
    )
    assert refused.status_code == 404
    assert count_rows(app, "agreed_targets") == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"systolic": "abc"}, "systolic", "Fill in a whole number"),
        ({"systolic": ""}, "systolic", "Fill in this value."),
        ({"systolic": "250"}, "systolic", "180"),
        ({"diastolic": "40"}, "diastolic", "50"),
        ({"systolic": "105", "diastolic": "105"}, "diastolic", "must be below the upper"),
        ({"note": "x" * 201}, "note", "at most 200 characters"),
    ],
)
def test_a_wrong_agreed_target_says_what_is_wrong_and_saves_nothing(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    make_grant(patient, clinician)
    answer = _agree(verified_client(clinician), patient.id, **data)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in body
    assert count_rows(app, "agreed_targets") == 0
    assert "agree_target" not in _actions(app)


def test_the_poh_marks_a_question_discussed_the_patient_sees_it(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    with app.test_request_context():
        q = questions.add_question(patient, patient.id, "Mag ik later eten?")
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("goals",))
    web = verified_client(clinician)
    url = f"/clinician/patients/{patient.id}/questions/{q.id}/discussed"
    done = post_form(web, url, {}, form_url=TOKEN_PAGE)
    assert done.status_code == 302
    with app.test_request_context():
        (after,) = questions.consult_questions(patient, patient.id, include_discussed=True)
    assert after.discussed
    assert after.discussed_with == "A. de Vries|poh"
    # A second click writes and logs nothing more; an unknown question is 404.
    assert post_form(web, url, {}, form_url=TOKEN_PAGE).status_code == 302
    assert _actions(app) == ["mark_discussed"]
    other = f"/clinician/patients/{patient.id}/questions/{uuid.uuid4()}/discussed"
    assert post_form(web, other, {}, form_url=TOKEN_PAGE).status_code == 404
    own = logged_in(app, "patient@example.nl")
    assert "marked a question of yours as discussed" in own.get("/sharing/who-looked").get_data(
        as_text=True
    )


def test_a_proposed_goal_is_accepted_once_or_declined(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("goals",))
    web = verified_client(clinician)
    url = f"/clinician/patients/{patient.id}/propose-goal"
    wrong = post_form(web, url, {"text": "", "per_week": "9"})
    assert wrong.status_code == 200
    assert 'id="text-error"' in wrong.get_data(as_text=True)
    assert 'id="per_week-error"' in wrong.get_data(as_text=True)
    assert count_rows(app, "goals") == 0
    for text in ("Elke dag 30 minuten wandelen", "Twee keer per week zwemmen"):
        assert post_form(web, url, {"text": text, "per_week": "5"}).status_code == 302
    own = logged_in(app, "patient@example.nl")
    home = own.get("/home").get_data(as_text=True)
    assert "A. de Vries (POH) proposes a goal: “Elke dag 30 minuten wandelen”." in home
    page = own.get("/goals").get_data(as_text=True)
    assert "Proposed by your practice" in page
    assert "Proposed by A. de Vries (POH) on" in page
    with app.test_request_context():
        walk, swim = sorted(proposals.proposals(patient, patient.id), key=lambda p: p.text)
    accept = f"/goals/proposals/{walk.id}/accept"
    assert post_form(own, accept, {}, form_url="/goals").status_code == 302
    again = post_form(own, accept, {}, form_url="/goals", follow_redirects=True)
    assert "You already answered this proposal." in again.get_data(as_text=True)
    decline = f"/goals/proposals/{walk.id}/decline"
    assert "You already answered" in post_form(
        own, decline, {}, form_url="/goals", follow_redirects=True
    ).get_data(as_text=True)
    assert (
        post_form(own, f"/goals/proposals/{swim.id}/decline", {}, form_url="/goals").status_code
        == 302
    )
    with app.test_request_context():
        states = {p.text: p.state for p in proposals.proposals(patient, patient.id)}
    assert states == {
        "Elke dag 30 minuten wandelen": "active",
        "Twee keer per week zwemmen": "declined",
    }
    goals_page = own.get("/goals").get_data(as_text=True)
    assert "Elke dag 30 minuten wandelen" in goals_page
    assert "Proposal declined" in goals_page
    assert _actions(app) == ["propose_goal", "propose_goal"]


def test_the_policy_allows_exactly_the_clinician_writes(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    """Every action × every category, with an active grant of everything: a clinician may
    do only the writes CLINICIAN_WRITES names, each on its one category."""
    from tests.sharing.conftest import enrol

    patient = create_patient()
    clinician = create_clinician()
    make_grant(patient, clinician)
    enrol(app, clinician)
    allowed = {(a, c) for a, (c, _tables) in CLINICIAN_WRITES.items()} | {
        (Action.READ, c) for c in (*SHAREABLE, "profile")
    }
    with acting_as_clinician(app, clinician):
        for action in Action:
            for category in (*SHAREABLE, "profile", "unknown"):
                got = decide(clinician, patient.id, category, action) is not None
                assert got == ((action, category) in allowed), (action, category)
    assert set(CLINICIAN_WRITES) == {
        Action.AGREE_TARGET,
        Action.REQUEST_WEEK,
        Action.MARK_DISCUSSED,
        Action.PROPOSE_GOAL,
    }


def test_the_key_release_seals_only_where_the_write_was_allowed(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> None:
    from tests.sharing.conftest import enrol

    patient = create_patient()
    add_readings(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician)
    enrol(app, clinician)
    row = uuid.uuid4()
    with acting_as_clinician(app, clinician):
        decide(clinician, patient.id, "blood_pressure", Action.READ)
        cipher = crypto.cipher_for(patient.id, crypto.Category.BLOOD_PRESSURE)
        # Reading is allowed: the patient's own sealed readings open with it.
        (reading_id, sealed) = (
            db.session()
            .execute(
                select(Measurement.id, Measurement.payload_sealed).where(
                    Measurement.patient_id == patient.id, Measurement.kind == "blood_pressure"
                )
            )
            .first()
        )
        assert cipher.open("measurements", reading_id, sealed)
        with pytest.raises(crypto.KeyNotPermitted):
            cipher.seal("agreed_targets", row, b"{}")  # a read released no write
        decide(clinician, patient.id, "blood_pressure", Action.AGREE_TARGET)
        cipher.seal("agreed_targets", row, b"{}")  # now this one table, and only it
        for table in ("measurements", "goals", "consult_questions"):
            with pytest.raises(crypto.KeyNotPermitted):
                cipher.seal(table, row, b"{}")
    with app.test_request_context():
        crypto.limit_keys_to(patient.id)  # the patient's own request seals anything of theirs
        crypto.cipher_for(patient.id, crypto.Category.BLOOD_PRESSURE).seal(
            "measurements", row, b"x"
        )


WRITES = {
    "agree_target": ("blood_pressure", "agreed_targets"),
    "request_week": ("blood_pressure", "measuring_weeks"),
    "mark_discussed": ("goals", None),
    "propose_goal": ("goals", "goals"),
}


TABLES = ("agreed_targets", "goals", "measuring_weeks")


@pytest.mark.parametrize("state", ["active", "narrowed", "expired", "revoked", "other", "no-2fa"])
def test_write_matrix(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    state: str,
) -> None:
    """Every clinician write × grant state × category: exactly the allowed writes succeed;
    every other cell is 404 (or the second-factor set-up) and changes nothing."""
    me = create_clinician()
    colleague = create_clinician(email="arts@praktijk.nl", name="Bert Kok", profession="huisarts")
    cells: dict[tuple[str, str], tuple[Any, uuid.UUID]] = {}
    for write in WRITES:
        for category in SHAREABLE:
            label = f"{write}-{category}".replace("_", "")
            patient = create_patient(email=f"{label}@example.nl", name=f"Patient {label}")
            with app.test_request_context():
                q = questions.add_question(patient, patient.id, "Een vraag")
            owner = colleague if state == "other" else me
            # "narrowed": the grant holds another category than this cell's.
            others = tuple(c for c in SHAREABLE if c != category)
            grant = make_grant(
                patient, owner, categories=others if state == "narrowed" else (category,)
            )
            if state in ("expired", "revoked"):
                set_state(app, grant, state)
            cells[(write, category)] = (patient, q.id)
    if state == "no-2fa":
        web = app.test_client()
        web.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(web, "poh@praktijk.nl")
    else:
        web = verified_client(me)
    before = {t: count_rows(app, t) for t in TABLES}
    before["access_events"] = allowed_events(app)
    succeeded = []
    failures = []
    for (write, category), (patient, qid) in cells.items():
        need = WRITES[write][0]
        allowed_here = (state == "active" and need == category) or (
            state == "narrowed" and need != category
        )
        base = f"/clinician/patients/{patient.id}"
        if write == "agree_target":
            url, data = f"{base}/agreed-target", {"systolic": "140", "diastolic": "90"}
        elif write == "mark_discussed":
            url, data = f"{base}/questions/{qid}/discussed", {}
        elif write == "request_week":
            url, data = f"{base}/measuring-week", {}
        else:
            url, data = f"{base}/propose-goal", {"text": "Wandelen", "per_week": "3"}
        # Without a second factor every clinician page sends the session to the set-up
        # (whose form gives this session's token).
        token_page = "/account/second-factor/setup" if state == "no-2fa" else TOKEN_PAGE
        answer = post_form(web, url, data, form_url=token_page)
        if allowed_here:
            succeeded.append((write, category))
            if answer.status_code != 302:
                failures.append(f"{write}/{category}: {answer.status_code}")
        elif answer.status_code != (302 if state == "no-2fa" else 404):
            failures.append(f"{write}/{category}: {answer.status_code} (should be refused)")
        elif state == "no-2fa" and "/account/second-factor/setup" not in answer.headers["Location"]:
            failures.append(f"{write}/{category}: no-2fa went to {answer.headers['Location']}")
    assert failures == []
    after = {t: count_rows(app, t) for t in TABLES}
    after["access_events"] = allowed_events(app)  # refused tries are events of their own
    if state == "active":
        assert succeeded == [
            ("agree_target", "blood_pressure"),
            ("request_week", "blood_pressure"),
            ("mark_discussed", "goals"),
            ("propose_goal", "goals"),
        ]
    if state == "narrowed":  # allowed wherever the grant still holds the write's category
        assert len(succeeded) == len(WRITES) * (len(SHAREABLE) - 1)
    made = [w for w, _c in succeeded]
    assert after["agreed_targets"] == before["agreed_targets"] + made.count("agree_target")
    assert after["goals"] == before["goals"] + made.count("propose_goal")
    assert after["measuring_weeks"] == before["measuring_weeks"] + made.count("request_week")
    assert after["access_events"] == before["access_events"] + len(succeeded)
    patient, qid = cells[("mark_discussed", "goals")]
    with app.test_request_context():
        (q,) = questions.consult_questions(patient, patient.id, include_discussed=True)
    assert q.discussed == (state == "active")  # the narrowed cell lacks goals


def test_a_looser_patient_change_is_kept_shown_and_not_used(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    """A patient cannot loosen what was agreed: 180/110 is kept as history and shown to
    the care provider, but 140/90 stays the target (as for a looser own target)."""
    patient = create_patient()
    add_readings(app, patient)
    clinician = create_clinician()
    make_grant(patient, clinician)
    web = verified_client(clinician)
    assert _agree(web, patient.id).status_code == 302
    own = logged_in(app, "patient@example.nl")
    for value, used in (("180/110", (140, 90)), ("130/80", (130, 80))):
        s, d = value.split("/")
        changed = post_form(
            own,
            "/settings/agreed-target",
            {"systolic": s, "diastolic": d, "note": "Zelf aangepast"},
            form_url="/settings",
        )
        assert changed.status_code == 302
        with app.test_request_context():
            assert targets.resolve(patient, patient.id).blood_pressure.pair == used
        settings_page = own.get("/settings").get_data(as_text=True)
        summary = web.get(f"/clinician/patients/{patient.id}").get_data(as_text=True)
        if used == (140, 90):
            assert "You changed the agreed target to 180/110." in settings_page
            assert "so the app keeps using 140/90" in settings_page
            assert "The patient changed the agreed target to 180/110 on" in summary
            assert "looser, so not used. Note: “Zelf aangepast”" in summary
        else:
            assert "You changed the agreed target to" not in settings_page
            assert "The patient changed the agreed target to 130/80 on" in summary
            assert "looser, so not used" not in summary
