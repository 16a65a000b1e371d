"""Account pages: thin views that parse a form, call a service and render."""

from __future__ import annotations

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

from pgd import policy
from pgd.accounts import bp, second_factor, second_factor_gate, services, sessions, throttle
from pgd.accounts.forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
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
        try:
            user = services.register_patient(
                form.email.data, form.password.data, form.name.data, form.birth_date.data
            )
        except services.DuplicateEmail:
            form.email.errors = [
                _(
                    "There is already an account with this e-mail address. "
                    "Log in, or use another address."
                )
            ]
        else:
            if "lang" in session:
                services.set_locale(user, session["lang"])
            _begin_session(user)
            flash(_("Welcome! Your account has been created."), "success")
            return redirect(url_for("measurements.dashboard_page"))  # type: ignore[return-value]
    return render_template("accounts/register.html", form=form)


def _begin_session(user: object) -> None:
    """A fresh session for every login: nothing planted before it survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
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
        if user is not None:
            throttle.succeeded(account)
            if second_factor.is_enrolled(user.id):
                # Not logged in yet: the code step comes first.
                second_factor_gate.begin_pending(user, _safe_next(form.next.data))
                return redirect(url_for("accounts.second_factor_code"))
            _begin_session(user)
            return redirect(_safe_next(form.next.data) or _home_for(user))
        # One message for an unknown e-mail and a wrong password: no account enumeration.
        form.password.errors = [_("The e-mail address or the password is not right. Try again.")]
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@policy.public
def logout() -> Response:
    lang = session.get("lang")
    sessions.end()
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "success")
    return redirect(url_for("accounts.login"))  # type: ignore[return-value]


@bp.route("/account/password", methods=["GET", "POST"])
@policy.patient
def change_password() -> Response | str:
    return _change_password()


@bp.route("/clinician/account/password", methods=["GET", "POST"])
@policy.clinician
def clinician_change_password() -> Response | str:
    return _change_password()


def _change_password() -> Response | str:
    profile = services.profile_of(current_user.id)
    form = ChangePasswordForm(email=current_user.email, name=profile.name)
    if form.validate_on_submit():
        account = current_user.email
        if not throttle.attempt(account):
            abort(429)
        try:
            services.change_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
            )
        except services.AccountError:
            form.current_password.errors = [_("Your current password is not right.")]
        else:
            throttle.succeeded(account)
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
