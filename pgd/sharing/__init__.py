"""Grants, share codes, the access policy, the access log and the clinician's views."""

from flask import Blueprint, g, request
from flask_login import current_user

from pgd import crypto

bp = Blueprint("sharing", __name__)


@bp.before_app_request
def _limit_keys_to_the_principal() -> None:
    """Each request starts from the grants as they are now, and opens only keys the
    policy allows (an API request does the same once its token is checked)."""
    g.pop("pgd_grants", None)
    g.pop("pgd_key_scope", None)
    if request.endpoint == "static" or request.blueprint == "api":
        return  # the API has no login session: pgd.api.auth limits keys to the token's owner
    if current_user.is_authenticated:
        crypto.limit_keys_to(current_user.id)


from pgd.sharing import routes, routes_keys, routes_patient  # noqa: E402,F401  (views on bp)
