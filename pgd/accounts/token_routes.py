"""Settings → API keys: a patient makes, sees and revokes personal tokens for a meter app."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from pgd import policy
from pgd.accounts import bp, tokens
from pgd.accounts.services import AccountError

TEMPLATE = "accounts/api_tokens.html"


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name of the key"),
        validators=[
            InputRequired(_l("Give the key a name, for example the name of your meter app.")),
            Length(max=tokens.NAME_MAX, message=_l("A name has at most %(max)d characters.")),
        ],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
        render_kw={"autocomplete": "off", "maxlength": tokens.NAME_MAX},
    )


class RevokeTokenForm(FlaskForm):
    """Only the CSRF token: revoking needs a deliberate second click."""


def _problem_text(exc: AccountError) -> str:
    if exc.message == "too_many":
        return _(
            "You already have %(max)d keys. Revoke a key you no longer use first.",
            max=tokens.MAX_ACTIVE,
        )
    if exc.message == "too_long":
        return _("A name has at most %(max)d characters.", max=tokens.NAME_MAX)
    return _("Give the key a name, for example the name of your meter app.")


@bp.route("/settings/api-keys", methods=["GET", "POST"])
@policy.patient
def api_tokens() -> ResponseReturnValue:
    me = current_user._get_current_object()
    form = NewTokenForm()
    if form.validate_on_submit():
        try:
            info, raw = tokens.create(me, form.name.data)
        except AccountError as exc:
            form.name.errors = [_problem_text(exc)]
        else:
            # Shown in this response only; nothing can show it again (only a hash is stored).
            return render_template(TEMPLATE, created=info, raw_token=raw)
    return render_template(TEMPLATE, form=form, tokens=tokens.active(me.id))


@bp.route("/settings/api-keys/<uuid:token_id>/revoke", methods=["GET", "POST"])
@policy.patient
def revoke_api_token(token_id: uuid.UUID) -> ResponseReturnValue:
    me = current_user._get_current_object()
    try:
        info = tokens.get_active(me.id, token_id)
    except tokens.NotFound:
        abort(404)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        try:
            tokens.revoke(me.id, token_id)
        except tokens.NotFound:
            abort(404)
        flash(
            _(
                "The key “%(name)s” has been revoked. Apps that used it can no longer send "
                "measurements.",
                name=info.name,
            ),
            "success",
        )
        return redirect(url_for("accounts.api_tokens"))
    return render_template(TEMPLATE, confirm=info, form=form)
