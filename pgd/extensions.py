"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf import CSRFProtect


def _remote_address() -> str:
    return request.remote_addr or "unknown"


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
limiter = Limiter(key_func=_remote_address, headers_enabled=False)


@limiter.request_filter
def _api_has_its_own_brake() -> bool:
    """The JSON API declares no Flask-Limiter limits: it counts failed key checks itself
    (pgd.api.auth), so its requests skip the extension's per-request work."""
    return request.blueprint == "api"
