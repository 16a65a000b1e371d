"""A clinician's API keys, for a practice system that reads what patients share.

Only with a second factor set up (pgd.accounts.tokens refuses otherwise), and the key
reads exactly what the same clinician may read on the web: the policy decides.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from pgd import policy
from pgd.accounts import (
    token_routes,  # its forms; a module import (accounts imports us)
    tokens,
)
from pgd.accounts.current import me
from pgd.accounts.services import AccountError
from pgd.sharing import bp

TEMPLATE = "sharing/api_keys.html"


@bp.route("/clinician/api-keys", methods=["GET", "POST"])
@policy.clinician
def clinician_api_keys() -> ResponseReturnValue:
    user = me()[0]
    form = token_routes.NewTokenForm()
    if form.validate_on_submit():
        try:
            info, raw = tokens.create(user, form.name.data)
        except AccountError as exc:
            form.name.errors = [token_routes._problem_text(exc)]
        except tokens.NotFound:
            abort(404)  # no second factor: the gate sends the clinician to set it up first
        else:
            return render_template(TEMPLATE, created=info, raw_token=raw)
    return render_template(TEMPLATE, form=form, tokens=tokens.active(user.id))


@bp.route("/clinician/api-keys/<uuid:token_id>/revoke", methods=["GET", "POST"])
@policy.clinician
def revoke_clinician_api_key(token_id: uuid.UUID) -> ResponseReturnValue:
    user = me()[0]
    try:
        info = tokens.get_active(user.id, token_id)
    except tokens.NotFound:
        abort(404)
    form = token_routes.RevokeTokenForm()
    if form.validate_on_submit():
        try:
            tokens.revoke(user.id, token_id)
        except tokens.NotFound:
            abort(404)
        flash(_("The key “%(name)s” has been revoked.", name=info.name), "success")
        return redirect(url_for("sharing.clinician_api_keys"))
    return render_template(TEMPLATE, confirm=info, form=form)
