""" "My patients" as a worklist (issue 11): triage rows kept by every write, read by the
clinician only for shared categories, sorted by flag, last reading or share date."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import event, select, update

from pgd import crypto, db
from pgd.measurements import imports
from pgd.measurements import services as measurements
from pgd.measurements.models import Kind, Source
from pgd.measurements.validation import LOCAL
from pgd.measurements.values import BloodPressure, Glucose, Weight
from pgd.sharing import triage, worklist
from pgd.sharing.models import Grant, Triage
from tests.sharing.conftest import set_state

DAY = timedelta(days=1)


def _triage(app: Flask, patient: Any, kind: str) -> tuple[int | None, dict[str, Any]] | None:
    """The stored triage row of one category, opened with the patient's key."""
    with app.test_request_context():
        row = (
            db.session()
            .execute(
                select(Triage.last_reading_at, Triage.payload_sealed).where(
                    Triage.patient_id == patient.id, Triage.category == kind
                )
            )
            .first()
        )
        if row is None:
            return None
        cipher = crypto.cipher_for(patient.id, crypto.Category(kind))
        return row.last_reading_at, orjson.loads(cipher.open("triage", patient.id, row[1]))


def _codes(payload: dict[str, Any]) -> list[str]:
    return [code for code, _amount in payload["flags"]]


@contextmanager
def _as(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def test_triage_is_rewritten_by_add_edit_and_delete(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    patient = create_patient()
    now = datetime.now(UTC).replace(microsecond=0)
    with _as(app):
        first = measurements.add(patient, patient.id, BloodPressure(128, 80, None, None), now - DAY)
    last, payload = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert (last, payload["level"], payload["flags"]) == (int((now - DAY).timestamp()), 0, [])
    assert payload["week"] is None

    with _as(app):
        alarm = measurements.add(patient, patient.id, BloodPressure(186, 112, None, None), now)
    last, payload = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert last == int(now.timestamp())
    assert payload["level"] == triage.ALARM
    assert ["bp_very_high", 1] in payload["flags"]

    with _as(app):  # the alarming reading was a typing error
        measurements.update(
            patient, patient.id, alarm.id, BloodPressure(126, 78, None, None), now, ""
        )
    last, payload = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert (last, payload["level"], payload["flags"]) == (int(now.timestamp()), 0, [])

    with _as(app):
        measurements.remove(patient, patient.id, alarm.id)
    last, payload = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert last == int((now - DAY).timestamp())  # back to the older reading

    with _as(app):
        measurements.remove(patient, patient.id, first.id)
    last, payload = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert (last, payload["flags"], payload["level"]) == (None, [], 0)
    assert _triage(app, patient, "weight") is None  # no weight written: no row


def test_an_import_refreshes_once_per_kind(
    app: Flask, create_patient: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = create_patient()
    calls: list[str] = []
    real = triage.refresh

    def counting(principal: Any, patient_id: uuid.UUID, kind: Any) -> None:
        calls.append(str(kind))
        real(principal, patient_id, kind)

    monkeypatch.setattr(triage, "refresh", counting)
    today = datetime.now(UTC).astimezone(LOCAL).date()
    lines = ["type;date;time;systolic;diastolic;weight_kg;glucose;unit;moment"]
    for d in range(1, 11):
        day = (today - timedelta(days=d)).strftime("%d-%m-%Y")
        lines.append(f"blood_pressure;{day};08:00;{140 + d};90;;;;")
        lines.append(f"glucose;{day};07:30;;;;{'3,2' if d == 2 else '6,5'};mmol;fasting")
    with _as(app):
        preview = imports.check(patient, patient.id, "\n".join(lines).encode())
        assert preview.pending_id is not None, preview.parsed.errors
        result = imports.confirm(patient, patient.id, preview.pending_id)
    assert result.added == 20
    assert sorted(calls) == ["blood_pressure", "glucose"]  # not once per row
    _last, glucose = _triage(app, patient, "glucose")  # type: ignore[misc]
    assert ["glucose_low", 1] in glucose["flags"]
    assert glucose["level"] == triage.ALARM
    _last, pressure = _triage(app, patient, "blood_pressure")  # type: ignore[misc]
    assert _codes(pressure) == ["bp_mean_high"]  # a mean of 145.5/90: attention
    assert pressure["level"] == triage.ATTENTION

    calls.clear()
    with _as(app):  # the same file again: nothing new, nothing to refresh
        preview = imports.check(patient, patient.id, "\n".join(lines).encode())
        assert imports.confirm(patient, patient.id, preview.pending_id).added == 0  # type: ignore[arg-type]
    assert calls == []


def _readings(app: Flask, patient: Any, items: list[tuple[Any, datetime]]) -> None:
    with _as(app):
        measurements.add_many(patient, patient.id, [(v, w, "") for v, w in items], Source.WEB)


def _order(page: str, names: list[str]) -> list[str]:
    return sorted((n for n in names if n in page), key=page.index)


def _grant(app: Flask, grant_id: uuid.UUID, **values: Any) -> None:
    with app.app_context(), db.transaction() as sess:
        sess.execute(update(Grant).where(Grant.id == grant_id).values(**values))


@pytest.fixture
def three(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
) -> tuple[Any, dict[str, Any], dict[str, uuid.UUID]]:
    """Fine (shared last), Alarm (shared first, an old alarm), Attention, and Nothing
    (no readings); each grant a minute apart."""
    clinician = create_clinician()
    now = datetime.now(UTC)
    people: dict[str, Any] = {}
    grants: dict[str, uuid.UUID] = {}
    for i, (name, items) in enumerate(
        [
            ("Alarm", [(BloodPressure(185, 100, None, None), now - 9 * DAY)]),
            ("Attention", [(BloodPressure(150, 95, None, None), now - 5 * DAY)]),
            ("Nothing", []),
            ("Fine", [(BloodPressure(120, 75, None, None), now - 2 * DAY)]),
        ]
    ):
        people[name] = create_patient(email=f"{name.lower()}@example.nl", name=f"Patient {name}")
        if items:
            _readings(app, people[name], items)
        grants[name] = make_grant(people[name], clinician)
        _grant(app, grants[name], created_at=now - timedelta(minutes=10 - i))
    return clinician, people, grants


NAMES = ["Patient Alarm", "Patient Attention", "Patient Nothing", "Patient Fine"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Patient Alarm", "Patient Attention", "Patient Fine", "Patient Nothing"]),
        ("?sort=flag", ["Patient Alarm", "Patient Attention", "Patient Fine", "Patient Nothing"]),
        ("?sort=last", ["Patient Fine", "Patient Attention", "Patient Alarm", "Patient Nothing"]),
        ("?sort=shared", ["Patient Fine", "Patient Nothing", "Patient Attention", "Patient Alarm"]),
        (
            "?sort=nonsense",
            ["Patient Alarm", "Patient Attention", "Patient Fine", "Patient Nothing"],
        ),
    ],
)
def test_sorting(
    three: Any, verified_client: Callable[[Any], Any], query: str, expected: list[str]
) -> None:
    clinician, _people, _grants = three
    page = verified_client(clinician).get("/clinician" + query).get_data(as_text=True)
    assert _order(page, NAMES) == expected


def test_flags_and_badges_in_words(three: Any, verified_client: Callable[[Any], Any]) -> None:
    clinician, _people, _grants = three
    page = verified_client(clinician).get("/clinician").get_data(as_text=True)
    alarm_row = page[page.index("Patient Alarm") : page.index("Patient Attention")]
    assert '<span class="mark mark-alarm">Alarm</span>' in alarm_row
    assert "1 reading of 180/110 or higher." in alarm_row
    attention_row = page[page.index("Patient Attention") : page.index("Patient Fine")]
    assert '<span class="mark mark-attention">Attention</span>' in attention_row
    assert "Mean home blood pressure above the target." in attention_row
    fine_row = page[page.index("Patient Fine") : page.index("Patient Nothing")]
    assert "mark-alarm" not in fine_row
    assert "mark-attention" not in fine_row
    assert "No flags" in fine_row


def test_paging_keeps_the_sort(
    three: Any, verified_client: Callable[[Any], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worklist, "PAGE_SIZE", 3)
    clinician, _people, _grants = three
    web = verified_client(clinician)
    first = web.get("/clinician").get_data(as_text=True)
    assert _order(first, NAMES) == ["Patient Alarm", "Patient Attention", "Patient Fine"]
    assert "Page 1 of 2" in first
    link = re.search(r'href="(/clinician\?[^"]+)">Next page', first)
    assert link is not None
    second = web.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _order(second, NAMES) == ["Patient Nothing"]
    assert "Page 2 of 2" in second
    assert web.get("/clinician?page=99").status_code == 200  # past the end: the last page
    assert web.get("/clinician?page=x").status_code == 200


def test_only_flags_of_shared_categories(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    clinician = create_clinician()
    now = datetime.now(UTC)
    for name, shared in (("Weightonly", ("weight",)), ("Both", ("weight", "blood_pressure"))):
        patient = create_patient(email=f"{name}@example.nl", name=f"Patient {name}")
        _readings(
            app,
            patient,
            [(BloodPressure(190, 115, None, None), now - DAY), (Weight(80.0), now - 3 * DAY)],
        )
        make_grant(patient, clinician, shared)
    page = verified_client(clinician).get("/clinician").get_data(as_text=True)
    both = page[page.index("Patient Both") : page.index("Patient Weightonly")]
    only = page[page.index("Patient Weightonly") :]
    assert "mark-alarm" in both
    assert "180/110" in both
    assert "mark-alarm" not in only
    assert "180/110" not in only
    assert "mark-attention" not in only
    with app.test_request_context():
        from flask_login import login_user

        from pgd.accounts import second_factor

        login_user(clinician)
        second_factor.mark_verified(clinician.id)
        crypto.limit_keys_to(clinician.id)
        rows = {r.name: r for r in worklist.my_patients(clinician).rows}
    assert rows["Patient Weightonly"].level == triage.FINE
    assert rows["Patient Weightonly"].flags == ()
    # Its last reading is the weight's (3 days ago), not the unshared blood pressure's.
    assert rows["Patient Weightonly"].last_reading_at == datetime.fromtimestamp(
        int((now - 3 * DAY).timestamp()), UTC
    )
    assert rows["Patient Both"].level == triage.ALARM


@pytest.mark.parametrize("also_recent", [False, True])
def test_readings_before_the_granted_period_show_no_flag(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    also_recent: bool,
) -> None:
    """A hypo before the period's first day is not the clinician's to see, also not as a
    count in a flag over a window that reaches back before that day."""
    clinician = create_clinician()
    now = datetime.now(UTC)
    patient = create_patient(name="Patient Earlier")
    items = [(Glucose(2.9, "before_breakfast"), now - 4 * DAY)]
    if also_recent:
        items.append((Glucose(6.0, "before_breakfast"), now - DAY / 2))
    _readings(app, patient, items)
    make_grant(patient, clinician, ("glucose",), data_from=now - DAY)
    page = verified_client(clinician).get("/clinician").get_data(as_text=True)
    row = page[page.index("Patient Earlier") :]
    assert "mark-alarm" not in row
    assert "hypo" not in row
    assert "No flags" in row
    shown = (now - DAY / 2).astimezone(LOCAL).strftime("%Y") in row.split("</td>")[2]
    assert shown is also_recent  # the last reading inside the period, and only that


def test_a_stopped_share_disappears(
    three: Any, app: Flask, verified_client: Callable[[Any], Any]
) -> None:
    clinician, _people, grants = three
    web = verified_client(clinician)
    assert "Patient Alarm" in web.get("/clinician").get_data(as_text=True)
    set_state(app, grants["Alarm"], "revoked")
    set_state(app, grants["Fine"], "expired")
    page = web.get("/clinician").get_data(as_text=True)
    assert _order(page, NAMES) == ["Patient Attention", "Patient Nothing"]
    assert "2 patients share data with you." in page


@pytest.mark.parametrize(
    ("expires", "soon"),
    [
        # The last day shown is the day before the moment a share ends.
        (datetime(2027, 3, 16, 0, 0, tzinfo=LOCAL), True),  # last day 15 March: 14 days
        (datetime(2027, 3, 17, 0, 0, tzinfo=LOCAL), False),  # last day 16 March: 15 days
        (datetime(2027, 3, 15, 10, 0, tzinfo=LOCAL), True),  # exactly 14 × 24 hours
        (datetime(2027, 3, 16, 10, 0, tzinfo=LOCAL), False),  # exactly 15 × 24 hours
        (datetime(2027, 3, 1, 10, 0, 1, tzinfo=LOCAL), True),  # ends today
    ],
)
def test_ends_soon_edge(expires: datetime, soon: bool) -> None:
    now = datetime(2027, 3, 1, 10, 0, tzinfo=LOCAL)
    assert worklist.ends_soon(expires.astimezone(UTC), now.astimezone(UTC)) is soon


def test_ends_soon_badge_on_the_page(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    clinician = create_clinician()
    today = datetime.now(UTC).astimezone(LOCAL).date()
    for name, days in (("Fourteen", 14), ("Fifteen", 15)):
        grant_id = make_grant(create_patient(email=f"{name}@example.nl", name=name), clinician)
        # Shared until the end of the day `days` ahead (the share ends the next midnight).
        end = datetime.combine(today + timedelta(days=days + 1), datetime.min.time(), LOCAL)
        _grant(app, grant_id, expires_at=end.astimezone(UTC))
    page = verified_client(clinician).get("/clinician?sort=shared").get_data(as_text=True)
    fifteen, fourteen = page.index("Fifteen"), page.index("Fourteen")
    assert fifteen < fourteen  # the later share (Fifteen) is first
    assert "Ends soon" not in page[fifteen:fourteen]
    assert "Ends soon" in page[fourteen:]


def test_the_page_reads_the_same_few_queries_for_more_patients(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    """No query per patient: 2 and 8 patients with readings cost the same statements."""
    clinician = create_clinician()
    web = verified_client(clinician)
    now = datetime.now(UTC)
    counts = []
    made = 0
    for target in (2, 8):
        while made < target:
            patient = create_patient(email=f"q{made}@example.nl", name=f"Q {made}")
            _readings(
                app,
                patient,
                [(BloodPressure(150, 90, None, None), now - DAY), (Weight(80.0), now - DAY)],
            )
            make_grant(patient, clinician)
            made += 1
        statements: list[str] = []

        def record(*args: Any, into: list[str] = statements) -> None:
            into.append(args[2])

        # The first views make the access log's head rows and audit key (once ever) and
        # fill the worker's key cache; the opened triage of this worker is cleared, so
        # the counted view opens every triage row again.
        for _warm in range(2):
            assert web.get("/clinician").status_code == 200
        triage._opened.clear()
        engine = app.extensions["pgd.engine"]
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert web.get("/clinician").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_flags_are_not_readable_in_the_database(
    app: Flask, create_patient: Callable[..., Any]
) -> None:
    from tests.test_encryption_at_rest import _database_bytes

    patient = create_patient()
    now = datetime.now(UTC)
    _readings(
        app,
        patient,
        [
            (BloodPressure(190, 115, None, None), now - DAY),
            (Glucose(2.8, "before_breakfast"), now - DAY),
            (Glucose(19.0, "after_dinner"), now - DAY),
            (Weight(90.0), now - 20 * DAY),
            (Weight(80.0), now - DAY),
        ],
    )
    _last, payload = _triage(app, patient, Kind.GLUCOSE.value)  # type: ignore[misc]
    assert _codes(payload) == ["glucose_low", "glucose_very_high"]  # there is something to find
    raw = _database_bytes(app)
    assert b"triage" in raw  # the table is in what we read
    for needle in (
        "bp_very_high",
        "bp_mean_high",
        "glucose_low",
        "glucose_very_high",
        "weight_change",
        "weight_loss",
        '"flags"',
        '"level"',
    ):
        assert needle.encode() not in raw, needle


def test_the_week_column_and_a_new_agreed_target_update_the_worklist(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    """The latest measuring week shows in its column (and flags when above target); an
    agreed target recorded by the POH rewrites the flags at once, not at the next reading."""
    from datetime import time

    from pgd.measurements import week

    patient = create_patient(name="Jansje Pietersma", birth_date=datetime(1960, 1, 1).date())
    today = datetime.now(UTC).astimezone(LOCAL).date()
    first = today - timedelta(days=9)
    with _as(app):
        week.start(patient, patient.id, first)
    _readings(
        app,
        patient,
        [
            (BloodPressure(144, 88, None, None), datetime.combine(day, time(h, m), tzinfo=LOCAL))
            for day in (first + timedelta(days=d) for d in range(7))
            for h in (7, 20)
            for m in (30, 31)
        ],
    )
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    web = verified_client(clinician)
    last = (first + timedelta(days=6)).strftime("%-d %b")
    page = web.get("/clinician").get_data(as_text=True)
    assert f"144/88 (24 of 24) to {last}: not below the target" in page
    assert "Blood pressure: Measuring week above the target." in page
    assert "Blood pressure: Mean home blood pressure above the target." in page
    done = web.post(
        f"/clinician/patients/{patient.id}/agreed-target",
        data={
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
            "systolic": "150",
            "diastolic": "90",
        },
    )
    assert done.status_code == 302
    page = web.get("/clinician").get_data(as_text=True)
    assert f"144/88 (24 of 24) to {last}: below the target" in page
    assert "Mean home blood pressure above the target." not in page


def _week_of(app: Flask, patient: Any, first: Any, value: tuple[int, int]) -> None:
    from datetime import time

    from pgd.measurements import week

    with _as(app):
        week.start(patient, patient.id, first)
    _readings(
        app,
        patient,
        [
            (BloodPressure(*value, None, None), datetime.combine(day, time(h, m), tzinfo=LOCAL))
            for day in (first + timedelta(days=d) for d in range(7))
            for h in (7, 20)
            for m in (30, 31)
        ],
    )


def test_a_target_agreed_under_a_short_data_period_keeps_everyones_flags(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    """The triage row is every care provider's: a POH who sees only the last 3 days and
    records a target must not recompute it from those 3 days (an alarm 10 days ago stays
    flagged for the GP who sees everything)."""
    patient = create_patient(name="Jansje Pietersma")
    now = datetime.now(UTC)
    _readings(
        app,
        patient,
        [
            (BloodPressure(190, 115, None, None), now - 10 * DAY),
            (BloodPressure(120, 75, None, None), now - DAY),
        ],
    )
    poh = create_clinician()
    gp = create_clinician(email="arts@praktijk.nl", name="Bert Kok", profession="huisarts")
    make_grant(patient, poh, categories=("blood_pressure",), data_from=now - 3 * DAY)
    make_grant(patient, gp, categories=("blood_pressure",))
    gp_web = verified_client(gp)
    assert "1 reading of 180/110 or higher." in gp_web.get("/clinician").get_data(as_text=True)
    poh_web = verified_client(poh)
    page = poh_web.get(f"/clinician/patients/{patient.id}/agreed-target").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    done = poh_web.post(
        f"/clinician/patients/{patient.id}/agreed-target",
        data={"csrf_token": token.group(1), "systolic": "150", "diastolic": "90"},
    )
    assert done.status_code == 302
    assert "1 reading of 180/110 or higher." in gp_web.get("/clinician").get_data(as_text=True)


def test_a_week_before_the_granted_period_is_not_shown(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient(name="Jansje Pietersma")
    today = datetime.now(UTC).astimezone(LOCAL).date()
    _week_of(app, patient, today - timedelta(days=12), (163, 97))
    now = datetime.now(UTC)
    _readings(app, patient, [(BloodPressure(130, 80, None, None), now - timedelta(hours=6))])
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",), data_from=now - DAY)
    page = verified_client(clinician).get("/clinician").get_data(as_text=True)
    assert "Jansje Pietersma" in page
    assert "163/97" not in page


def test_the_week_flag_is_judged_against_the_clinical_target_not_the_patients_own(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    from pgd.measurements import settings

    patient = create_patient(name="Jansje Pietersma", birth_date=datetime(1960, 1, 1).date())
    with _as(app):
        settings.save(
            patient, patient.id, settings.Settings(bp_target_systolic=120, bp_target_diastolic=75)
        )
    today = datetime.now(UTC).astimezone(LOCAL).date()
    _week_of(app, patient, today - timedelta(days=9), (128, 78))
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    page = verified_client(clinician).get("/clinician").get_data(as_text=True)
    assert ": below the target" in page  # 128/78 is below 135/85
    assert "Measuring week above the target." not in page
