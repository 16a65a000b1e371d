"""Settings → API keys: a patient makes, sees and revokes personal tokens for a meter app.

Making a key asks for the password and, for a clinician, a second-factor code (issue 13):
a left-open session alone must not be enough to take a long-lived key away. The key's
validity and scope are chosen here; pgd.accounts.tokens keeps the rules.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from pgd import policy, security_log
from pgd.accounts import bp, throttle, tokens
from pgd.accounts.current import me
from pgd.accounts.models import Role, User
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
    valid_days = RadioField(
        _l("Valid for"),
        coerce=int,
        validators=[Optional()],  # not sent: the role's default (new_token_form)
    )
    scope = SelectMultipleField(
        _l("The key may"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(_l("Choose at least one thing the key may do."))],
    )
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Fill in your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    # Only for clinicians (checked in keys_page): a patient's form does not show it.
    code = StringField(
        _l("Code from your app"),
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "off",
            "spellcheck": "false",
            "size": "8",
        },
    )


def _days_label(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return ngettext("%(num)d year", "%(num)d years", years)
    return ngettext("%(num)d day", "%(num)d days", days)


def _scope_label(scope: str) -> str:
    if scope == tokens.WRITE:
        return _("send measurements (write)")
    return _("read measurements")


def new_token_form(user: User) -> NewTokenForm:
    """The form for this user's role: a clinician chooses among shorter validities and
    gets only "read" (a clinician cannot write measurements)."""
    role = Role(user.role)
    form = NewTokenForm()
    form.valid_days.choices = [(d, _days_label(d)) for d in tokens.VALIDITY_DAYS[role]]
    form.scope.choices = [(s, _scope_label(s)) for s in tokens.ALLOWED_SCOPES[role]]
    if form.valid_days.data is None:
        form.valid_days.data = tokens.DEFAULT_DAYS[role]
    if not form.is_submitted():
        form.scope.data = list(tokens.DEFAULT_SCOPES[role])
    return form


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


def _refused(user: User, reason: str) -> None:
    security_log.event(
        security_log.Events.API_KEY_CREATED, user=user, outcome="failure", reason=reason
    )


def _confirmed(user: User, form: NewTokenForm) -> int:
    """Re-check the password (login limits) and, for a clinician, a second-factor code
    (the code step's limits): pgd.accounts.throttle. 200 when both are right, else the
    status of the refusal, with the message on the field."""
    password = throttle.recheck_password(user, form.password.data, what="api_key")
    if not password.ok:
        _refused(user, "limited" if password.outcome == "limited" else "password")
        form.password.errors = [throttle.password_text(password)]
        return password.status
    if user.role != Role.CLINICIAN:
        return 200
    code = throttle.recheck_code(user, form.code.data, what="api_key")
    if not code.ok:
        if code.outcome != "missing":
            _refused(
                user, "second_factor_limited" if code.outcome == "limited" else "second_factor"
            )
        form.code.errors = [throttle.code_text(code)]
        return code.status
    return 200


def _show(form: NewTokenForm, exc: AccountError) -> None:
    if exc.field == "valid_days":
        form.valid_days.errors = [_("Choose one of the offered periods.")]
    elif exc.field == "scope":
        form.scope.errors = [_("Choose at least one thing the key may do.")]
    else:
        form.name.errors = [_problem_text(exc)]


def keys_page(template: str, keys_endpoint: str, revoke_endpoint: str) -> ResponseReturnValue:
    """List, make (shown once) and revoke-link the signed-in user's keys; one view for a
    patient's meter apps and a clinician's practice system, worded by the template."""
    user = me()[0]
    urls = {"keys_endpoint": keys_endpoint, "revoke_endpoint": revoke_endpoint}
    form = new_token_form(user)
    status = 200
    if form.validate_on_submit():
        try:  # the cheap checks first: a code is used up once checked
            tokens.clean_name(form.name.data)
            tokens.clean_validity(user.role, form.valid_days.data)
            tokens.clean_scope(user.role, form.scope.data)
        except AccountError as exc:
            _show(form, exc)
            status = 400
        else:
            status = _confirmed(user, form)
        if status == 200:
            try:
                info, raw = tokens.create(
                    user, form.name.data, valid_days=form.valid_days.data, scopes=form.scope.data
                )
            except AccountError as exc:
                _show(form, exc)
                status = 400
            except tokens.NotFound:
                abort(404)  # a clinician without a second factor: the gate sends them there
            else:
                # Shown in this response only; nothing can show it again (a hash is stored).
                return render_template(template, created=info, raw_token=raw, **urls)
    elif form.is_submitted():
        status = 400
    return render_template(
        template,
        form=form,
        tokens=tokens.active(user.id),
        is_clinician=user.role == Role.CLINICIAN,
        scope_label=_scope_label,
        **urls,
    ), status


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
