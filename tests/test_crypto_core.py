"""The envelope-encryption core, tested without app or database."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgd.crypto.core import (
    DecryptionError,
    KeyRing,
    MasterKeyError,
    RecordCipher,
    new_data_key,
)

PATIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER = uuid.UUID("22222222-2222-4222-8222-222222222222")
ROW = uuid.UUID("33333333-3333-4333-8333-333333333333")
ROW2 = uuid.UUID("44444444-4444-4444-8444-444444444444")


@pytest.fixture
def cipher() -> RecordCipher:
    return RecordCipher(new_data_key(), PATIENT, "blood_pressure")


def test_round_trip(cipher: RecordCipher) -> None:
    blob = cipher.seal("measurements", ROW, b"187/113 duizelig na fietsen")
    assert b"187" not in blob
    assert b"duizelig" not in blob
    assert cipher.open("measurements", ROW, blob) == b"187/113 duizelig na fietsen"


def test_same_plaintext_seals_differently(cipher: RecordCipher) -> None:
    a = cipher.seal("t", ROW, b"same")
    b = cipher.seal("t", ROW, b"same")
    assert a != b  # fresh nonce per write


@pytest.mark.parametrize("position", ["version", "nonce", "ciphertext", "tag"])
def test_tampering_is_detected(cipher: RecordCipher, position: str) -> None:
    blob = bytearray(cipher.seal("t", ROW, b"x" * 100))
    index = {"version": 0, "nonce": 5, "ciphertext": 20, "tag": len(blob) - 1}[position]
    blob[index] ^= 0x01
    with pytest.raises(DecryptionError):
        cipher.open("t", ROW, bytes(blob))


def test_truncated_blob_fails(cipher: RecordCipher) -> None:
    blob = cipher.seal("t", ROW, b"value")
    for cut in (0, 1, 13, len(blob) - 1):
        with pytest.raises(DecryptionError):
            cipher.open("t", ROW, blob[:cut])


def test_moved_to_other_row_or_table_fails(cipher: RecordCipher) -> None:
    blob = cipher.seal("measurements", ROW, b"120/80")
    with pytest.raises(DecryptionError):
        cipher.open("measurements", ROW2, blob)
    with pytest.raises(DecryptionError):
        cipher.open("goals", ROW, blob)


def test_moved_to_other_patient_or_category_fails() -> None:
    dek = new_data_key()
    mine = RecordCipher(dek, PATIENT, "weight")
    blob = mine.seal("t", ROW, b"82.5")
    # Even with the very same data key, the associated data names owner and category.
    with pytest.raises(DecryptionError):
        RecordCipher(dek, OTHER, "weight").open("t", ROW, blob)
    with pytest.raises(DecryptionError):
        RecordCipher(dek, PATIENT, "glucose").open("t", ROW, blob)


def test_other_data_key_fails(cipher: RecordCipher) -> None:
    blob = cipher.seal("t", ROW, b"x")
    with pytest.raises(DecryptionError):
        RecordCipher(new_data_key(), PATIENT, "blood_pressure").open("t", ROW, blob)


def test_open_many_matches_open(cipher: RecordCipher) -> None:
    rows = [(uuid.uuid4(), f"{i}".encode()) for i in range(50)]
    sealed = [(rid.bytes, cipher.seal("t", rid, pt)) for rid, pt in rows]
    assert cipher.open_many("t", sealed) == [pt for _, pt in rows]
    swapped = [(sealed[1][0], sealed[0][1])]
    with pytest.raises(DecryptionError):
        cipher.open_many("t", swapped)


def test_wrap_unwrap_and_wrong_master_key() -> None:
    ring = KeyRing.generate()
    dek = new_data_key()
    kek_id, wrapped = ring.wrap(dek, PATIENT, "profile")
    assert ring.unwrap(kek_id, wrapped, PATIENT, "profile") == dek
    wrong = KeyRing({kek_id: new_data_key()}, kek_id)  # same id, other key
    with pytest.raises(MasterKeyError):
        wrong.unwrap(kek_id, wrapped, PATIENT, "profile")
    with pytest.raises(MasterKeyError):  # wrapped key moved to another patient
        ring.unwrap(kek_id, wrapped, OTHER, "profile")
    with pytest.raises(MasterKeyError):  # unknown key id
        KeyRing.generate().unwrap(kek_id, wrapped, PATIENT, "profile")


def test_rotation_rewrap_and_remove_old_key() -> None:
    ring = KeyRing.generate()
    dek = new_data_key()
    old_id, wrapped = ring.wrap(dek, PATIENT, "glucose")
    rotated = ring.with_new_key()
    assert rotated.current != old_id
    assert old_id in rotated.keys
    new_id, rewrapped = rotated.wrap(
        rotated.unwrap(old_id, wrapped, PATIENT, "glucose"), PATIENT, "glucose"
    )
    retired = rotated.without(old_id)
    assert retired.unwrap(new_id, rewrapped, PATIENT, "glucose") == dek
    with pytest.raises(MasterKeyError):
        retired.unwrap(old_id, wrapped, PATIENT, "glucose")
    with pytest.raises(MasterKeyError):
        retired.without(retired.current)


def test_key_check_token() -> None:
    ring = KeyRing.generate()
    token = ring.make_check(ring.current)
    assert ring.verify_check(ring.current, token)
    impostor = KeyRing({ring.current: new_data_key()}, ring.current)
    assert not impostor.verify_check(ring.current, token)


def test_ring_serialisation_round_trip_and_bad_files() -> None:
    ring = KeyRing.generate().with_new_key()
    again = KeyRing.from_json(ring.to_json())
    assert again.keys == ring.keys
    assert again.current == ring.current
    for bad in (
        "",
        "{}",
        "not json",
        json.dumps({"current": "a", "keys": {"a": "!!"}}),
        json.dumps({"current": "a", "keys": {"a": "AAAA"}}),
        json.dumps({"current": "b", "keys": {"a": "A" * 44}}),
    ):
        with pytest.raises(MasterKeyError):
            KeyRing.from_json(bad)


@settings(max_examples=200, deadline=None)
@given(
    plaintext=st.binary(max_size=2048),
    table=st.text(min_size=1, max_size=30),
    category=st.sampled_from(["profile", "blood_pressure", "weight", "glucose", "goals"]),
)
def test_property_round_trip(plaintext: bytes, table: str, category: str) -> None:
    c = RecordCipher(new_data_key(), PATIENT, category)
    assert c.open(table, ROW, c.seal(table, ROW, plaintext)) == plaintext


@settings(max_examples=200, deadline=None)
@given(plaintext=st.binary(max_size=256), data=st.data())
def test_property_any_single_bit_flip_fails(plaintext: bytes, data: st.DataObject) -> None:
    c = RecordCipher(new_data_key(), PATIENT, "weight")
    blob = bytearray(c.seal("t", ROW, plaintext))
    index = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    blob[index] ^= 1 << bit
    with pytest.raises(DecryptionError):
        c.open("t", ROW, bytes(blob))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_property_text_round_trip(text: str) -> None:
    c = RecordCipher(new_data_key(), OTHER, "goals")
    assert c.open_text("goals", ROW, c.seal_text("goals", ROW, text)) == text
