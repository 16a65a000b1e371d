"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from babel import support
from flask import Flask, g, request
from flask_babel import Babel, Domain, get_locale
from flask_babel import _get_current_context as _babel_context
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf import CSRFProtect


def _remote_address() -> str:
    return request.remote_addr or "unknown"


class _RequestDomain(Domain):
    """The default message domain, keeping this request's translations at hand.

    Flask-Babel looks the translations up again for every string: the request's
    context, the locale, the locale's name, the cache (about 200 strings a page, a fifth
    of a readings page's time, issue 14). Here they are looked up once per request and
    locale: kept on Flask-Babel's own per-request namespace next to the locale they
    belong to, so force_locale (an e-mail in the recipient's language) and refresh()
    still switch them."""

    def get_translations(self) -> Any:
        try:
            ctx = g._flask_babel  # one look-up instead of Flask-Babel's three
        except (AttributeError, RuntimeError):  # first string of a request, or none
            ctx = _babel_context()
        if ctx is None:
            return support.NullTranslations()
        locale = getattr(ctx, "babel_locale", None) or get_locale()
        kept = getattr(ctx, "pgd_translations", None)
        if kept is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()
        ctx.pgd_translations = (locale, translations)
        return translations


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        return _RequestDomain(domain=self.domain)

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)

        # The templates' strings straight from the request's translations (Flask-Babel's
        # callables find the domain, then the translations, for each of them).
        def tr() -> Any:
            return self.domain_instance.get_translations()

        app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda s: tr().ugettext(s),
            ngettext=lambda s, p, n: tr().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: tr().upgettext(c, s),
            npgettext=lambda c, s, p, n: tr().unpgettext(c, s, p, n),
        )


login_manager = LoginManager()
csrf = CSRFProtect()
babel = _Babel()
mail = Mail()
limiter = Limiter(key_func=_remote_address, headers_enabled=False)


@limiter.request_filter
def _api_has_its_own_brake() -> bool:
    """The JSON API declares no Flask-Limiter limits: it counts failed key checks itself
    (pgd.api.auth), so its requests skip the extension's per-request work."""
    return request.blueprint == "api"
