"""PGD: a personal health record for Dutch primary care."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from pgd.config import PROJECT_ROOT, Defaults, ensure_secret_key, from_environment


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Defaults → instance/config.py → PGD_* environment → test_config."""
    instance_path = (
        (test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("PGD_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment())
    if test_config:
        app.config.update(test_config)
    _derive_settings(app)

    from pgd import db, policy, web
    from pgd.extensions import babel, csrf, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app, locale_selector=web.select_locale, timezone_selector=lambda: "Europe/Amsterdam"
    )
    policy.init_app(app)
    web.init_app(app)
    from pgd import mail

    mail.init_app(app)
    from pgd import security_log

    security_log.init_app(app)  # JSON lines: stderr, SECURITY_LOG_FILE, SECURITY_LOG_SYSLOG

    from pgd import crypto

    crypto.init_app(app)

    from pgd.accounts import bp as accounts_bp
    from pgd.api import bp as api_bp
    from pgd.assets import bp as assets_bp
    from pgd.fhir import bp as fhir_bp
    from pgd.goals import bp as goals_bp
    from pgd.measurements import bp as measurements_bp
    from pgd.reports import bp as reports_bp
    from pgd.sharing import bp as sharing_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(measurements_bp)
    app.register_blueprint(goals_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(fhir_bp)
    from pgd.export import bp as export_bp  # the complete export (issue 12)

    app.register_blueprint(export_bp)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: nothing for a cross-site form to ride on
    csrf.exempt(fhir_bp)

    from pgd import cli

    cli.register(app)
    return app


def _derive_settings(app: Flask) -> None:
    cfg = app.config
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "pgd.sqlite3")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = ensure_secret_key(Path(app.instance_path))
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE"]
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_NAME"] = "pgd_session"
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    cfg["BABEL_DEFAULT_LOCALE"] = cfg["LANGUAGES"][0]
    cfg["BABEL_DEFAULT_TIMEZONE"] = cfg["TIMEZONE"]
    cfg["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
