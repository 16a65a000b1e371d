"""FHIR R4 endpoints (thin: parse, call pgd.fhir.bundles, answer application/fhir+json)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from flask import Response, request, stream_with_context

from pgd import policy
from pgd.api import auth
from pgd.fhir import bp, bundles, capability, resources, search
from pgd.fhir.outcome import FHIR_JSON, json_response, not_found


def base_url() -> str:
    return request.host_url.rstrip("/") + (bp.url_prefix or "")


def _id(raw: str) -> uuid.UUID:
    """A resource id in the path that is not a UUID cannot exist here: 404."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found() from None


def _args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


@bp.get("/metadata")
@policy.public
def metadata() -> Response:
    """The CapabilityStatement: exactly what this server supports (no patient data)."""
    return json_response(capability.statement(base_url()))


@bp.get("/Patient/<patient_id>")
@policy.api
def read_patient(patient_id: str) -> Response:
    search.only(_args(), search.EVERYTHING_PARAMS)
    return json_response(bundles.read_patient(auth.principal(), _id(patient_id)))


@bp.get("/Patient/<patient_id>/$everything")
@policy.api
def everything(patient_id: str) -> Response:
    """The whole visible record as one searchset Bundle, streamed (years of readings)."""
    search.only(_args(), search.EVERYTHING_PARAMS)
    found = bundles.Everything(auth.principal(), _id(patient_id), base_url())
    response = Response(stream_with_context(found.chunks()), mimetype=FHIR_JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/Observation")
@policy.api
def search_observations() -> Response:
    args = _args()
    search.only(args, search.OBSERVATION_PARAMS)
    patient_id = search.patient_id(args)
    codes = search.codes(args)
    start, end = search.dates(args)
    count = search.count(args)
    after = search.cursor(args)
    page = bundles.search_observations(
        auth.principal(), patient_id, codes, start, end, count, after
    )
    base = base_url()
    links = [("self", request.url)]
    if page.next is not None:
        kept = [(k, v) for k, vs in args.items() if k != "_cursor" for v in vs]
        kept.append(("_cursor", page.next.token))
        links.append(("next", f"{base}/Observation?{urlencode(kept)}"))
    entries = (resources.entry(base, r) for r in page.resources)
    return json_response(resources.searchset(entries, links, page.total))


@bp.get("/Goal")
@policy.api
def search_goals() -> Response:
    args = _args()
    search.only(args, search.GOAL_PARAMS)
    found = bundles.search_goals(auth.principal(), search.patient_id(args))
    base = base_url()
    entries = (resources.entry(base, r) for r in found)
    return json_response(resources.searchset(entries, [("self", request.url)], len(found)))
