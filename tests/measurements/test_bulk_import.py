"""The bulk path of imports (issue 14): ids, sealing, the kept file and the stored rows."""

from __future__ import annotations

import os
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import select

from pgd import crypto, db
from pgd.crypto.core import RecordCipher, new_data_key
from pgd.measurements import imports, services
from pgd.measurements import values as v
from pgd.measurements.import_models import PendingImport
from pgd.measurements.models import Kind, Measurement, Source

START = datetime(2025, 3, 14, 7, 30, tzinfo=UTC)


def _items() -> list[tuple[v.Value, datetime, str]]:
    return [
        (v.BloodPressure(135, 85, 72, "left"), START, "na het opstaan"),
        (v.BloodPressure(142, 91, None, None), START + timedelta(days=1), ""),
        (v.Weight(82.5), START + timedelta(minutes=15), ""),
        (v.Glucose(6.8, "fasting"), START, "café " * 60),  # a note past the smallest bucket
        (v.Glucose(11.2, "after_lunch"), START + timedelta(hours=5, seconds=7), ""),
    ]


def test_bulk_ids_are_distinct_version_4_uuids() -> None:
    raw = services.new_raw_ids(2000)
    ids = [uuid.UUID(bytes=raw[i : i + 16]) for i in range(0, len(raw), 16)]
    assert len(ids) == 2000
    assert len(set(ids)) == 2000
    assert {i.version for i in ids} == {4}
    assert {i.variant for i in ids} == {uuid.RFC_4122}


@pytest.mark.parametrize("size", [0, 8, 12, 13, 60, 300, 2000])
def test_seal_many_seals_like_seal(size: int) -> None:
    owner = uuid.uuid4()
    cipher = RecordCipher(new_data_key(), owner, "glucose")
    plaintext = os.urandom(size)
    ids = [uuid.uuid4() for _ in range(3)]
    sealed = cipher.seal_many("measurements", [(i.bytes, plaintext) for i in ids])
    one = cipher.seal("measurements", ids[0], plaintext)
    assert [len(blob) for blob in sealed] == [len(one)] * 3  # the same padding bucket
    assert len({blob[1:13] for blob in sealed}) == 3  # a nonce of its own each
    for row_id, blob in zip(ids, sealed, strict=True):
        assert cipher.open("measurements", row_id, blob) == plaintext
    with pytest.raises(crypto.DecryptionError):
        cipher.open("measurements", ids[1], sealed[0])  # bound to its own row


def test_the_kept_file_unpacks_to_what_was_packed() -> None:
    rows = services.encoded(_items())
    blob = imports._pack(rows)
    assert imports._unpack_encoded(blob) == rows
    unpacked = [
        (*v.decode(kind, payload), datetime.fromtimestamp(epoch, UTC))
        for kind, epoch, payload in imports._unpack_encoded(blob)
    ]
    assert [(value, when, note) for value, note, when in unpacked] == [
        (value, when.replace(microsecond=0), note) for value, when, note in _items()
    ]
    assert imports._unpack_encoded(imports._pack([])) == []


def test_add_many_stores_every_reading_exactly(app: Flask, create_patient: Any) -> None:
    patient = create_patient()
    items = _items()
    with app.test_request_context():
        result = services.add_many(patient, patient.id, items, Source.CSV)
    assert (result.added, result.duplicates) == (len(items), 0)
    with app.test_request_context():
        saved = list(services.all_readings(patient, patient.id))
        stored = db.session().execute(select(Measurement.id, Measurement.source)).all()
    assert len(saved) == len(items)
    by_time_note = {(r.taken_at, r.note): r.value for r in saved}
    for value, when, note in items:
        assert by_time_note[(when, note)] == value
    assert {row.id.version for row in stored} == {4}
    assert {row.source for row in stored} == {"csv"}


def test_the_same_readings_again_are_skipped_whatever_their_notes(
    app: Flask, create_patient: Any
) -> None:
    patient = create_patient()
    items = _items()
    with app.test_request_context():
        services.add_many(patient, patient.id, items, Source.CSV)
    again = [(value, when, "another note") for value, when, _ in items]
    twice: list[tuple[v.Value, datetime, str]] = [
        (v.Weight(90.1), START + timedelta(days=3), "")
    ] * 2
    with app.test_request_context():
        counted = services.duplicates(patient, patient.id, again + twice)
        result = services.add_many(patient, patient.id, again + twice, Source.CSV)
    assert (counted.in_record, counted.in_list) == (len(items), 1)
    assert (result.added, result.duplicates) == (1, len(items) + 1)
    with app.test_request_context():
        assert len(list(services.all_readings(patient, patient.id))) == len(items) + 1


def test_a_file_kept_in_the_form_before_still_confirms(app: Flask, create_patient: Any) -> None:
    """A preview made just before an upgrade (zlib of JSON rows) is confirmed after it."""
    patient = create_patient()
    items = _items()
    old = zlib.compress(
        orjson.dumps(
            [
                [v.KIND_OF[type(value)].value, when.timestamp(), note, *_fields(value)]
                for value, when, note in items
            ]
        ),
        1,
    )
    with app.test_request_context(), db.transaction() as sess:
        row_id = db.new_id()
        cipher = crypto.cipher_for(patient.id, crypto.Category.IMPORTS, create=True)
        sess.add(
            PendingImport(
                id=row_id,
                patient_id=patient.id,
                created_at=db.utcnow(),
                payload_sealed=cipher.seal(imports.TABLE, row_id, old),
            )
        )
    with app.test_request_context():
        result = imports.confirm(patient, patient.id, row_id)
    assert (result.added, result.duplicates) == (len(items), 0)
    with app.test_request_context():
        kinds = sorted(r.kind for r in services.all_readings(patient, patient.id))
    assert kinds == sorted(v.KIND_OF[type(value)] for value, _, _ in items)
    assert Kind.GLUCOSE in kinds


def _fields(value: v.Value) -> list[Any]:
    if isinstance(value, v.BloodPressure):
        return [value.systolic, value.diastolic, value.pulse, value.arm]
    if isinstance(value, v.Weight):
        return [value.kg]
    return [value.mmol, value.moment]
