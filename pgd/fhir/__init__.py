"""FHIR R4 (4.0.1) under /fhir, with the Nictiz zib2020 profiles: the same bearer keys and
the same consent door as the JSON API (pgd.api). Reads (pgd.fhir.routes) write nothing; the
one write is a patient's own $import of readings (pgd.fhir.import_route)."""

from flask import Blueprint, current_app, request

from pgd import policy

bp = Blueprint("fhir", __name__, url_prefix="/fhir")


@bp.before_request
def authenticate() -> None:
    """Every FHIR endpoint that declares "api" needs a working bearer token (pgd.api.auth);
    a 401/429 there comes back as an OperationOutcome through pgd.fhir.outcome."""
    if policy.policy_of(current_app, request.endpoint or "") != "api":
        return
    from pgd.api import auth  # the API's own check: one place that reads bearer tokens

    auth.bearer_principal()


from pgd.fhir import import_route, outcome, routes  # noqa: E402,F401  (views and hooks on bp)
