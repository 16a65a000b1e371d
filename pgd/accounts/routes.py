"""Account pages: thin views that parse a form, call a service and render."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from pgd import policy, security_log
from pgd.accounts import (
    bp,
    confirmation,
    deletion,
    passwords,
    reset,
    second_factor,
    second_factor_gate,
    services,
    sessions,
    throttle,
)
from pgd.accounts.forms import (
    ChangePasswordForm,
    ConfirmRegistrationForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
)
from pgd.accounts.models import Role
from pgd.extensions import limiter


def _home_for(user: object) -> str:
    role = getattr(user, "role", None)
    if role == Role.CLINICIAN:
        return url_for("sharing.clinician_home")
    return url_for("measurements.dashboard_page")


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: a login link must not send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.get("/")
@policy.public
def index() -> Response | str:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))  # type: ignore[return-value]
    return render_template("accounts/index.html")


# The address typed at registration, for the "check your e-mail" page that follows.
REGISTERED_ADDRESS = "registered_address"


@bp.route("/register", methods=["GET", "POST"])
@policy.public
@limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT_IP"],
    key_func=lambda: "register:" + throttle.client_address(),
    methods=["POST"],
)
def register() -> Response | str:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))  # type: ignore[return-value]
    form = RegisterForm()
    if form.validate_on_submit():
        # One answer for every address (pgd.accounts.confirmation): a new one gets a link
        # to confirm it, the owner of a known one an e-mail; this visitor learns nothing.
        confirmation.register(
            form.email.data,
            form.password.data,
            form.name.data,
            form.birth_date.data,
            session.get("lang"),
        )
        session[REGISTERED_ADDRESS] = services.normalise_email(form.email.data)
        return redirect(url_for("accounts.register_sent"))  # type: ignore[return-value]
    return render_template("accounts/register.html", form=form)


@bp.get("/register/sent")
@policy.public
def register_sent() -> Response | str:
    """Check your e-mail: the same page for a new and a known address."""
    address = session.get(REGISTERED_ADDRESS)
    if not isinstance(address, str) or not address:
        return redirect(url_for("accounts.register"))  # type: ignore[return-value]
    return render_template("accounts/register_sent.html", address=address)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@policy.public
def confirm_registration(token: str) -> ResponseReturnValue:
    """The link from the registration e-mail: the password once more, then logged in."""
    user = confirmation.link_owner(token)
    if user is None:
        if request.method == "POST":
            security_log.event(
                security_log.Events.REGISTRATION_CONFIRM_FAILED, outcome="failure", reason="link"
            )
        return render_template("accounts/confirm_invalid.html"), 404
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        if not throttle.attempt(user.email):
            abort(429)
        outcome, confirmed = confirmation.confirm(token, form.password.data)
        if outcome is confirmation.Outcome.INVALID or confirmed is None:
            return render_template("accounts/confirm_invalid.html"), 404
        if outcome is confirmation.Outcome.CONFIRMED:
            throttle.succeeded(user.email)
            welcome = _("Welcome! Your e-mail address is confirmed and your account is ready.")
            if second_factor.is_enrolled(confirmed.id):  # not at sign-up; kept for safety
                second_factor_gate.begin_pending(confirmed, None)
                flash(welcome, "success")
                return redirect(url_for("accounts.second_factor_code"))
            _begin_session(confirmed)  # a fresh session: flash after it
            flash(welcome, "success")
            return redirect(url_for("measurements.dashboard_page"))
        form.password.errors = [
            _("This is not the password you chose when you created the account. Try again.")
        ]
        return render_template(
            "accounts/confirm_registration.html", form=form, email=user.email
        ), 400
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accounts/confirm_registration.html", form=form, email=user.email
    ), status


def _begin_session(user: object) -> None:
    """A fresh session for every login: nothing planted before it survives."""
    sessions.clear_keeping_language()
    login_user(user)
    sessions.start(user.id)  # type: ignore[attr-defined]
    if getattr(user, "locale", None):
        session["lang"] = user.locale  # type: ignore[attr-defined]


@bp.route("/login", methods=["GET", "POST"])
@policy.public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        account = services.normalise_email(form.email.data)
        if not throttle.attempt(account):
            abort(429)
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None and user.email_confirmed_at is None:
            # A registration whose e-mail link was not opened yet: answered below exactly
            # like a wrong password, so the page does not show that the address is known.
            security_log.event(
                security_log.Events.LOGIN_FAILED,
                user=user,
                outcome="failure",
                reason="unconfirmed",
            )
        elif user is not None and user.disabled_at is not None:
            # Said only after the right password, so it tells a stranger nothing.
            security_log.event(
                security_log.Events.LOGIN_FAILED, user=user, outcome="refused", reason="disabled"
            )
            form.password.errors = [_("This account has been switched off. Contact your practice.")]
            return render_template("accounts/login.html", form=form), 403
        elif user is not None:
            throttle.succeeded(account)
            enrolled = second_factor.is_enrolled(user.id)
            security_log.event(
                security_log.Events.LOGIN_SUCCEEDED,
                user=user,
                outcome="success",
                second_factor="required" if enrolled else "none",
            )
            if user.must_change_password:
                # A clinician made on the command line: a new password first, then the
                # second factor (set-up or code). Not logged in until both are done.
                _begin_first_password(user, _safe_next(form.next.data))
                return redirect(url_for("accounts.first_password"))
            if enrolled:
                # Not logged in yet: the code step comes first.
                second_factor_gate.begin_pending(user, _safe_next(form.next.data))
                return redirect(url_for("accounts.second_factor_code"))
            _begin_session(user)
            return redirect(_safe_next(form.next.data) or _home_for(user))
        else:
            security_log.event(
                security_log.Events.LOGIN_FAILED,
                outcome="failure",
                account_ref=security_log.account_ref(account),
            )
        # One message for an unknown e-mail, a wrong password and an unconfirmed
        # registration: no account enumeration.
        form.password.errors = [
            _("The e-mail address or the password is not right. Try again."),
            _("Just registered? First open the link in the e-mail we sent you."),
        ]
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@policy.public
def logout() -> Response:
    sessions.end()
    logout_user()
    sessions.clear_keeping_language()
    flash(_("You are logged out."), "success")
    return redirect(url_for("accounts.login"))  # type: ignore[return-value]


@bp.route("/account/password", methods=["GET", "POST"])
@policy.patient
def change_password() -> ResponseReturnValue:
    return _change_password()


@bp.route("/clinician/account/password", methods=["GET", "POST"])
@policy.clinician
def clinician_change_password() -> ResponseReturnValue:
    return _change_password()


def _change_password() -> ResponseReturnValue:
    profile = services.profile_of(current_user.id)
    form = ChangePasswordForm(email=current_user.email, name=profile.name)
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
            )
        except services.AccountError as refused:
            if refused.message == "limited":  # not checked: the form says how long to wait
                checked = throttle.Recheck("limited")
                form.current_password.errors = [throttle.password_text(checked)]
                return render_template("accounts/password.html", form=form), checked.status
            security_log.event(security_log.Events.PASSWORD_CHANGE_FAILED, outcome="failure")
            form.current_password.errors = [_("Your current password is not right.")]
        else:
            security_log.event(security_log.Events.PASSWORD_CHANGED, outcome="success")
            # This session continues under the new version; all others end.
            login_user(current_user._get_current_object())
            flash(
                _("Your password has been changed. You are logged out everywhere else."), "success"
            )
            return redirect(_home_for(current_user))  # type: ignore[return-value]
    return render_template("accounts/password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@policy.patient
def profile() -> Response | str:
    current = services.profile_of(current_user.id)
    form = ProfileForm(data={"name": current.name, "birth_date": current.birth_date})
    if form.validate_on_submit():
        services.update_profile(
            current_user._get_current_object(), form.name.data, form.birth_date.data
        )
        flash(_("Your details have been saved."), "success")
        return redirect(url_for("measurements.dashboard_page"))  # type: ignore[return-value]
    return render_template("accounts/profile.html", form=form)


@bp.route("/account/delete", methods=["GET", "POST"])
@policy.patient
def delete_account() -> ResponseReturnValue:
    """Patients only: a clinician is switched off by an administrator (404 here)."""
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    enrolled = second_factor.is_enrolled(user.id)
    if form.validate_on_submit():
        try:
            deletion.delete_patient(user, form.password.data, form.code.data)
        except deletion.DeletionError as refused:
            checked = refused.checked or throttle.Recheck("wrong")
            if refused.reason == "code":
                code_errors = [throttle.code_text(checked)]
                if checked.outcome == "wrong":  # not for "limited" or "missing"
                    code_errors.append(_("Nothing was deleted."))
                form.code.errors = code_errors
            elif checked.outcome == "wrong":
                form.password.errors = [_("Your password is not right. Nothing was deleted.")]
            else:
                form.password.errors = [throttle.password_text(checked)]
            page = render_template("accounts/delete_account.html", form=form, enrolled=enrolled)
            return page, checked.status
        logout_user()
        sessions.clear_keeping_language()
        return redirect(url_for("accounts.account_deleted"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/delete_account.html", form=form, enrolled=enrolled), status


@bp.get("/account/deleted")
@policy.public
def account_deleted() -> str:
    return render_template("accounts/account_deleted.html")


@bp.post("/language")
@policy.public
def set_language() -> Response:
    form = LanguageForm()
    target = _safe_next(form.next.data) or url_for("accounts.index")
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            services.set_locale(current_user._get_current_object(), form.lang.data)
    return redirect(target)  # type: ignore[return-value]


# -- password reset ("Wachtwoord vergeten?") and set-password links (issue 13) ----------


@bp.route("/password/forgot", methods=["GET", "POST"])
@policy.public
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not reset.attempt(form.email.data):
            abort(429)
        reset.request_reset(form.email.data)
        # One answer for every address: whether it has an account is not shown.
        return redirect(url_for("accounts.forgot_password_sent"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.get("/password/forgot/sent")
@policy.public
def forgot_password_sent() -> str:
    return render_template("accounts/forgot_password_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@policy.public
def reset_password(token: str) -> ResponseReturnValue:
    link = reset.valid_link(token)
    if link is None:
        return render_template("accounts/reset_invalid.html"), 404
    user = services.user_by_id(link.user_id)
    form = NewPasswordForm(email=user.email if user else "")
    if form.validate_on_submit():
        if reset.use_link(token, form.new_password.data) is None:
            return render_template("accounts/reset_invalid.html"), 404
        # Nobody is logged in by a link: this browser starts clean, and a clinician
        # passes the second factor at the next login as always.
        sessions.end()
        logout_user()
        sessions.clear_keeping_language()
        flash(
            _(
                "Your new password is set. You are logged out everywhere. "
                "Log in with your new password."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, purpose=link.purpose)


# -- first login of a clinician made on the command line (issue 13) ----------------------

FIRST_LOGIN_STATE = "pw_first"
FIRST_PASSWORD_SECONDS = 10 * 60


def _begin_first_password(user: object, next_url: str | None) -> None:
    """Right (initial) password, new one still to choose: a fresh session knowing only that."""
    sessions.clear_keeping_language()
    session[FIRST_LOGIN_STATE] = {
        "user": str(user.id),  # type: ignore[attr-defined]
        "version": user.session_version,  # type: ignore[attr-defined]
        "since": int(time.time()),
        "next": next_url,
    }


def _first_password_state() -> tuple[uuid.UUID, int, str | None] | None:
    state = session.get(FIRST_LOGIN_STATE)
    if not isinstance(state, dict):
        return None
    try:
        user_id = uuid.UUID(str(state["user"]))
        version = int(state["version"])
        fresh = time.time() - float(state["since"]) <= FIRST_PASSWORD_SECONDS
    except (KeyError, ValueError, TypeError):
        return None
    nxt = state.get("next")
    return (user_id, version, nxt if isinstance(nxt, str) else None) if fresh else None


@bp.route("/password/first", methods=["GET", "POST"])
@policy.public
def first_password() -> ResponseReturnValue:
    state = _first_password_state()
    user = services.user_by_id(state[0]) if state else None
    if state is None or user is None or not user.must_change_password:
        session.pop(FIRST_LOGIN_STATE, None)
        return redirect(url_for("accounts.login"))
    form = NewPasswordForm(email=user.email)
    if form.validate_on_submit():
        if passwords.verify(user.password_hash, form.new_password.data):
            form.new_password.errors = [_("Choose a password other than the one you were given.")]
        else:
            changed = reset.set_first_password(user.id, state[1], form.new_password.data)
            session.pop(FIRST_LOGIN_STATE, None)
            if changed is None:
                return redirect(url_for("accounts.login"))
            flash(_("Your new password is set."), "success")
            if second_factor.is_enrolled(changed.id):
                second_factor_gate.begin_pending(changed, state[2])
                return redirect(url_for("accounts.second_factor_code"))
            _begin_session(changed)
            # A clinician goes on to set up the second factor (pgd.policy's detour).
            return redirect(state[2] or _home_for(changed))
    return render_template("accounts/first_password.html", form=form)


from pgd.accounts import sessions_routes  # noqa: E402,F401  ("My sessions": registers its views)
