"""Second-factor pages: set-up, recovery codes, the code step at login, switching off."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from pgd import policy, security_log
from pgd.accounts import bp, throttle
from pgd.accounts import second_factor as sf
from pgd.accounts import second_factor_gate as gate
from pgd.accounts.models import Role, User
from pgd.accounts.routes import _begin_session, _home_for, _safe_next
from pgd.accounts.second_factor_codes import qr_svg
from pgd.accounts.second_factor_forms import (
    AppCodeForm,
    RecoveryCodeForm,
    SavedCodesForm,
    SwitchOffForm,
)

CODES_KEY = "sf_codes"


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _log_failed(user: User, step: str, reason: str, method: str = "app") -> None:
    """A wrong, reused or unreadable code: the reason, never the code typed."""
    security_log.event(
        security_log.Events.SECOND_FACTOR_FAILED,
        user=user,
        outcome="failure",
        step=step,
        method=method,
        reason=reason,
    )


def _log_limited(user: User, step: str) -> None:
    security_log.event(
        security_log.Events.SECOND_FACTOR_LIMITED, user=user, outcome="limited", step=step
    )


@bp.get("/account/second-factor")
@policy.enrolling
def second_factor() -> str:
    user = _me()
    enrolled = sf.is_enrolled(user.id)
    return render_template(
        "accounts/second_factor.html",
        enrolled=enrolled,
        left=sf.recovery_codes_left(user.id) if enrolled else 0,
        is_clinician=user.role == Role.CLINICIAN,
        form=AppCodeForm(),
    )


@bp.route("/account/second-factor/setup", methods=["GET", "POST"])
@policy.enrolling
def second_factor_setup() -> ResponseReturnValue:
    user = _me()
    if sf.is_enrolled(user.id):
        return redirect(url_for("accounts.second_factor"))
    enrolment = sf.start_enrolment(user)
    form = AppCodeForm()
    status = 200
    if form.validate_on_submit():
        if not gate.attempt(user.id):
            _log_limited(user, "set_up")
            form.code.errors = [throttle.too_many_codes_text()]
            status = 429
        else:
            try:
                codes = sf.confirm_enrolment(user, form.code.data)
            except sf.SecondFactorError as refused:
                _log_failed(user, "set_up", refused.reason)
                form.code.errors = [throttle.code_refused_text(refused.reason)]
                status = 400
            else:
                gate.succeeded(user.id)
                security_log.event(
                    security_log.Events.SECOND_FACTOR_SET_UP, user=user, outcome="success"
                )
                login_user(user)  # this session goes on under the new session version
                sf.mark_verified(user.id)
                session[CODES_KEY] = sf.seal_for_display(user.id, codes)
                return redirect(url_for("accounts.second_factor_recovery_codes"))
    if enrolment.restarted:
        flash(_("Your earlier set-up could not be read. Scan the new QR code below."), "attention")
    return render_template(
        "accounts/second_factor_setup.html",
        form=form,
        secret=enrolment.secret_text,
        is_clinician=user.role == Role.CLINICIAN,
    ), status


@bp.get("/account/second-factor/qr.svg")
@policy.enrolling
def second_factor_qr() -> Response:
    uri = sf.pending_uri(_me())
    if uri is None:
        abort(404)  # only while setting up: afterwards the secret is never shown again
    svg = qr_svg(uri, _("QR code for your authenticator app"))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/second-factor/recovery-codes", methods=["GET", "POST"])
@policy.enrolling
def second_factor_recovery_codes() -> ResponseReturnValue:
    user = _me()
    token = session.get(CODES_KEY)
    codes = sf.open_for_display(user.id, token) if isinstance(token, str) else []
    if not codes:
        return redirect(url_for("accounts.second_factor"))
    form = SavedCodesForm()
    if form.validate_on_submit():
        session.pop(CODES_KEY, None)
        flash(_("Done. From now on you log in with your password and a code."), "success")
        return redirect(_home_for(user))
    return render_template("accounts/second_factor_codes.html", codes=codes, form=form)


@bp.post("/account/second-factor/new-recovery-codes")
@policy.enrolling
def second_factor_new_codes() -> ResponseReturnValue:
    user = _me()
    if not sf.is_enrolled(user.id):
        return redirect(url_for("accounts.second_factor"))
    form = AppCodeForm()
    status = 400
    if form.validate_on_submit():
        if not gate.attempt(user.id):
            _log_limited(user, "new_recovery_codes")
            form.code.errors = [throttle.too_many_codes_text()]
            status = 429
        else:
            try:
                codes = sf.new_recovery_codes(user, form.code.data)
            except sf.SecondFactorError as refused:
                _log_failed(user, "new_recovery_codes", refused.reason)
                form.code.errors = [throttle.code_refused_text(refused.reason)]
            else:
                gate.succeeded(user.id)
                security_log.event(
                    security_log.Events.RECOVERY_CODES_RENEWED, user=user, outcome="success"
                )
                session[CODES_KEY] = sf.seal_for_display(user.id, codes)
                return redirect(url_for("accounts.second_factor_recovery_codes"))
    return render_template(
        "accounts/second_factor.html",
        enrolled=True,
        left=sf.recovery_codes_left(user.id),
        is_clinician=user.role == Role.CLINICIAN,
        form=form,
    ), status


@bp.route("/login/code", methods=["GET", "POST"])
@policy.public
def second_factor_code() -> ResponseReturnValue:
    """The second step of logging in (or of a session that has not passed it yet)."""
    if current_user.is_authenticated:
        user = _me()
        if not sf.is_enrolled(user.id) or sf.session_verified():
            return redirect(_home_for(user))
    else:
        pending = gate.pending_user()
        if pending is None:
            if gate.is_pending():
                gate.clear_pending()
                flash(_("Logging in took too long. Log in again."), "attention")
            return redirect(url_for("accounts.login"))
        user = pending
    use_recovery = request.args.get("recovery") == "1"
    form: AppCodeForm | RecoveryCodeForm = RecoveryCodeForm() if use_recovery else AppCodeForm()
    status = 200
    if form.validate_on_submit():
        typed = form.recovery_code.data if use_recovery else form.code.data  # type: ignore[union-attr]
        field = form.recovery_code if use_recovery else form.code  # type: ignore[union-attr]
        if not gate.attempt(user.id):
            _log_limited(user, "login")
            field.errors = [throttle.too_many_codes_text()]
            status = 429
        else:
            try:
                kind = sf.verify(user, typed)
            except sf.SecondFactorError as refused:
                _log_failed(user, "login", refused.reason, "recovery" if use_recovery else "app")
                reason = "wrong_recovery" if use_recovery else refused.reason
                field.errors = [throttle.code_refused_text(reason)]
                status = 401
            else:
                gate.succeeded(user.id)
                security_log.event(
                    security_log.Events.SECOND_FACTOR_SUCCEEDED,
                    user=user,
                    outcome="success",
                    step="login",
                    method=kind,
                )
                return _logged_in(user, kind)
    return render_template(
        "accounts/second_factor_code.html", form=form, use_recovery=use_recovery
    ), status


def _logged_in(user: User, kind: str) -> ResponseReturnValue:
    target = _safe_next(gate.pending_next())
    if not current_user.is_authenticated:
        _begin_session(user)  # a fresh session: the waiting state is gone
    sf.mark_verified(user.id)
    if kind == "recovery":
        left = sf.recovery_codes_left(user.id)
        flash(
            ngettext(
                "You logged in with a recovery code. You have %(num)d recovery code left. "
                "Make new ones on the page 'Log-in code'.",
                "You logged in with a recovery code. You have %(num)d recovery codes left. "
                "Make new ones on the page 'Log-in code'.",
                left,
            ),
            "attention",
        )
    return redirect(target or _home_for(user))


@bp.route("/account/second-factor/off", methods=["GET", "POST"])
@policy.patient
def second_factor_off() -> ResponseReturnValue:
    user = _me()
    if not sf.is_enrolled(user.id):
        return redirect(url_for("accounts.second_factor"))
    form = SwitchOffForm()
    status = 200
    if form.validate_on_submit():
        checked = sf.switch_off(user, form.password.data)
        if not checked.ok:
            form.password.errors = [throttle.password_text(checked)]
            status = checked.status
        else:
            _begin_session(user)  # every other session has ended; this one starts afresh
            flash(
                _(
                    "Logging in with a code is now off. You are logged out on every other "
                    "computer, tablet or phone."
                ),
                "success",
            )
            return redirect(url_for("accounts.second_factor"))
    return render_template("accounts/second_factor_off.html", form=form), status
