"""Administrator commands: clinician accounts are made from the command line only."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import PASSWORD, count_rows, enrol, login, login_clinician, post_form

ARGS = [
    "create-clinician",
    "--email",
    "a.devries@praktijk.nl",
    "--name",
    "Anna de Vries",
    "--profession",
    "poh",
    "--practice",
    "Huisartsenpraktijk De Linde",
    "--agb",
    "01234567",
]


def test_create_clinician_and_log_in(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=ARGS, env={"PGD_NEW_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert "Clinician account created" in result.output
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = login(client, "a.devries@praktijk.nl")
    # First login: a new password of their own first, then the second factor's set-up.
    assert response.headers["Location"] == "/password/first"
    new = "Een-eigen-wachtwoord-2026"
    chosen = post_form(client, "/password/first", {"new_password": new, "confirm": new})
    assert chosen.headers["Location"] == "/clinician"
    assert client.get("/clinician").headers["Location"] == "/account/second-factor/setup"
    enrolled = enrol(app, "a.devries@praktijk.nl")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login_clinician(client, enrolled, new).headers["Location"] == "/clinician"
    body = client.get("/clinician").get_data(as_text=True)
    assert "Anna de Vries" in body
    assert "Huisartsenpraktijk De Linde" in body


def test_create_clinician_prompts_for_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=ARGS, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "a.devries@praktijk.nl").status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--email": "not-an-email"}, "--email"),
        ({"--profession": "chirurg"}, "--profession"),
        ({"--agb": "12ab"}, "AGB code has 8 digits"),
        ({"--name": "  "}, "--name"),
        ({"password": "kort"}, "at least 10"),
        ({"password": "wachtwoord123"}, "too common"),
    ],
)
def test_create_clinician_bad_input_creates_nothing(
    app: Flask, change: dict[str, str], message: str
) -> None:
    args = list(ARGS)
    for option, value in change.items():
        if option in args:
            args[args.index(option) + 1] = value
    password = change.get("password", PASSWORD)
    result = app.test_cli_runner().invoke(args=args, env={"PGD_NEW_PASSWORD": password})
    assert result.exit_code != 0
    assert message in result.output
    assert count_rows(app, "users") == 0


def test_create_clinician_duplicate_email(app: Flask, create_patient: Any) -> None:
    create_patient(email="a.devries@praktijk.nl")
    result = app.test_cli_runner().invoke(args=ARGS, env={"PGD_NEW_PASSWORD": PASSWORD})
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert count_rows(app, "users") == 1
    assert count_rows(app, "clinician_details") == 0


def test_db_upgrade_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db-upgrade"])
        assert result.exit_code == 0, result.output
    from pgd import db

    assert db.schema_is_current(app.extensions["pgd.engine"])


def test_compact_readings_clusters_the_table_on_postgresql(app: Flask, create_patient: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from pgd import db
    from pgd.measurements import services as measurements
    from pgd.measurements import values as v

    user = create_patient()
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    with app.test_request_context():
        for day in range(20):
            measurements.add(user, user.id, v.Weight(80 + day / 10), start + timedelta(days=day))
        engine = db.engine().dialect.name
    result = app.test_cli_runner().invoke(args=["compact-readings"])
    assert result.exit_code == 0, result.output
    if engine != "postgresql":
        assert "Nothing to do" in result.output
        return
    assert "Readings compacted:" in result.output
    with app.app_context():
        clustered = db.session().execute(
            text(
                "SELECT i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'pk_measurements'"
            )
        )
        assert clustered.scalar_one() is True
    with app.test_request_context():
        page = measurements.page(user, user.id, limit=50)
    assert [r.value for r in page.readings] == [v.Weight(80 + d / 10) for d in reversed(range(20))]


def test_compact_readings_gives_up_when_the_table_stays_busy(app: Flask) -> None:
    from sqlalchemy import create_engine, text

    with app.app_context():
        from pgd import db

        url = db.engine().url
    if url.get_backend_name() != "postgresql":
        pytest.skip("CLUSTER is PostgreSQL's")
    other = create_engine(url)
    with other.connect() as conn:
        conn.execute(text("LOCK TABLE measurements IN SHARE MODE"))  # held until rollback
        result = app.test_cli_runner().invoke(args=["compact-readings", "--lock-timeout", "1"])
        conn.rollback()
    other.dispose()
    assert result.exit_code == 1
    assert "stayed in use for 1 s; nothing was changed" in result.output
