"""The worker's cache of unwrapped data keys (issue 14): behind the consent door, emptied
by a rotation, a changed key file and crypto-shredding, and off with 0 seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from pgd import crypto, db
from pgd.accounts import services
from pgd.crypto.rotation import rotate
from tests.conftest import acting_as_clinician


@contextmanager
def key_lookups(app: Flask) -> Iterator[list[str]]:
    """The statements that read a wrapped data key while the block runs."""
    seen: list[str] = []

    def before(_conn: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if "FROM data_keys" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _read_name(app: Flask, user: Any) -> str:
    with app.test_request_context():
        crypto.limit_keys_to(user.id)
        return services.profile_of(user.id).name


def test_a_second_request_opens_the_key_from_the_cache(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with key_lookups(app) as seen:
        assert _read_name(app, user) == "Jansje Pietersma"
        first = len(seen)
        assert _read_name(app, user) == "Jansje Pietersma"
    assert first >= 1
    assert len(seen) == first  # the second request did not look the key up


def test_zero_seconds_keeps_nothing(make_app: Callable[..., Flask]) -> None:
    app = make_app(DATA_KEY_CACHE_SECONDS=0)
    with app.test_request_context():
        user = services.register_patient(
            "nul@example.nl", "een lang genoeg wachtwoord", "Nul Cache", None
        )
    with key_lookups(app) as seen:
        _read_name(app, user)
        first = len(seen)
        _read_name(app, user)
    assert len(seen) == 2 * first


def test_the_cache_never_opens_a_pair_the_policy_did_not_allow(
    app: Flask, create_patient: Any, create_enrolled_clinician: Any
) -> None:
    """The patient's own request put the key in the cache; a clinician without a grant
    still meets KeyNotPermitted, as if the cache were not there."""
    patient = create_patient()
    clinician = create_enrolled_clinician()
    assert _read_name(app, patient) == "Jansje Pietersma"  # cached now
    with app.app_context():
        assert app.extensions["pgd.worker_keys"].entries  # the cache holds the key
    with acting_as_clinician(app, clinician.user), pytest.raises(crypto.KeyNotPermitted):
        crypto.cipher_for(patient.id, crypto.Category.PROFILE)
    with acting_as_clinician(app, clinician.user), pytest.raises(crypto.KeyNotPermitted):
        crypto.preload([patient.id], crypto.Category.PROFILE)


def test_a_rotation_empties_the_cache(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    _read_name(app, user)
    with app.app_context():
        assert app.extensions["pgd.worker_keys"].entries
        rotate(app)
        assert not app.extensions["pgd.worker_keys"].entries
    with key_lookups(app) as seen:
        assert _read_name(app, user) == "Jansje Pietersma"
    assert seen  # read again from the database, under the new master key


def test_a_rotation_in_another_process_empties_it_too(
    app: Flask, make_app: Callable[..., Flask], create_patient: Any
) -> None:
    """Another process rotates (a new key file): this worker's next request does not use
    what it unwrapped under the old ring."""
    user = create_patient()
    _read_name(app, user)
    admin = make_app()
    assert admin.test_cli_runner().invoke(args=["rotate-master-key"]).exit_code == 0
    with key_lookups(app) as seen:
        assert _read_name(app, user) == "Jansje Pietersma"
    assert seen


def test_shredding_forgets_the_owners_keys(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    _read_name(app, user)
    with app.test_request_context():
        with db.transaction():
            assert crypto.destroy_patient_keys(user.id) >= 1
        assert not any(k[0] == user.id for k in app.extensions["pgd.worker_keys"].entries)
        with pytest.raises(crypto.DecryptionError):
            crypto.cipher_for(user.id, crypto.Category.PROFILE)


def test_a_key_made_in_a_rolled_back_transaction_is_not_kept(
    app: Flask, create_patient: Any
) -> None:
    user = create_patient()
    with app.test_request_context():

        def fail_after_making_the_key() -> None:
            with db.transaction():
                crypto.cipher_for(user.id, crypto.Category.WEIGHT, create=True)
                raise RuntimeError("rolled back after the key was made")

        with pytest.raises(RuntimeError):
            fail_after_making_the_key()
        assert (user.id, "weight") not in app.extensions["pgd.worker_keys"].entries
