"""Issue 13: a sealed record's length gives away nothing but its padding bucket.

Version 2 records hold a length-prefixed plaintext padded with zeros to a bucket
(pgd.crypto.core.padded_size), and a reading is stored in a fixed binary layout per kind
(pgd.measurements.values.encode), so a weight from 100 kg, a diastolic from 100, a glucose
from 10 mmol/L or the moment of a glucose reading no longer change the sealed length:
every reading without a note is 45 bytes (issue 14: small rows). A note shows only its
bucket. Version 1 records (sealed before padding) and JSON readings still open.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pgd import db
from pgd.crypto.core import (
    PAD_MIN,
    TEXT_MIN,
    DecryptionError,
    RecordCipher,
    new_data_key,
    padded_size,
)
from pgd.measurements import services as measurements
from pgd.measurements import validation as check
from pgd.measurements import values as v
from pgd.measurements.models import Kind, Measurement
from pgd.measurements.values import Moment
from tests.conftest import login, post_form

PATIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")
ROW = uuid.UUID("33333333-3333-4333-8333-333333333333")
SEP = b"\x1f"
# version byte + nonce + smallest bucket + GCM tag
SMALL = 1 + 12 + PAD_MIN + 16


# -- helpers ---------------------------------------------------------------------------


def _v1_ad(table: str, row_id: uuid.UUID, owner: uuid.UUID, category: str) -> bytes:
    """The associated data of a version 1 record, written out here (not taken from pgd)."""
    return table.encode() + SEP + row_id.bytes + SEP + owner.bytes + SEP + category.encode()


def _seal_v1(
    dek: bytes,
    table: str,
    row_id: uuid.UUID,
    category: str,
    pt: bytes,
    owner: uuid.UUID = PATIENT,
) -> bytes:
    """A record sealed the way pgd did before issue 13: no length, no padding."""
    nonce = os.urandom(12)
    ad = _v1_ad(table, row_id, owner, category)
    return b"\x01" + nonce + AESGCM(dek).encrypt(nonce, pt, ad)


def _seal_v2_raw(dek: bytes, table: str, row_id: uuid.UUID, category: str, framed: bytes) -> bytes:
    """A version 2 record with a chosen framed plaintext and a valid tag (a forger with
    the key, or a sealing bug): used to check that open() still refuses bad framing."""
    nonce = os.urandom(12)
    ad = b"\x02" + _v1_ad(table, row_id, PATIENT, category)
    return b"\x02" + nonce + AESGCM(dek).encrypt(nonce, framed, ad)


def _stored_lengths(app: Flask, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The length of each reading's sealed column, as the database holds it."""
    with app.app_context():
        rows = db.session().execute(
            select(Measurement.id, func.length(Measurement.payload_sealed)).where(
                Measurement.id.in_(ids)
            )
        )
        return {row_id: int(length) for row_id, length in rows}


WHEN = datetime.now(UTC) - timedelta(days=1)


def _store(app: Flask, user: Any, readings: list[tuple[v.Value, str]]) -> list[int]:
    """Store readings through the measurement services; the sealed lengths, in order."""
    ids = []
    with app.test_request_context():
        for i, (value, note) in enumerate(readings):
            reading = measurements.add(
                user, user.id, value, WHEN - timedelta(minutes=i), check.note(note)
            )
            ids.append(reading.id)
    lengths = _stored_lengths(app, ids)
    return [lengths[i] for i in ids]


# -- the values the issue names, through validation and the services ----------------------


def test_weight_edges_have_one_sealed_length(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    raw = ["20", "99,9", "100", "100.0", "123.4", "250", "399.9", "400"]
    with app.test_request_context():
        values = [check.weight(r) for r in raw]
    lengths = _store(app, user, [(w, "") for w in values])
    assert set(lengths) == {SMALL}, dict(zip(raw, lengths, strict=True))


def test_blood_pressure_edges_have_one_sealed_length(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    raw = [
        ("120", "80", "", ""),
        ("120", "99", "", ""),
        ("140", "100", "", ""),
        ("99", "60", "", ""),
        ("100", "60", "", ""),
        ("300", "200", "250", "right"),
        ("61", "30", "25", "left"),
        ("187", "113", "", "left"),
    ]
    with app.test_request_context():
        values = [check.blood_pressure(*r) for r in raw]
    lengths = _store(app, user, [(bp, "") for bp in values])
    assert set(lengths) == {SMALL}, dict(zip(raw, lengths, strict=True))


def test_glucose_edges_and_every_moment_have_one_sealed_length(
    app: Flask, create_patient: Any
) -> None:
    user = create_patient()
    with app.test_request_context():
        values = [
            check.glucose(amount, unit, moment.value)
            for amount, unit in [
                ("0,5", "mmol"),
                ("9.9", "mmol"),
                ("10.0", "mmol"),
                ("33.3", "mmol"),
                ("40", "mmol"),
                ("181", "mg"),
                ("721", "mg"),
            ]
            for moment in Moment
        ]
    lengths = _store(app, user, [(g, "") for g in values])
    assert set(lengths) == {SMALL}


def test_all_kinds_share_the_length_and_a_note_shows_only_its_bucket(
    app: Flask, create_patient: Any
) -> None:
    user = create_patient()
    plain: list[tuple[v.Value, str]] = [
        (v.Weight(82.5), ""),
        (v.Weight(182.5), ""),
        (v.BloodPressure(187, 113, 72, "left"), ""),
        (v.BloodPressure(120, 80), ""),
        (v.Glucose(33.3, Moment.BEFORE_BREAKFAST.value), ""),
        (v.Glucose(4.2, Moment.NIGHT.value), ""),
    ]
    assert set(_store(app, user, plain)) == {SMALL} == {45}
    noted: list[tuple[v.Value, str]] = [
        (v.Weight(182.5), "na het sporten, vergeten te eten"),  # 32 bytes: bucket 64
        (v.BloodPressure(120, 80), "duizelig na fietsen, even zitten"),  # 32
        (v.Glucose(4.2, Moment.NIGHT.value), "hypo, 's nachts wakker, gegeten"),  # 31
    ]
    assert set(_store(app, user, noted)) == {1 + 12 + 64 + 16}


def test_long_notes_show_only_their_bucket(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    value = v.Glucose(7.4, Moment.AFTER_DINNER.value)
    base = len(v.encode(value, "")) + 4  # framed size without note text
    # Two notes at the ends of one bucket (256), one in the next (512), the longest allowed.
    low, high = 129 - base, 256 - base
    notes = ["a" * low, "b" * high, "c" * (high + 1), "é" * check.NOTE_MAX]
    lengths = _store(app, user, [(value, n) for n in notes])
    assert lengths[0] == lengths[1] == 1 + 12 + 256 + 16
    assert lengths[2] == 1 + 12 + 512 + 16
    assert lengths[3] == 1 + 12 + padded_size(base + 2 * check.NOTE_MAX) + 16
    # and they read back exactly
    with app.test_request_context():
        got = [r.note for r in measurements.all_readings(user, user.id)]
    assert sorted(got) == sorted(notes)


def test_texts_start_at_the_text_bucket(dek: bytes) -> None:
    """Names, dates and secrets: every text up to 60 bytes has one sealed length."""
    c = RecordCipher(dek, PATIENT, "profile")
    lengths = {len(c.seal_text("profiles", ROW, "x" * n)) for n in (0, 1, 16, 30, 60)}
    assert lengths == {1 + 12 + TEXT_MIN + 16}
    assert len(c.seal_text("profiles", ROW, "x" * 61)) == 1 + 12 + 128 + 16


def test_weight_through_the_form_has_one_sealed_length(app: Flask, create_patient: Any) -> None:
    create_patient()
    client = app.test_client()
    login(client, "patient@example.nl")
    when = datetime.now(check.LOCAL) - timedelta(hours=2)
    for kg in ("99,9", "100,0", "250"):
        response = post_form(
            client,
            "/measurements/weight/new",
            {
                "weight": kg,
                "date": when.strftime("%d-%m-%Y"),
                "time": when.strftime("%H:%M"),
                "note": "",
            },
        )
        assert response.status_code == 302, kg
    with app.app_context():
        lengths = db.session().scalars(select(func.length(Measurement.payload_sealed))).all()
    assert sorted(lengths) == [SMALL] * 3


# -- version 1 records stay readable ---------------------------------------------------------


def test_version_1_rows_in_the_database_still_open(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():
        reading = measurements.add(user, user.id, v.Weight(101.3), WHEN, "nieuw")
        other = measurements.add(user, user.id, v.Weight(88.0), WHEN - timedelta(hours=1))
        dek = measurements._cipher(user.id, Kind.WEIGHT)._dek
    # What the code before issue 13 sealed: the payload as it was, version byte 1.
    payload = v.encode(v.Weight(101.3), "oud")
    old = _seal_v1(dek, "measurements", reading.id, "weight", payload, owner=user.id)
    with app.app_context():
        sess = db.session()
        row = sess.scalars(
            select(Measurement).where(
                Measurement.patient_id == user.id, Measurement.id == reading.id
            )
        ).one()
        assert row.payload_sealed[0] == 2
        row.payload_sealed = old
        sess.commit()
    with app.test_request_context():
        got = {r.id: r for r in measurements.all_readings(user, user.id)}  # open()
        weights = measurements.series(user, user.id, Kind.WEIGHT)  # open_many()
    assert got[reading.id].value == v.Weight(101.3)
    assert got[reading.id].note == "oud"
    assert got[other.id].value == v.Weight(88.0)
    assert sorted(weights.values["kg"].tolist()) == [88.0, 101.3]


# -- the core, without a database ---------------------------------------------------------------


@pytest.fixture
def dek() -> bytes:
    return new_data_key()


def test_version_1_blob_opens_and_mixes_with_version_2_in_open_many(dek: bytes) -> None:
    c = RecordCipher(dek, PATIENT, "glucose")
    rows = [uuid.uuid4() for _ in range(6)]
    payloads = [f'{{"g":{i}.5,"m":"night"}}'.encode() for i in range(6)]
    blobs = [
        _seal_v1(dek, "measurements", r, "glucose", p) if i % 2 else c.seal("measurements", r, p)
        for i, (r, p) in enumerate(zip(rows, payloads, strict=True))
    ]
    assert [b[0] for b in blobs] == [2, 1, 2, 1, 2, 1]
    assert [c.open("measurements", r, b) for r, b in zip(rows, blobs, strict=True)] == payloads
    opened = c.open_many("measurements", [(r.bytes, b) for r, b in zip(rows, blobs, strict=True)])
    assert opened == payloads
    assert c.open_text("t", ROW, _seal_v1(dek, "t", ROW, "glucose", b"Jansje")) == "Jansje"


@pytest.mark.parametrize(("old", "new"), [(2, 1), (1, 2)])
def test_relabelled_version_does_not_open(dek: bytes, old: int, new: int) -> None:
    c = RecordCipher(dek, PATIENT, "weight")
    pt = b'{"kg":101.3}'
    blob = bytearray(c.seal("t", ROW, pt) if old == 2 else _seal_v1(dek, "t", ROW, "weight", pt))
    assert blob[0] == old
    blob[0] = new
    with pytest.raises(DecryptionError):
        c.open("t", ROW, bytes(blob))
    with pytest.raises(DecryptionError):
        c.open_many("t", [(ROW.bytes, bytes(blob))])


@pytest.mark.parametrize(
    "offset",
    [13, 14, 15, 16, 13 + 4 + 12, 13 + PAD_MIN - 1],  # the length prefix, then the padding
)
def test_tampered_length_or_padding_fails_at_the_tag(dek: bytes, offset: int) -> None:
    c = RecordCipher(dek, PATIENT, "weight")
    blob = bytearray(c.seal("t", ROW, b'{"kg":82.5}'))  # 11 bytes: framed 15..127 are padding
    assert len(blob) == SMALL
    blob[offset] ^= 0x40  # AES-GCM: this flips the same bit of the framed plaintext
    with pytest.raises(DecryptionError, match="does not open"):
        c.open("t", ROW, bytes(blob))
    with pytest.raises(DecryptionError, match="does not open"):
        c.open_many("t", [(ROW.bytes, bytes(blob))])


def test_authenticated_but_malformed_length_is_refused(dek: bytes) -> None:
    c = RecordCipher(dek, PATIENT, "weight")
    too_long = (PAD_MIN - 3).to_bytes(4, "big") + bytes(PAD_MIN - 4)
    for framed in (too_long, b"\x00\x00", (2**32 - 1).to_bytes(4, "big")):
        blob = _seal_v2_raw(dek, "t", ROW, "weight", framed)
        with pytest.raises(DecryptionError):
            c.open("t", ROW, blob)
        with pytest.raises(DecryptionError):
            c.open_many("t", [(ROW.bytes, blob)])
    exact = (PAD_MIN - 4).to_bytes(4, "big") + b"z" * (PAD_MIN - 4)
    assert c.open("t", ROW, _seal_v2_raw(dek, "t", ROW, "weight", exact)) == b"z" * (PAD_MIN - 4)


def test_unknown_version_empty_and_short_blobs_do_not_open(dek: bytes) -> None:
    c = RecordCipher(dek, PATIENT, "weight")
    good = c.seal("t", ROW, b"x")
    for blob in (b"", b"\x02", b"\x03" + good[1:], b"\x00" + good[1:], good[:13], good[:28]):
        with pytest.raises(DecryptionError):
            c.open("t", ROW, blob)
        with pytest.raises(DecryptionError):
            c.open_many("t", [(ROW.bytes, blob)])


def test_bucket_sizes() -> None:
    assert [padded_size(n) for n in (0, 4, 16)] == [PAD_MIN] * 3
    assert [padded_size(n) for n in (17, 32, 33, 129, 256, 257, 2049, 4096)] == [
        32,
        32,
        64,
        256,
        256,
        512,
        4096,
        4096,
    ]
    # Padmé above 4096: at most 12 % more, and few distinct sizes.
    assert padded_size(4097) == 4352
    sizes = [padded_size(n) for n in range(4097, 1 << 20, 97)]
    assert all(s >= n for s, n in zip(sizes, range(4097, 1 << 20, 97), strict=True))
    assert all(s <= n * 1.12 for s, n in zip(sizes, range(4097, 1 << 20, 97), strict=True))
    assert len(set(sizes)) < 200  # of ~10,800 lengths


@settings(max_examples=300, deadline=None)
@given(size=st.integers(0, 1 << 21))
def test_property_bucket_covers_and_is_monotone(size: int) -> None:
    bucket = padded_size(size)
    assert bucket >= max(size, PAD_MIN)
    assert padded_size(size + 1) >= bucket
    assert padded_size(bucket) == bucket  # a bucket size is its own bucket


@settings(max_examples=300, deadline=None)
@given(plaintext=st.binary(max_size=5000), table=st.sampled_from(["measurements", "goals", "t"]))
def test_property_round_trip_and_length_is_the_bucket(plaintext: bytes, table: str) -> None:
    c = RecordCipher(new_data_key(), PATIENT, "goals")
    row = uuid.uuid4()
    blob = c.seal(table, row, plaintext)
    assert blob[0] == 2
    assert len(blob) == 1 + 12 + padded_size(len(plaintext) + 4) + 16
    assert c.open(table, row, blob) == plaintext
    assert c.open_many(table, [(row.bytes, blob)]) == [plaintext]


_weights = st.integers(200, 4000).map(lambda t: f"{t // 10},{t % 10}")
_glucose = st.tuples(
    st.one_of(
        st.tuples(st.integers(5, 400).map(lambda t: f"{t / 10}"), st.just("mmol")),
        st.tuples(st.integers(9, 721).map(str), st.just("mg")),
    ),
    st.sampled_from([m.value for m in Moment]),
)
_bp = st.integers(30, 200).flatmap(
    lambda dia: st.tuples(
        st.integers(max(dia + 1, 60), 300).map(str),
        st.just(str(dia)),
        st.one_of(st.just(""), st.integers(25, 250).map(str)),
        st.sampled_from(["", "left", "right"]),
    )
)


@settings(max_examples=300, deadline=None)
@given(weight=_weights, glucose=_glucose, bp=_bp, note=st.text(max_size=12))
def test_property_every_valid_reading_seals_to_one_length(
    weight: str, glucose: Any, bp: Any, note: str
) -> None:
    """Every value the validators accept seals to the smallest bucket without a note;
    with a short note (up to 12 characters, 4 bytes each) to one of the next two."""
    (amount, unit), moment = glucose
    values = [check.weight(weight), check.glucose(amount, unit, moment), check.blood_pressure(*bp)]
    short = check.note(note)
    c = RecordCipher(new_data_key(), PATIENT, "weight")
    for value in values:
        assert len(c.seal("measurements", ROW, v.encode(value, ""))) == SMALL, value
        with_note = len(c.seal("measurements", ROW, v.encode(value, short)))
        assert with_note in (SMALL, 1 + 12 + 32 + 16, 1 + 12 + 64 + 16), (value, short)
        assert v.decode(str(v.KIND_OF[type(value)]), v.encode(value, short)) == (value, short)


def test_compact_and_json_payloads_give_the_same_columns() -> None:
    """Readings sealed as JSON before the compact form read back the same, also in the
    columns a chart uses, alone or mixed with compact ones."""
    import numpy as np
    import orjson

    bp = [v.BloodPressure(140, 90, 70, "left"), v.BloodPressure(120, 80)]
    legacy = [orjson.dumps({"s": 140, "d": 90, "p": 70, "a": "left"}), b'{"s":120,"d":80}']
    compact = [v.encode(x, "") for x in bp]
    for payloads in (compact, legacy, [compact[0], legacy[1]]):
        cols = v.columns(Kind.BLOOD_PRESSURE, payloads)
        assert cols["s"].tolist() == [140.0, 120.0]
        assert cols["d"].tolist() == [90.0, 80.0]
        assert cols["p"][0] == 70.0
        assert np.isnan(cols["p"][1])
        assert [v.decode("blood_pressure", p)[0] for p in payloads] == bp
    glucose = [v.Glucose(5.55, Moment.NIGHT.value), v.Glucose(12.0, Moment.FASTING.value)]
    old = [orjson.dumps({"g": g.mmol, "m": g.moment, "n": "x"}) for g in glucose]
    for payloads in ([v.encode(g, "x") for g in glucose], old):
        cols = v.columns(Kind.GLUCOSE, payloads)
        assert cols["g"].tolist() == [5.55, 12.0]
        assert cols["m"].tolist() == ["night", "fasting"]
        assert [v.decode("glucose", p) for p in payloads] == [(g, "x") for g in glucose]
    assert v.columns(Kind.WEIGHT, [v.encode(v.Weight(99.9), ""), b'{"kg":100.0}'])[
        "kg"
    ].tolist() == [99.9, 100.0]


def test_the_stored_codes_of_arm_and_moment_are_pinned() -> None:
    """Codes are positions: a reordered enum would silently change stored readings."""
    assert v._ARMS == (None, "left", "right")
    assert v._MOMENTS[:10] == (
        "fasting",
        "before_breakfast",
        "after_breakfast",
        "before_lunch",
        "after_lunch",
        "before_dinner",
        "after_dinner",
        "bedtime",
        "night",
        "other",
    )
    assert set(v._MOMENTS) == {m.value for m in Moment}
    assert v.encode(v.Glucose(5.0, "night"), "")[-1] == 8
