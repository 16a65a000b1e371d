"""Grants, share codes, the access policy, the access log and the clinician's views."""

import uuid

from flask import Blueprint, g, request
from flask_login import current_user

from pgd import crypto

bp = Blueprint("sharing", __name__)
NOBODY = uuid.UUID(int=0)  # owns no keys


@bp.before_app_request
def _limit_keys_to_the_principal() -> None:
    """Each request starts from the grants as they are now, and opens only keys the
    policy allows (an API request does the same once its token is checked)."""
    g.pop("pgd_grants", None)
    g.pop("pgd_key_scope", None)
    g.pop("pgd_seal_scope", None)
    if request.endpoint == "static":
        return
    if request.blueprint == "api":
        # No login session here: no keys at all until pgd.api.auth has checked the token
        # and limited them to its owner (an endpoint that forgot @policy.api opens none).
        crypto.limit_keys_to(NOBODY)
        return
    if current_user.is_authenticated:
        crypto.limit_keys_to(current_user.id)


from pgd.sharing import (  # noqa: E402,F401  (views on bp)
    routes,
    routes_consult,
    routes_keys,
    routes_patient,
    routes_report,  # noqa: E402,F401  (the consult report PDF, on bp)
    routes_week,
)
