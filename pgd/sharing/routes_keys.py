"""A clinician's API keys, for a practice system that reads what patients share.

Only with a second factor set up (pgd.accounts.tokens refuses otherwise), and the key
reads exactly what the same clinician may read on the web: the policy decides.
"""

from __future__ import annotations

import uuid

from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from pgd import policy
from pgd.accounts import token_routes  # a module import (pgd.accounts imports us)
from pgd.sharing import bp

TEMPLATE = "sharing/api_keys.html"
KEYS = "sharing.clinician_api_keys"


@bp.route("/clinician/api-keys", methods=["GET", "POST"])
@policy.clinician
def clinician_api_keys() -> ResponseReturnValue:
    return token_routes.keys_page(TEMPLATE, KEYS, "sharing.revoke_clinician_api_key")


@bp.route("/clinician/api-keys/<uuid:token_id>/revoke", methods=["GET", "POST"])
@policy.clinician
def revoke_clinician_api_key(token_id: uuid.UUID) -> ResponseReturnValue:
    done = _("The key “%(name)s” has been revoked.")
    return token_routes.revoke_page(TEMPLATE, token_id, KEYS, done)
