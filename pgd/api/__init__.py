"""JSON API for meter apps (/api/v1): bearer tokens, problem details, an OpenAPI document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from pgd.api import auth, clinician_routes, problems, routes  # noqa: E402,F401  (views and hooks on bp)
