"""JSON API for a meter app: create, list, read and delete own measurements.

Thin like every route: parse JSON → measurements.services → JSON. A bearer token stands
for the patient (pgd.api.auth checks it); the policy marks these endpoints "api".
"""

from __future__ import annotations

import uuid

import orjson
from flask import Response, request, url_for
from flask_babel import gettext as _

from pgd import policy
from pgd.api import auth, bp, openapi, payloads
from pgd.api.problems import Problem
from pgd.measurements import services
from pgd.measurements.models import Source
from pgd.measurements.validation import Invalid


def _json(data: object, status: int = 200) -> Response:
    response = Response(orjson.dumps(data), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_body() -> dict[str, object]:
    mimetype = request.mimetype
    if mimetype != "application/json" and not (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    ):
        raise Problem(
            415,
            _("Send the measurement as JSON, with the header “Content-Type: application/json”."),
        )
    try:
        body = orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError as exc:
        raise Problem(400, _("The body is not valid JSON (%(reason)s).", reason=str(exc))) from None
    if not isinstance(body, dict):
        raise Problem(400, _('Send one measurement as a JSON object: {"type": …}.'))
    return body


def _invalid(exc: Invalid, status: int = 422) -> Problem:
    return Problem(
        status, _("Some values are not right. See the message for each field."), errors=exc.errors
    )


@bp.post("/measurements")
@policy.api
def create_measurement() -> Response:
    principal = auth.principal()
    try:
        value, taken_at, note = payloads.measurement_input(_json_body())
    except Invalid as exc:
        raise _invalid(exc) from None
    # The triage row of "my patients" follows after the response (pgd.sharing.triage).
    reading = services.add(
        principal, principal.id, value, taken_at, note, Source.API, triage_now=False
    )
    response = _json(payloads.measurement_output(reading), 201)
    response.headers["Location"] = url_for("api.get_measurement", measurement_id=reading.id)
    return response


@bp.get("/measurements")
@policy.api
def list_measurements() -> Response:
    principal = auth.principal()
    try:
        query = payloads.list_query(request.args)
    except Invalid as exc:
        raise _invalid(exc, 400) from None
    page = services.page(
        principal, principal.id, query.kinds, query.start, query.end, query.cursor, query.limit
    )
    return _json(
        {
            "items": [payloads.measurement_output(r) for r in page.readings],
            "next_cursor": page.next_cursor,
            "total": page.total,
        }
    )


@bp.get("/measurements/<uuid:measurement_id>")
@policy.api
def get_measurement(measurement_id: uuid.UUID) -> Response:
    principal = auth.principal()
    try:
        reading = services.get(principal, principal.id, measurement_id)
    except services.NotFound:
        raise Problem(404, _("This does not exist, or it is not yours.")) from None
    return _json(payloads.measurement_output(reading))


@bp.delete("/measurements/<uuid:measurement_id>")
@policy.api
def delete_measurement(measurement_id: uuid.UUID) -> Response:
    principal = auth.principal()
    try:
        services.remove(principal, principal.id, measurement_id)
    except services.NotFound:
        raise Problem(404, _("This does not exist, or it is not yours.")) from None
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


@bp.get("/openapi.json")
@policy.public
def openapi_document() -> Response:
    response = Response(openapi.document(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
