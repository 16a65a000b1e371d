"""Settings → API keys: a patient makes, sees and revokes personal tokens for a meter app."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from pgd import policy
from pgd.accounts import bp, tokens
from pgd.accounts.current import me
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


def keys_page(template: str, keys_endpoint: str, revoke_endpoint: str) -> ResponseReturnValue:
    """List, make (shown once) and revoke-link the signed-in user's keys; one view for a
    patient's meter apps and a clinician's practice system, worded by the template."""
    user = me()[0]
    urls = {"keys_endpoint": keys_endpoint, "revoke_endpoint": revoke_endpoint}
    form = NewTokenForm()
    if form.validate_on_submit():
        try:
            info, raw = tokens.create(user, form.name.data)
        except AccountError as exc:
            form.name.errors = [_problem_text(exc)]
        except tokens.NotFound:
            abort(404)  # a clinician without a second factor: the gate sends them to set it up
        else:
            # Shown in this response only; nothing can show it again (only a hash is stored).
            return render_template(template, created=info, raw_token=raw, **urls)
    return render_template(template, form=form, tokens=tokens.active(user.id), **urls)


def revoke_page(
    template: str, token_id: uuid.UUID, keys_endpoint: str, done: str
) -> ResponseReturnValue:
    """Confirm, then revoke one of the signed-in user's keys; `done` is the flash text."""
    user = me()[0]
    try:
        info = tokens.get_active(user.id, token_id)
    except tokens.NotFound:
        abort(404)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        try:
            tokens.revoke(user.id, token_id)
        except tokens.NotFound:
            abort(404)
        flash(done % {"name": info.name}, "success")
        return redirect(url_for(keys_endpoint))
    return render_template(template, confirm=info, form=form, keys_endpoint=keys_endpoint)


@bp.route("/settings/api-keys", methods=["GET", "POST"])
@policy.patient
def api_tokens() -> ResponseReturnValue:
    return keys_page(TEMPLATE, "accounts.api_tokens", "accounts.revoke_api_token")


@bp.route("/settings/api-keys/<uuid:token_id>/revoke", methods=["GET", "POST"])
@policy.patient
def revoke_api_token(token_id: uuid.UUID) -> ResponseReturnValue:
    done = _(
        "The key “%(name)s” has been revoked. Apps that used it can no longer send measurements."
    )
    return revoke_page(TEMPLATE, token_id, "accounts.api_tokens", done)
