"""The patient's sharing pages: grant, see, change and revoke; who looked at my data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pgd import policy
from pgd.accounts.current import me
from pgd.sharing import access_log, bp, consent_words, labels, services
from pgd.sharing.forms import ChangeForm, ConfirmForm, GrantForm, LookupForm
from pgd.sharing.policy import SHAREABLE
from pgd.sharing.services import SharingError


def _message(error: SharingError) -> str:
    texts = {
        ("code", "length"): _("A share code has 8 characters, for example KX7P-2M9Q."),
        ("code", "characters"): _(
            "A share code has only the letters A–Z (no I, L or O) and the digits 2–9. "
            "Check what you typed."
        ),
        ("code", "not_found"): _(
            "This code does not work. It may be mistyped, already used, or older than 15 "
            "minutes. Ask your care provider for a new code."
        ),
        ("email", "not_found"): _(
            "We cannot find a care provider with this e-mail address. Check the address, or "
            "ask your care provider for a share code."
        ),
        ("email", "self"): _("You cannot share with yourself."),
        ("categories", "none"): _("Choose at least one thing to share."),
        ("categories", "unknown"): _("Choose from the list."),
        ("categories", "same"): _(
            "This is already what you share, so nothing was changed. Did you already save "
            "it? Check your overview."
        ),
        ("expiry", "past"): _("The end date has passed. Choose a date after today."),
        ("data_from", "future"): _("The first day cannot be in the future."),
        ("clinician", "already"): _(
            "You already share with this care provider. You can change that share in your overview."
        ),
    }
    if error.code == "too_many":
        return _(
            "You tried too often. Wait %(minutes)d minutes and try again.",
            minutes=services.lookup_wait_minutes(),
        )
    return texts.get((error.field, error.code), _("This did not work. Check the form."))


def _attach(form: FlaskForm, error: SharingError, fallback: str) -> None:
    """Put the message next to the field it is about (never a vague one elsewhere)."""
    if error.code == "date":
        return  # the date field already says what is missing
    name = {"data_from": "data_from_day", "expiry": "until"}.get(error.field, error.field)
    if name == "until" and getattr(form, "expiry", None) is not None:
        name = "until" if form.expiry.data == "date" else "expiry"
    if name not in form._fields:  # noqa: SLF001
        name = fallback
    field = form[name]
    if not field.errors:
        field.errors = [_message(error)]
    else:
        field.errors = list(field.errors)


@bp.get("/sharing")
@policy.patient
def overview() -> ResponseReturnValue:
    grants = services.grants_of(me()[0])
    return render_template(
        "sharing/overview.html", grants=grants, labels=labels, words=consent_words
    )


@bp.route("/sharing/new", methods=["GET", "POST"])
@policy.patient
def new_share() -> ResponseReturnValue:
    form = LookupForm()
    if form.validate_on_submit():
        try:
            code, email = form.chosen()
            card = services.find_clinician(me()[0], code=code, email=email)
        except SharingError as exc:
            if exc.code != "empty":
                _attach(form, exc, "code")
        else:
            terms = GrantForm(formdata=None, code=code, email=email)
            return render_template("sharing/choose.html", form=terms, card=card)
    return render_template("sharing/new.html", form=form)


@bp.post("/sharing/confirm")
@policy.patient
def confirm_share() -> ResponseReturnValue:
    form = GrantForm()
    principal = me()[0]
    code, email = form.code.data or "", form.email.data or ""
    try:
        card = services.find_clinician(principal, code=code, email=email)
    except SharingError as exc:
        flash(_message(exc), "attention")
        return redirect(url_for("sharing.new_share"))
    if form.validate_on_submit():
        try:
            now = datetime.now(UTC)
            grant = services.create_grant(
                principal,
                code=code,
                email=email,
                categories=form.categories.data or [],
                data_from=form.data_from(),
                expires_at=form.expires_at(now),
            )
        except SharingError as exc:
            if exc.field in {"code", "email"}:
                flash(_message(exc), "attention")
                return redirect(url_for("sharing.new_share"))
            _attach(form, exc, "categories")
        else:
            flash(
                _(
                    "Done. %(name)s can now see your %(what)s.",
                    name=card.name,
                    what=labels.categories(grant.categories),
                ),
                "success",
            )
            return redirect(url_for("sharing.overview"))
    return render_template("sharing/choose.html", form=form, card=card)


def _grant(grant_id: uuid.UUID) -> services.GrantView:
    try:
        return services.grant_of(me()[0], grant_id)
    except services.NotFound:
        abort(404)


def _confirm_fields(change: consent_words.TermsChange) -> list[tuple[str, str]]:
    """The change as hidden fields: what the patient confirms is exactly what is saved
    (a chosen "3 months" becomes its last day, so midnight cannot move it)."""
    fields = [("categories", c) for c in change.after]
    if change.expires_after == change.expires_before:
        fields.append(("expiry", "keep"))
    else:
        last = consent_words.last_local_day(change.expires_after)
        fields += [("expiry", "date"), ("until", last.strftime("%d-%m-%Y"))]
    return [*fields, ("confirmed", "yes")]


@bp.route("/sharing/<uuid:grant_id>", methods=["GET", "POST"])
@policy.patient
def change_share(grant_id: uuid.UUID) -> ResponseReturnValue:
    grant = _grant(grant_id)
    if grant.status != "active":
        abort(404)
    form = ChangeForm(data={"categories": list(grant.categories)})
    if form.validate_on_submit():
        try:
            until = None if form.expiry.data == "keep" else form.expires_at(datetime.now(UTC))
            services.change_terms(
                me()[0],
                grant.id,
                form.categories.data or [],
                until,
                confirmed=form.confirmed.data == "yes",
            )
        except services.NeedsConfirmation as ask:
            lines = consent_words.confirm_lines(ask.change, grant.clinician.name, grant.data_from)
            return render_template(
                "sharing/change_confirm.html",
                form=form,
                grant=grant,
                change=ask.change,
                lines=lines,
                fields=_confirm_fields(ask.change),
                words=consent_words,
                labels=labels,
            )
        except SharingError as exc:
            _attach(form, exc, "categories")
        except services.NotFound:
            abort(404)
        else:
            flash(_("Your share has been changed."), "success")
            return redirect(url_for("sharing.overview"))
    return render_template("sharing/change.html", form=form, grant=grant, labels=labels)


@bp.route("/sharing/<uuid:grant_id>/stop", methods=["GET", "POST"])
@policy.patient
def revoke_share(grant_id: uuid.UUID) -> ResponseReturnValue:
    grant = _grant(grant_id)
    if grant.status != "active":
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.revoke(me()[0], grant.id)
        except services.NotFound:
            abort(404)
        flash(
            _("Stopped. %(name)s can no longer see your data.", name=grant.clinician.name),
            "success",
        )
        return redirect(url_for("sharing.overview"))
    return render_template("sharing/revoke.html", form=form, grant=grant, labels=labels)


@bp.get("/sharing/who-looked")
@policy.patient
def who_looked() -> ResponseReturnValue:
    raw = request.args.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 19 else None
    events, older = services.who_looked(me()[0], before)
    return render_template(
        "sharing/who_looked.html",
        visits=access_log.visits(events, SHAREABLE),
        older=older,
        first=before is None,
        labels=labels,
        history=services.consent_history(me()[0]) if before is None else [],
        words=consent_words,
    )
