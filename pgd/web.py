"""Request-wide behaviour: sessions, language, security headers and error pages."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    make_response,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from pgd.extensions import login_manager
from pgd.sharing.policy import NotShared, log_refusal

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)


CSP_CHARTS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SessionInterface(SecureCookieSessionInterface):
    """Secure cookie whenever the request came over https (or when forced by config)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("FORCE_SECURE_COOKIES")) or request.is_secure

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if response.cache_control.immutable:
            return  # a public asset (pgd.assets): no cookie, no "Vary: Cookie" on it
        super().save_session(app, session, response)


def select_locale() -> str:
    """Explicit choice (session, then account) before the browser's Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return "en" if "en" in languages else languages[0]  # the command line speaks English
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return request.accept_languages.best_match(languages) or languages[0]


def _load_user(session_id: str) -> object | None:
    raw_id, _, version = session_id.partition(":")
    try:
        user_id = uuid.UUID(raw_id)
        wanted = int(version)
    except ValueError:
        return None
    from pgd.accounts import sessions

    # None when the password was changed elsewhere (the version), or the login was ended,
    # idled out, grew too old, or the account was switched off.
    return sessions.load_user(user_id, wanted)


def _security_headers(response: Response) -> Response:
    h = response.headers
    # plotly.js injects its stylesheet; chart pages allow inline *styles* (never scripts).
    h.setdefault("Content-Security-Policy", CSP_CHARTS if g.get("csp_inline_styles") else CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")  # CSRF checks need a same-site Referer
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.blueprint == "api":
        return response  # no login session; API responses with data say no-store themselves
    if response.cache_control.immutable:
        return response  # a public, content-hashed asset (pgd.assets): the same for everyone
    if current_user and current_user.is_authenticated:
        h["Cache-Control"] = "no-store"
    return response


def _login_wait_minutes() -> int:
    from pgd.accounts import throttle

    return throttle.wait_minutes()


def _error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if isinstance(error, CSRFError):
        message = _(
            "This form has expired or was sent from another page. Go back, reload the page "
            "and try again."
        )
    elif code == 429:
        message = _(
            "Too many failed attempts. For your safety you have to wait %(minutes)d minutes "
            "before you try again.",
            minutes=_login_wait_minutes(),
        )
    elif code == 413:
        message = _(
            "What you sent is too large (more than %(mb)d MB). Send less at a time.",
            mb=max(1, current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)),
        )
    elif isinstance(error, NotShared):
        # Refused at the consent door: logged by policy.require(), or here.
        asked = (request.view_args or {}).get("patient_id")
        log_refusal(
            current_user if current_user.is_authenticated else None,
            **({"patient_id": asked} if asked else {}),
        )
        # The same words whether the patient does not exist or does not share (any more).
        message = _(
            "This patient does not share this with you (any more), or the page does not "
            "exist. Patients can stop sharing at any time."
        )
    elif code == 404:
        message = _("This page does not exist, or you do not have access to it.")
    elif code == 405:
        message = _("This page cannot be opened this way. Use the buttons and links on the site.")
    elif isinstance(error, LimitsUnavailable):
        message = _(
            "Logging in, codes and imports are not possible for a moment: the part that "
            "counts attempts cannot be reached. Your data is safe. Try again in a few minutes."
        )
    elif code == 503:
        message = _("This is not possible for a moment. Your data is safe. Try again later.")
    elif code >= 500:
        message = _("Something went wrong on our side. Your data is safe. Try again later.")
    else:
        message = _("This did not work. Go back and try again.")
    return render_template("errors/error.html", code=code, message=message), code


def _server_error(_error: Exception) -> tuple[str, int]:
    message = _("Something went wrong on our side. Your data is safe. Try again later.")
    return render_template("errors/error.html", code=500, message=message), 500


# Seconds a client is asked to wait when the shared limit storage cannot be reached.
LIMITS_RETRY_AFTER = 60


class LimitsUnavailable(ServiceUnavailable):
    """503: the shared limit storage cannot count (its page says so; another 503 not)."""


def _limits_unavailable(_error: Exception) -> Any:
    """The shared limit storage (Redis) cannot be reached: every step that counts attempts
    is refused (fails closed: no login nobody counted), as a 503 with Retry-After in the
    form of the page's channel (page, API problem, FHIR OperationOutcome), and logged."""
    from pgd import security_log

    security_log.event(security_log.Events.LIMITS_UNAVAILABLE, outcome="refused")
    response = make_response(current_app.handle_http_exception(LimitsUnavailable()))
    response.headers["Retry-After"] = str(LIMITS_RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    try:
        # The `redis` extra. Every error of the client: down or slow (ConnectionError,
        # TimeoutError) and a server that answers but will not count (ResponseError: out
        # of memory, a read-only replica, a database number it lacks) alike.
        from redis.exceptions import RedisError
    except ImportError:  # without it Redis cannot be configured at all
        pass
    else:
        app.register_error_handler(RedisError, _limits_unavailable)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_COUNT"],
            x_proto=app.config["PROXY_COUNT"],
            x_host=app.config["PROXY_COUNT"],
        )
    login_manager.user_loader(_load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # type: ignore[assignment]
    login_manager.session_protection = "basic"
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(500, _server_error)

    @app.template_filter("local")
    def _local(value: object, fmt: str = "medium") -> str:
        from flask_babel import format_datetime

        return format_datetime(value, fmt) if value else ""

    @app.template_filter("day")
    def _day(value: object) -> str:
        from flask_babel import format_date

        return format_date(value, "long") if value else ""

    @app.template_filter("last_day")
    def _last_day(value: object) -> str:
        """The last whole day before a moment: a share that ends at 00:00 on 1 January
        lasts "until 31 December" (inclusive), as the patient chose it."""
        from datetime import datetime, timedelta

        from flask_babel import format_date

        if not isinstance(value, datetime):
            return ""
        return format_date(value - timedelta(microseconds=1), "long")

    @app.template_filter("num")
    def _num(value: object, digits: int = 1) -> str:
        from flask_babel import format_decimal

        if value is None:
            return ""
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern)

    @app.template_filter("profession")
    def _profession(value: str) -> str:
        from pgd.accounts.labels import profession_label

        return profession_label(value)

    @app.template_filter("signed")
    def _signed(value: str) -> str:
        from pgd.accounts.labels import signed

        return signed(value)

    @app.context_processor
    def _globals() -> dict[str, object]:
        from flask_babel import get_locale

        from pgd.accounts.passwords import MIN_LENGTH
        from pgd.clinical import words as clinical_words

        return {
            "current_locale": str(get_locale()),
            # Templates word targets and verdicts through the one interpretation module.
            "clinical_words": clinical_words,
            "password_hint": _(
                "At least %(n)d characters. Tip: a short sentence of four or five words that "
                "only you know.",
                n=MIN_LENGTH,
            ),
        }
