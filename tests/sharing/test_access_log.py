"""The access log: one event per clinician read, hash-chained, tamper-evident, kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import delete, text, update

from pgd import db
from pgd.sharing import access_log
from pgd.sharing.models import AccessEvent
from tests.conftest import count_rows, post_form
from tests.sharing.conftest import access_events, add_readings, logged_in


def _setup(
    app: Flask,
    create_patient: Any,
    create_clinician: Any,
    make_grant: Any,
    verified_client: Any,
    categories: tuple[str, ...],
) -> tuple[Any, Any]:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    make_grant(patient, clinician, categories=categories)
    return patient, verified_client(clinician)


def test_one_event_per_read_with_the_right_categories(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Any,
) -> None:
    patient, web = _setup(
        app,
        create_patient,
        create_clinician,
        make_grant,
        verified_client,
        ("blood_pressure", "glucose"),
    )
    # The list shows how each shared category is going (flags, last reading): a read of
    # those categories, one event per patient shown.
    assert web.get("/clinician").status_code == 200
    assert web.get(f"/clinician/patients/{patient.id}").status_code == 200
    assert web.get(f"/clinician/patients/{patient.id}/charts/glucose?view=range").status_code == 200
    assert web.get(f"/clinician/patients/{patient.id}/charts/weight").status_code == 404
    # The list shows the name and date of birth too (profile); the weight chart is not
    # shared: a refused try, recorded as such.
    listed, first, second, refused = access_events(app)
    assert (listed.categories, listed.action) == (
        "blood_pressure,glucose,profile",
        "view_worklist",
    )
    assert (first.categories, first.action) == ("blood_pressure,glucose", "view_summary")
    assert (second.categories, second.action) == ("glucose", "view_chart")
    assert (refused.categories, refused.outcome) == ("weight", "refused")
    for event in (listed, first, second, refused):
        assert event.patient_id == patient.id
        assert event.actor_name == "Anna de Vries"
        assert event.actor_profession == "poh"
        assert event.address == "127.0.0.1"
    assert [e.seq for e in (listed, first, second, refused)] == [1, 2, 3, 4]
    assert refused.prev_hash == second.hash
    assert second.prev_hash == first.hash
    assert first.prev_hash == listed.hash
    assert listed.prev_hash == access_log.GENESIS
    # The patient reads it in plain language, newest first.
    own = logged_in(app, "patient@example.nl")
    page = own.get("/sharing/who-looked").get_data(as_text=True)
    # Two looks a moment apart are one visit, on one line, with both categories; the
    # refused try is a line of its own.
    assert page.count("A. de Vries") == 3
    assert "tried to open your data" in page
    assert "viewed your blood pressure and blood sugar on" in page
    assert "(2 times)" in page
    assert "saw how your blood pressure and blood sugar is going in the list of patients" in page


def test_revoking_keeps_the_events(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Any,
) -> None:
    patient, web = _setup(
        app, create_patient, create_clinician, make_grant, verified_client, ("weight",)
    )
    web.get(f"/clinician/patients/{patient.id}")
    own = logged_in(app, "patient@example.nl")
    grant_url = next(
        line.split('href="')[1].split('"')[0]
        for line in own.get("/sharing").get_data(as_text=True).splitlines()
        if "/stop" in line
    )
    assert post_form(own, grant_url, {}).status_code == 302
    assert count_rows(app, "access_events") == 1
    assert "A. de Vries" in own.get("/sharing/who-looked").get_data(as_text=True)


def _three_events(
    app: Flask, create_patient: Any, create_clinician: Any, make_grant: Any, verified_client: Any
) -> list[AccessEvent]:
    patient, web = _setup(
        app, create_patient, create_clinician, make_grant, verified_client, ("weight",)
    )
    for _ in range(3):
        assert web.get(f"/clinician/patients/{patient.id}").status_code == 200
    return access_events(app)


def _tamper(app: Flask, statement: Any, params: dict[str, Any] | None = None) -> None:
    """Change the log behind the app's back, as someone with database access could.

    That takes switching off the append-only triggers first (PostgreSQL: as the table's
    owner; SQLite: by dropping and re-creating them).
    """
    with app.app_context(), db.transaction() as sess:
        postgres = sess.get_bind().dialect.name == "postgresql"
        triggers: list[Any] = []
        if postgres:
            sess.execute(
                text("ALTER TABLE access_events DISABLE TRIGGER access_events_append_only")
            )
        else:
            triggers = list(
                sess.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE type = 'trigger' AND tbl_name = 'access_events'"
                    )
                ).all()
            )
            assert len(triggers) == 2
            for name, _sql in triggers:
                sess.execute(text(f'DROP TRIGGER "{name}"'))
        sess.execute(statement, params or {})
        if postgres:
            sess.execute(text("ALTER TABLE access_events ENABLE TRIGGER access_events_append_only"))
        for _name, sql in triggers:
            sess.execute(text(sql))


def test_the_database_refuses_to_change_or_remove_an_event(
    app: Flask,
    create_patient: Any,
    create_clinician: Any,
    make_grant: Any,
    verified_client: Any,
) -> None:
    import pytest
    from sqlalchemy.exc import DBAPIError

    _three_events(app, create_patient, create_clinician, make_grant, verified_client)
    for statement in (
        update(AccessEvent).values(categories="glucose"),
        delete(AccessEvent).where(AccessEvent.seq == 1),
    ):
        with (
            pytest.raises(DBAPIError, match="append-only"),
            app.app_context(),
            db.transaction() as sess,
        ):
            sess.execute(statement)
    assert count_rows(app, "access_events") == 3


def test_verify_passes_on_an_intact_chain(
    app: Flask,
    runner: Any,
    create_patient: Any,
    create_clinician: Any,
    make_grant: Any,
    verified_client: Any,
) -> None:
    _three_events(app, create_patient, create_clinician, make_grant, verified_client)
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code == 0, result.output
    assert "3 events" in result.output


def test_verify_names_an_edited_event(
    app: Flask,
    runner: Any,
    create_patient: Any,
    create_clinician: Any,
    make_grant: Any,
    verified_client: Any,
) -> None:
    events = _three_events(app, create_patient, create_clinician, make_grant, verified_client)
    _tamper(app, update(AccessEvent).where(AccessEvent.seq == 2).values(categories="glucose"))
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code != 0
    assert "event 2" in result.output
    assert str(events[1].id) in result.output


def test_verify_names_a_deleted_event_and_a_cut_off_end(
    app: Flask,
    runner: Any,
    create_patient: Any,
    create_clinician: Any,
    make_grant: Any,
    verified_client: Any,
) -> None:
    _three_events(app, create_patient, create_clinician, make_grant, verified_client)
    _tamper(app, delete(AccessEvent).where(AccessEvent.seq == 3))
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code != 0
    assert "event 3" in result.output
    _tamper(app, delete(AccessEvent).where(AccessEvent.seq == 1))
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code != 0
    assert "event 1 is missing" in result.output


def test_verify_detects_a_rewritten_hash(
    app: Flask,
    runner: Any,
    create_patient: Any,
    create_clinician: Any,
    make_grant: Any,
    verified_client: Any,
) -> None:
    _three_events(app, create_patient, create_clinician, make_grant, verified_client)
    _tamper(app, text("UPDATE access_events SET hash = :h WHERE seq = 1"), {"h": "f" * 64})
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code != 0
    assert "event 1" in result.output


def test_concurrent_writers_never_fork_the_chain(app: Flask) -> None:
    """Four writers at once: each event links to exactly one predecessor."""
    import threading

    from pgd.sharing.access_log import Actor

    actor = Actor(uuid.uuid4(), "Anna de Vries", "poh")
    patient_id = uuid.uuid4()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(10):
                with app.app_context(), db.transaction():
                    access_log.append(actor, patient_id, ["weight"], "view_chart", "10.0.0.1")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        report = access_log.verify()
    assert report.problems == []
    assert report.events == 40
    seqs = [e.seq for e in access_events(app)]
    assert seqs == list(range(1, 41))


def test_who_looked_pages_newest_first(app: Flask, create_patient: Any, monkeypatch: Any) -> None:
    from pgd.sharing.access_log import Actor

    patient = create_patient()
    actor = Actor(uuid.uuid4(), "Anna de Vries", "poh")
    with app.app_context(), db.transaction():
        for category in ("weight", "glucose", "blood_pressure"):
            access_log.append(actor, patient.id, [category], "view_chart", "10.0.0.1")
    own = logged_in(app, "patient@example.nl")
    original = access_log.events_of
    monkeypatch.setattr(
        access_log, "events_of", lambda pid, before=None, limit=2: original(pid, before, limit)
    )
    first = own.get("/sharing/who-looked").get_data(as_text=True)
    assert first.index("blood pressure") < first.index("blood sugar")
    assert "weight" not in first.split("<main")[1]
    older = first.split('href="/sharing/who-looked?before=')[1].split('"')[0]
    second = own.get(f"/sharing/who-looked?before={older}").get_data(as_text=True)
    assert "viewed your weight" in second
    assert "blood sugar" not in second.split("<main")[1]


def test_looks_close_together_are_one_visit() -> None:
    """Pure: same person, same way in, same day in the Netherlands, at most 30 minutes
    apart."""
    from datetime import UTC, datetime, timedelta

    from pgd.sharing.access_log import EventView, visits
    from pgd.sharing.policy import SHAREABLE

    t = datetime(2027, 3, 3, 10, 12, tzinfo=UTC)
    anna, bert, namesake = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def ev(
        minutes: int,
        cats: tuple[str, ...],
        who: uuid.UUID = anna,
        action: str = "view_chart",
        name: str = "",
        at: datetime = t,
    ) -> EventView:
        label = name or ("Bert Kok" if who == bert else "Anna de Vries")
        return EventView(0, at + timedelta(minutes=minutes), who, label, "poh", cats, action)

    newest_first = [
        ev(200, ("weight",)),  # 2 h 20 later: a new visit
        ev(60, ("goals",), action="api_read"),  # through the API: its own line
        ev(20, ("glucose",)),
        ev(5, ("weight",), action="view_summary"),
        ev(0, ("glucose", "blood_pressure")),
        ev(-1, ("weight",), who=bert),  # someone else
        ev(-2, ("weight",), who=namesake, name="Bert Kok"),  # another Bert Kok
    ]
    found = visits(newest_first, SHAREABLE)
    assert [(v.actor_name, v.action, v.categories, v.count) for v in found] == [
        ("Anna de Vries", "view", ("weight",), 1),
        ("Anna de Vries", "api_read", ("goals",), 1),
        ("Anna de Vries", "view", ("blood_pressure", "weight", "glucose"), 3),
        ("Bert Kok", "view", ("weight",), 1),
        ("Bert Kok", "view", ("weight",), 1),
    ]
    visit = found[2]
    assert (visit.first, visit.last) == (t, t + timedelta(minutes=20))
    # Past midnight in the Netherlands (23:55 and 00:05 CET) is another day, another line.
    dutch_midnight = datetime(2027, 3, 3, 23, 0, tzinfo=UTC)
    split = visits(
        [ev(5, ("weight",), at=dutch_midnight), ev(-5, ("weight",), at=dutch_midnight)], SHAREABLE
    )
    assert len(split) == 2
    # Midnight in UTC is 01:00 in the Netherlands: the same day, one line.
    utc_midnight = datetime(2027, 3, 4, 0, 0, tzinfo=UTC)
    joined = visits(
        [ev(5, ("weight",), at=utc_midnight), ev(-5, ("weight",), at=utc_midnight)], SHAREABLE
    )
    assert len(joined) == 1
