"""Users, registration, login, password, profile and language."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from pgd.accounts import routes, second_factor_routes, token_routes  # noqa: E402,F401  (registers the views on bp)
