"""RFC 9457 problem details: every error under /api/v1 answers application/problem+json.

Errors inside API views reach the blueprint's error handler. Routing failures (unknown
path, wrong method) happen before any blueprint is chosen, so a before-app-request hook
answers those for paths under the API prefix; the HTML error pages stay for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from flask import Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import RequestRedirect

from pgd.api import bp

PROBLEM_JSON = "application/problem+json"
# RFC 9110 reason phrases; with type "about:blank" the title is the status phrase.
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class Problem(HTTPException):
    """An API error with a plain-language detail and, for bad input, a message per field."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.detail = detail
        self.errors = errors
        self.extra_headers = dict(headers or {})

    def get_response(self, environ: object = None, scope: object = None) -> Response:  # type: ignore[override]
        return problem(self.code or 500, self.detail, self.errors, self.extra_headers)


def problem(
    status: int,
    detail: str,
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [{"field": name, "message": text} for name, text in errors.items()]
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def unauthorized(*, missing: bool) -> Problem:
    """401 with the RFC 6750 challenge; the detail says where to get a key."""
    if missing:
        detail = _(
            "Send your API key in the header “Authorization: Bearer <key>”. "
            "You make a key in PGD under Settings, API keys."
        )
        challenge = 'Bearer realm="pgd"'
    else:
        detail = _(
            "This API key does not work (any more): it is wrong or it was revoked. "
            "Make a new key in PGD under Settings, API keys."
        )
        challenge = 'Bearer realm="pgd", error="invalid_token"'
    return Problem(401, detail, headers={"WWW-Authenticate": challenge})


def _detail(error: HTTPException) -> str:
    code = error.code or 500
    if code == 404:
        return _("This does not exist, or it is not yours.")
    if code == 405:
        return _(
            "This address does not accept %(method)s. It accepts: %(allowed)s.",
            method=request.method,
            allowed=", ".join(getattr(error, "valid_methods", None) or []),
        )
    if code == 413:
        return _(
            "What you sent is too large (more than %(kb)d kB). Send one measurement at a time.",
            kb=max(1, (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024),
        )
    if code >= 500:
        return _("Something went wrong on our side. Nothing was saved. Try again later.")
    return _("This request is not right. Check it against the API description.")


def from_http(error: HTTPException) -> Response:
    if isinstance(error, Problem):
        return error.get_response()
    code = error.code or 500
    headers: dict[str, str] = {}
    if code == 405:
        headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
    return problem(code, _detail(error), headers=headers)


@bp.errorhandler(HTTPException)
def _api_error(error: HTTPException) -> Response:
    """Every HTTP error raised in an API view (and any crash, as a 500) as a problem."""
    return from_http(error)


def under_api(path: str) -> bool:
    prefix = bp.url_prefix or ""
    return path == prefix or path.startswith(prefix + "/")


@bp.before_app_request
def _routing_failure() -> Response | None:
    """404 and 405 under /api/v1 never reach a blueprint; answer them as problems too."""
    failure = request.routing_exception
    if failure is None or isinstance(failure, RequestRedirect) or not under_api(request.path):
        return None
    if isinstance(failure, HTTPException):
        return from_http(failure)
    return None
