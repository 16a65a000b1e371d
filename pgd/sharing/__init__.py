"""Grants, share codes, the access policy, the access log and the clinician's views."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

from pgd.sharing import routes  # noqa: E402,F401  (registers the views on bp)
