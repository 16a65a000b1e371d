"""The OpenAPI document describes exactly what the API does; schemathesis holds it to that.

The schemathesis run is bounded (30 examples per operation and phase, derandomized) and
runs the Flask app in-process: no 500, no undocumented status, header or content type,
every response valid against its schema, schema-invalid input rejected with a 4xx.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask

from pgd.api import openapi

API_PREFIX = "/api/v1"
SCHEMATHESIS_SEED = 20260314


def test_document_is_valid_openapi_3_1(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi(f"{API_PREFIX}/openapi.json", app)
    schema.validate()
    raw = openapi.build()
    assert raw["openapi"] == "3.1.0"
    assert raw["components"]["securitySchemes"]["bearerAuth"] == {
        **raw["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert raw["security"] == [{"bearerAuth": []}]


def test_every_route_is_documented_and_every_documented_route_exists(app: Flask) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        path = rule.rule.removeprefix(API_PREFIX)
        for name in ("measurement_id", "patient_id"):
            path = path.replace(f"<uuid:{name}>", "{" + name + "}")
        routes |= {(path, m.lower()) for m in (rule.methods or ()) - {"HEAD", "OPTIONS"}}
    documented = {
        (path, method)
        for path, item in openapi.build()["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes == documented


def test_every_error_a_route_can_give_is_documented() -> None:
    paths = openapi.build()["paths"]
    statuses = {
        (path, method): set(op["responses"])
        for path, item in paths.items()
        for method, op in item.items()
        if method != "parameters"
    }
    assert statuses[("/measurements", "post")] == {
        "201",
        "400",
        "401",
        "403",
        "413",
        "415",
        "422",
        "429",
    }
    assert statuses[("/measurements", "get")] == {"200", "400", "401", "403", "429"}
    assert statuses[("/measurements/{measurement_id}", "get")] == {
        "200",
        "401",
        "403",
        "404",
        "429",
    }
    assert statuses[("/measurements/{measurement_id}", "delete")] == {
        "204",
        "401",
        "403",
        "404",
        "429",
    }
    assert paths["/openapi.json"]["get"]["security"] == []


def test_the_document_examples_are_accepted(
    app: Flask, make_token: Any, create_patient: Callable[..., Any]
) -> None:
    token = make_token(create_patient())
    client = app.test_client()
    post = openapi.build()["paths"]["/measurements"]["post"]
    for example in post["requestBody"]["content"]["application/json"]["examples"].values():
        response = client.post(
            f"{API_PREFIX}/measurements",
            json=example["value"],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.get_json()


# -- schemathesis -------------------------------------------------------------------
# schemathesis 4.32's pytest plugin (`schema.parametrize()`) fails on pytest 9 (it sets
# `Function._nodeid`), so the test drives schemathesis' own engine: the same phases as the
# `st run` command (examples, coverage, fuzzing, stateful), in-process over WSGI.

MAX_EXAMPLES = 30


@dataclass
class Run:
    operations: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phases: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"schemathesis {schemathesis.__version__}: {len(self.operations)} operations "
            f"(incl. stateful), "
            f"{sum(self.statuses.values())} requests, phases {dict(self.phases)}, "
            f"statuses {dict(sorted(self.statuses.items()))}, "
            f"{sum(self.checks.values())} checks passed ({len(self.checks)} kinds), "
            f"{len(self.failures)} failures, {len(self.errors)} errors"
        )


def _run_schemathesis(app: Flask, token: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    from schemathesis.engine import Status, events, from_schema

    config = schemathesis.Config.from_dict(
        {
            "seed": SCHEMATHESIS_SEED,
            "headers": {"Authorization": f"Bearer {token}", "Accept-Language": "en"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {
                # Schema-valid input can still be refused with 422: JSON Schema cannot say
                # "diastolic below systolic", nor the range of a number sent as text ("7,4"),
                # nor "at most 10 minutes ahead".
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "404", "422", "429"],
                },
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi(f"{API_PREFIX}/openapi.json", app, config=config)
    # schemathesis 4.32: the ignored_auth probe hands socket options (max_redirects, ...) to
    # the in-process WSGI client, which refuses them; drop them as its normal path does.
    transport = schema.transport
    send = transport.send

    def send_in_process(case: Any, **kwargs: Any) -> Any:
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(case, **kwargs)

    monkeypatch.setattr(transport, "send", send_in_process)
    run = Run()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            if event.status == Status.SKIP:
                continue
            run.phases[str(event.phase.value)] += 1
            run.operations.add(recorder.label)
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    run.statuses[interaction.response.status_code] += 1
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.SUCCESS:
                        run.checks[check.name] += 1
                    elif check.failure_info is not None:
                        failure = check.failure_info.failure
                        run.failures.append(
                            f"{recorder.label} {check.name}: {failure.title}\n"
                            f"{failure.message}\n{check.failure_info.code_sample}"
                        )
            if event.status == Status.ERROR:
                run.errors.append(f"{recorder.label}: error")
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
    return run


def test_api_conforms_to_its_openapi_document(
    make_app: Callable[..., Flask],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime

    from pgd.accounts import services, tokens
    from pgd.measurements import services as measurements
    from pgd.measurements.models import Source
    from pgd.measurements.values import Weight

    # The fuzzer sends many wrong keys on purpose; they must not turn into 429s here.
    app = make_app(API_AUTH_FAILURE_LIMIT="100000 per minute")
    with app.test_request_context():
        user = services.register_patient(
            "fuzz@example.nl", "mijn hond loopt graag mee", "Fuzz Test", None
        )
        _info, raw = tokens.create(user, "schemathesis")
        measurements.add(user, user.id, Weight(80.0), datetime.now(UTC), "", Source.API)

    run = _run_schemathesis(app, raw, monkeypatch)
    with capsys.disabled():
        print("\n" + run.summary())
    assert not run.errors, run.errors
    assert not run.failures, "\n\n".join(run.failures[:5])
    assert 500 not in run.statuses
    # schemathesis leaves out the operation that serves the document itself.
    assert run.operations - {"Stateful tests"} == {
        "POST /measurements",
        "GET /measurements",
        "GET /measurements/{measurement_id}",
        "DELETE /measurements/{measurement_id}",
        "GET /patients",
        "GET /patients/{patient_id}/measurements",
        "GET /patients/{patient_id}/summary",
    }
    assert {201, 200, 204, 400, 401, 404, 405, 415, 422} <= set(run.statuses)
    app.extensions["pgd.engine"].dispose()
