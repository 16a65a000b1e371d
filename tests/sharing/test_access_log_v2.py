"""The access log, NEN 7513 complete: grant, outcome, channel, API key and practice on
every event; refused tries; names in "my patients"; one keyed chain per patient; the
anchor outside the database; rotation, deletion and the migration keep it verifiable."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, text, update

from pgd import db
from pgd.accounts import tokens
from pgd.crypto import audit
from pgd.sharing import access_anchor, access_log
from pgd.sharing.models import AccessEvent, PatientLogHead
from tests.conftest import PASSWORD, post_form
from tests.sharing.conftest import access_events, add_readings, logged_in
from tests.sharing.test_access_log import _tamper

API = "/api/v1"


def _head(app: Flask, patient_id: uuid.UUID) -> tuple[int, str] | None:
    with app.app_context():
        row = db.session().get(PatientLogHead, patient_id)
        return None if row is None else (row.seq, row.hash)


def _token(app: Flask, user: Any) -> tuple[uuid.UUID, str]:
    with app.test_request_context():
        info, raw = tokens.create(user, "Practice system")
    return info.id, raw


def test_every_event_names_grant_outcome_channel_key_and_practice(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Any,
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    grant_id = make_grant(patient, clinician)
    web = verified_client(clinician)  # sets up the second factor: a key may be made now
    key_id, raw = _token(app, clinician)
    bearer = {"Authorization": f"Bearer {raw}"}

    assert web.get(f"/clinician/patients/{patient.id}").status_code == 200
    assert web.get(f"{API}/patients/{patient.id}/summary", headers=bearer).status_code == 200
    assert web.get(f"/fhir/Patient/{patient.id}", headers=bearer).status_code == 200
    write = post_form(
        web,
        f"/clinician/patients/{patient.id}/measuring-week",
        {},
        form_url="/clinician/share-code",
    )
    assert write.status_code == 302
    seen = [
        (e.action, e.outcome, e.channel, e.key_id, e.grant_id)
        for e in access_events(app, patient.id)
    ]
    assert seen == [
        ("view_summary", "allowed", "web", None, grant_id),
        ("api_read", "allowed", "api", key_id, grant_id),
        ("fhir_read", "allowed", "fhir", key_id, grant_id),
        ("request_week", "allowed", "web", None, grant_id),
    ]
    for event in access_events(app, patient.id):
        assert event.actor_practice == "Huisartsenpraktijk De Linde"
        assert event.actor_agb_code == "01234567"
        assert event.chain == access_log.KEYED
    # The anchor was written after the first read (none was there): mode 0600.
    path = Path(app.instance_path) / "access_log_anchor.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(patient.id) in path.read_text()


def test_a_refused_try_is_logged_and_shown_but_not_for_an_unknown_id(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Any,
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    web = verified_client(clinician)
    # No share at all: the consent door says no (404), and the patient's log says so.
    assert web.get(f"/clinician/patients/{patient.id}").status_code == 404
    assert web.get(f"/clinician/patients/{uuid.uuid4()}").status_code == 404  # no one
    (refused,) = access_events(app)
    assert (refused.patient_id, refused.outcome, refused.channel) == (
        patient.id,
        "refused",
        "web",
    )
    assert refused.grant_id is None
    with app.app_context():
        assert access_log.verify().intact
    # With a share of weight only, the blood sugar chart is refused too.
    make_grant(patient, clinician, categories=("weight",))
    assert web.get(f"/clinician/patients/{patient.id}/charts/glucose").status_code == 404
    assert [e.outcome for e in access_events(app)] == ["refused", "refused"]

    own = logged_in(app, "patient@example.nl")
    english = own.get("/sharing/who-looked", headers={"Accept-Language": "en"})
    page = english.get_data(as_text=True)
    assert "A. de Vries" in page
    assert "tried to open your data" in page
    assert "so they saw nothing" in page
    dutch = own.get("/sharing/who-looked", headers={"Accept-Language": "nl"})
    assert "probeerde" in dutch.get_data(as_text=True)


def test_the_names_in_my_patients_are_a_read(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Any,
) -> None:
    """A patient without readings shows only a name and a birth date: still an event,
    on the web page and through the API's list."""
    patient = create_patient()
    clinician = create_clinician()
    grant_id = make_grant(patient, clinician, categories=("weight",))
    web = verified_client(clinician)
    page = web.get("/clinician").get_data(as_text=True)
    assert "Jansje Pietersma" in page
    _key, raw = _token(app, clinician)
    listed = web.get(f"{API}/patients", headers={"Authorization": f"Bearer {raw}"})
    assert listed.status_code == 200
    assert [(e.action, e.categories, e.channel, e.grant_id) for e in access_events(app)] == [
        ("view_worklist", "profile", "web", grant_id),
        ("view_worklist", "profile", "api", grant_id),
    ]
    own = logged_in(app, "patient@example.nl")
    shown = own.get("/sharing/who-looked", headers={"Accept-Language": "en"})
    assert "saw your name and date of birth in the list of patients" in shown.get_data(as_text=True)


def _actor() -> access_log.Actor:
    return access_log.Actor(uuid.uuid4(), "Anna de Vries", "poh", "De Linde", "01234567")


def _append(app: Flask, patient_id: uuid.UUID, times: int = 1) -> None:
    actor = _actor()
    for _ in range(times):
        with app.app_context(), db.transaction():
            access_log.append(actor, patient_id, ["weight"], "view_chart", "10.0.0.1")


def test_each_patient_has_a_chain_of_their_own(app: Flask) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    _append(app, one, 2)
    before = _head(app, one)
    _append(app, two, 3)
    assert _head(app, one) == before  # appending for another patient never touches it
    assert [e.seq for e in access_events(app, one)] == [1, 2]
    assert [e.seq for e in access_events(app, two)] == [1, 2, 3]
    assert access_events(app, two)[0].prev_hash == access_log.GENESIS
    with app.app_context():
        report = access_log.verify()
    assert (report.intact, report.events, report.chains) == (True, 5, 2)
    # append_many: one chain step per patient, in the order given.
    with app.app_context(), db.transaction():
        access_log.append_many(_actor(), [(two, ["goals"]), (one, ["goals"])], "view_worklist", "")
    assert [e.seq for e in access_events(app, one)] == [1, 2, 3]
    assert [e.seq for e in access_events(app, two)] == [1, 2, 3, 4]
    with app.app_context():
        assert access_log.verify().intact


def test_reads_during_a_verification_are_no_false_alarm(app: Flask, monkeypatch: Any) -> None:
    """verify() reads the heads, then walks the events: events appended in between (a
    clinician reading while cron verifies), and a chain begun in between, are left to the
    next run, not reported as removed events. A head row that is really gone still is."""
    one, two = uuid.uuid4(), uuid.uuid4()
    _append(app, one, 2)
    with app.app_context():
        snapshot = access_log.current_heads()
    _append(app, one, 2)  # after the heads were read
    _append(app, two, 1)  # a chain that did not exist then
    monkeypatch.setattr(access_log, "current_heads", lambda sess=None: snapshot)
    with app.app_context():
        report = access_log.verify()
    assert report.problems == []
    assert report.events == 2  # the two events the heads named; the rest next time
    monkeypatch.undo()
    with app.app_context():
        assert access_log.verify().intact
        assert access_log.verify().events == 5
    with app.app_context(), db.transaction() as sess:
        sess.execute(delete(PatientLogHead).where(PatientLogHead.patient_id == two))
    with app.app_context():
        report = access_log.verify()
    assert [p.patient_id for p in report.problems] == [two]


def test_the_digest_cannot_be_recomputed_without_the_key(app: Flask, runner: Any) -> None:
    """Someone who can write the database changes an event and recomputes its digest, and
    the next one's link, with plain SHA-256: the keyed check fails at that event."""
    patient = uuid.uuid4()
    _append(app, patient, 3)
    second = access_events(app, patient)[1]
    with app.app_context():
        fields = {name: getattr(second, name) for name in access_log._MAC_FIELDS}
    fields["categories"] = "glucose"
    forged = hashlib.sha256(access_log.event_material(**fields)).hexdigest()
    _tamper(
        app,
        update(AccessEvent)
        .where(AccessEvent.id == second.id)
        .values(categories="glucose", hash=forged),
    )
    _tamper(
        app,
        update(AccessEvent)
        .where(AccessEvent.patient_id == patient, AccessEvent.seq == 3)
        .values(prev_hash=forged),
    )
    result = runner.invoke(args=["verify-access-log", "--no-anchor"])
    assert result.exit_code != 0
    assert f"patient {patient}: event 2 was changed after writing" in result.output


def _rewrite_with_the_key(app: Flask, patient_id: uuid.UUID, keep: int | None = None) -> None:
    """An insider with the database AND the key file rewrites a chain from its first
    event (the first read now says "glucose"), keeping `keep` events (all if None): every
    digest and the head recomputed, so the chain alone looks fine."""
    old = access_events(app, patient_id)[:keep]
    _tamper(app, delete(AccessEvent).where(AccessEvent.patient_id == patient_id))
    prev = access_log.GENESIS
    with app.app_context(), db.transaction() as sess:
        mac = audit.log_macer(sess)
        for n, event in enumerate(old, start=1):
            fields = {name: getattr(event, name) for name in access_log._MAC_FIELDS}
            fields.update(seq=n, prev_hash=prev, chain=access_log.KEYED)
            if n == 1:
                fields["categories"] = "glucose"
            digest = access_log.event_mac(fields, mac=mac)
            sess.add(AccessEvent(id=uuid.uuid4(), hash=digest, **fields))
            prev = digest
        sess.execute(
            update(PatientLogHead)
            .where(PatientLogHead.patient_id == patient_id)
            .values(seq=len(old), hash=prev)
        )


def test_the_anchor_shows_a_chain_rewritten_from_its_start(app: Flask, runner: Any) -> None:
    patient, other = uuid.uuid4(), uuid.uuid4()
    _append(app, patient, 3)
    _append(app, other, 1)
    written = runner.invoke(args=["anchor-access-log"])
    assert written.exit_code == 0, written.output
    assert "2 patient chains" in written.output
    _rewrite_with_the_key(app, patient)

    alone = runner.invoke(args=["verify-access-log", "--no-anchor"])
    assert alone.exit_code == 0, alone.output  # with the key, a rewrite fools the chain
    checked = runner.invoke(args=["verify-access-log"])
    assert checked.exit_code != 0
    out = checked.output
    assert f"patient {patient}" in out
    assert "NOTHING in it up to and including event 3 can be trusted" in out
    assert "event 1 " not in out
    assert "event 2 " not in out
    assert f"patient {other}" not in out  # the other chain holds


def test_a_chain_cut_short_of_its_anchor_is_reported(app: Flask, runner: Any) -> None:
    patient = uuid.uuid4()
    _append(app, patient, 3)
    assert runner.invoke(args=["anchor-access-log"]).exit_code == 0
    _rewrite_with_the_key(app, patient, keep=2)  # the newest event gone, head moved back
    checked = runner.invoke(args=["verify-access-log"])
    assert checked.exit_code != 0
    assert "cut short: the anchor names event 3, the chain ends at event 2" in checked.output
    # Every event of a chain gone, head row too: still seen through the anchor.
    _tamper(app, delete(AccessEvent).where(AccessEvent.patient_id == patient))
    with app.app_context(), db.transaction() as sess:
        sess.execute(delete(PatientLogHead))
    gone = runner.invoke(args=["verify-access-log"])
    assert gone.exit_code != 0
    assert "no event is left" in gone.output


def test_an_edited_anchor_file_is_refused(app: Flask, runner: Any) -> None:
    _append(app, uuid.uuid4(), 2)
    assert runner.invoke(args=["anchor-access-log"]).exit_code == 0
    path = access_anchor.anchor_file(app)
    data = json.loads(path.read_text())
    data["heads"][0][1] = 1  # "fewer events" to hide a cut
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code != 0
    assert "does not match its own digest" in result.output
    assert (path.with_name(path.name + ".prev")).exists() is False  # one write only so far


def test_the_previous_anchor_is_kept_and_the_interval_is_honoured(app: Flask) -> None:
    patient = uuid.uuid4()
    _append(app, patient, 1)
    path = access_anchor.anchor_file(app)
    assert access_anchor.write_if_due(app)
    assert not access_anchor.write_if_due(app)  # written a moment ago
    _append(app, patient, 1)
    os.utime(path, (0, 0))  # as if 1970: due again
    assert access_anchor.write_if_due(app)
    first = access_anchor.read(path.with_name(path.name + ".prev"))
    second = access_anchor.read(path)
    assert (first.heads[patient][0], second.heads[patient][0]) == (1, 2)


def test_rotation_keeps_the_log_verifiable(app: Flask, runner: Any) -> None:
    from pgd.crypto import audit
    from pgd.crypto.models import DataKey

    patient = uuid.uuid4()
    _append(app, patient, 2)
    assert runner.invoke(args=["rotate-master-key"]).exit_code == 0
    with app.app_context():
        row = db.session().scalar(select(DataKey).where(DataKey.owner_id == audit.AUDIT_OWNER))
        current = app.extensions["pgd.keyring"].current
        assert row is not None
        assert row.kek_id == current
    # The rotation emptied the worker's key cache: the next event unwraps the re-wrapped key.
    _append(app, patient, 1)
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code == 0, result.output
    assert "3 events" in result.output


def test_deleting_the_account_keeps_the_log_verifiable(
    app: Flask,
    runner: Any,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Any,
) -> None:
    patient = create_patient()
    clinician = create_clinician()
    add_readings(app, patient)
    make_grant(patient, clinician)
    web = verified_client(clinician)
    assert web.get(f"/clinician/patients/{patient.id}").status_code == 200
    own = logged_in(app, "patient@example.nl")
    done = post_form(own, "/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    assert len(access_events(app, patient.id)) == 1
    result = runner.invoke(args=["verify-access-log"])
    assert result.exit_code == 0, result.output


def test_the_migration_keeps_old_events_verifiable(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    """Events of the single unkeyed chain (before 0016) stay as they are and verify as
    the legacy chain; a patient's keyed chain continues after their last old event."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db.upgrade(url, "0015_email_confirmation")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    patient, other, actor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    prev = access_log.GENESIS
    from datetime import UTC, datetime

    with engine.begin() as conn:
        for seq, who in enumerate((patient, other, patient), start=1):
            fields = {
                "seq": seq,
                "occurred_at": datetime(2026, 11, 1, 10, seq, tzinfo=UTC),
                "actor_id": actor,
                "actor_name": "Anna de Vries",
                "actor_profession": "poh",
                "patient_id": who,
                "categories": "weight",
                "action": "view_chart",
                "address": "10.0.0.1",
                "prev_hash": prev,
            }
            digest = access_log.event_hash(**fields)  # type: ignore[arg-type]
            conn.execute(
                text(
                    "INSERT INTO access_events (id, seq, occurred_at, actor_id, actor_name, "
                    "actor_profession, patient_id, categories, action, address, prev_hash, "
                    "hash) VALUES (:id, :seq, :occurred_at, :actor_id, :actor_name, "
                    ":actor_profession, :patient_id, :categories, :action, :address, "
                    ":prev_hash, :hash)"
                ),
                {
                    **{k: (v.hex if isinstance(v, uuid.UUID) else v) for k, v in fields.items()},
                    "occurred_at": f"2026-11-01 10:0{seq}:00.000000",
                    "id": uuid.uuid4().hex,
                    "hash": digest,
                },
            )
            prev = digest
        conn.execute(
            text("INSERT INTO access_log_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": prev}
        )
    engine.dispose()
    db.upgrade(url)
    app = make_app(DATABASE_URL=url)
    try:
        with app.app_context():
            report = access_log.verify()
            assert (report.intact, report.events, report.chains) == (True, 3, 1), report
        _append(app, patient, 1)
        new = [e for e in access_events(app, patient) if e.chain == access_log.KEYED]
        assert [e.seq for e in new] == [4]  # after the patient's last old event (3)
        with app.app_context():
            report = access_log.verify()
            assert (report.intact, report.events, report.chains) == (True, 4, 2), report
        # An old event changed is still caught, by its old digest.
        _tamper(app, update(AccessEvent).where(AccessEvent.seq == 2).values(action="x"))
        with app.app_context():
            (broken,) = access_log.verify().problems
        assert (broken.patient_id, broken.seq) == (None, 2)
    finally:
        app.extensions["pgd.engine"].dispose()
