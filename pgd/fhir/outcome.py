"""FHIR errors: every answer under /fhir is application/fhir+json, errors an OperationOutcome.

Errors raised in FHIR views reach the blueprint's error handler; routing failures (an
unknown path, a wrong method) happen before a blueprint is chosen, so a before-app-request
hook answers those for paths under /fhir, as pgd.api.problems does for /api/v1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson
from flask import Response, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect

from pgd.fhir import bp
from pgd.sharing import policy

FHIR_JSON = "application/fhir+json"
# OperationOutcome.issue.code (http://hl7.org/fhir/issue-type, R4) per HTTP status.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


class FhirError(HTTPException):
    """A FHIR error with a plain-language diagnostics text (and the parameter it is about);
    with `issues` (see issue()), an outcome of those issues instead, e.g. one per entry."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        expression: str | None = None,
        headers: Mapping[str, str] | None = None,
        issues: Sequence[dict[str, object]] = (),
    ) -> None:
        super().__init__(description=diagnostics)
        self.code = status
        self.diagnostics = diagnostics
        self.expression = expression
        self.extra_headers = dict(headers or {})
        self.issues = list(issues)

    def get_response(self, environ: object = None, scope: object = None) -> Response:  # type: ignore[override]
        if self.issues:
            response = issues_response(self.issues, self.code or 500)
            response.headers.update(self.extra_headers)
            return response
        return outcome(self.code or 500, self.diagnostics, self.expression, self.extra_headers)


def json_response(body: object, status: int = 200) -> Response:
    response = Response(orjson.dumps(body), status=status, mimetype=FHIR_JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


def outcome_body(status: int, diagnostics: str, expression: str | None = None) -> dict[str, object]:
    issue: dict[str, object] = {
        "severity": "error" if status < 500 else "fatal",
        "code": ISSUE_CODES.get(status, "exception"),
        "diagnostics": diagnostics,
    }
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def issue(
    severity: str, code: str, diagnostics: str, expression: str | None = None
) -> dict[str, object]:
    """One OperationOutcome.issue: severity fatal | error | warning | information, code
    from http://hl7.org/fhir/issue-type, and the FHIRPath of what it is about."""
    found: dict[str, object] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = [expression]
    return found


def issues_response(issues: Sequence[dict[str, object]], status: int = 200) -> Response:
    """An OperationOutcome of several issues (an operation's result, or all its problems)."""
    return json_response({"resourceType": "OperationOutcome", "issue": list(issues)}, status)


def outcome(
    status: int,
    diagnostics: str,
    expression: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = json_response(outcome_body(status, diagnostics, expression), status)
    response.headers.update(headers or {})
    return response


def not_found() -> FhirError:
    """The one 404 for anything that is not there or not shared: it tells nothing more."""
    return FhirError(404, _("This resource does not exist, or it is not shared with you."))


def _diagnostics(error: HTTPException) -> str:
    code = error.code or 500
    if code == 404:
        return str(not_found().diagnostics)
    if code == 405:
        return _(
            "This address does not accept %(method)s. It accepts: %(allowed)s.",
            method=request.method,
            allowed=", ".join(getattr(error, "valid_methods", None) or []),
        )
    if code >= 500:
        return _("Something went wrong on our side. Try again later.")
    # A Problem from pgd.api (401/429 of the bearer check) carries its own plain text.
    detail = getattr(error, "detail", None) or error.description
    return str(detail or _("This request is not right. Check it against /fhir/metadata."))


def from_http(error: HTTPException) -> Response:
    if isinstance(error, FhirError):
        return error.get_response()
    code = error.code or 500
    headers = dict(getattr(error, "extra_headers", None) or {})
    if code == 405:
        headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
    return outcome(code, _diagnostics(error), headers=headers)


@bp.errorhandler(HTTPException)
def _fhir_error(error: HTTPException) -> Response:
    """Every HTTP error raised in a FHIR view (and any crash, as a 500) as an outcome."""
    if isinstance(error, policy.NotShared):  # the consent door: logged once per request
        asked = (request.view_args or {}).get("patient_id") or request.args.get("patient")
        policy.log_refusal(g.get("api_principal"), **({"patient_id": asked} if asked else {}))
    return from_http(error)


@bp.errorhandler(LookupError)
def _gone(_error: LookupError) -> Response:
    """A service's own NotFound (a reading or goal that is not there): 404 like the rest."""
    return not_found().get_response()


def under_fhir(path: str) -> bool:
    prefix = bp.url_prefix or ""
    return path == prefix or path.startswith(prefix + "/")


@bp.before_app_request
def _routing_failure() -> Response | None:
    """404 and 405 under /fhir never reach the blueprint; answer them as outcomes too."""
    failure = request.routing_exception
    if failure is None or isinstance(failure, RequestRedirect) or not under_fhir(request.path):
        return None
    if isinstance(failure, HTTPException):
        return from_http(failure)
    return None


@bp.errorhandler(500)
def _crash(error: HTTPException) -> Response:
    """A crash in a FHIR view: the app's own 500 handler would answer with an HTML page
    (Flask tries handlers by status code before by class), so catch the code here."""
    if not isinstance(error, HTTPException):  # pragma: no cover - Flask wraps it
        error = InternalServerError()
    return from_http(error)
