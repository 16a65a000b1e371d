"""Deny by default: every endpoint declares who may call it."""

from __future__ import annotations

from flask import Flask

from pgd import policy


def test_every_endpoint_declares_a_policy(app: Flask) -> None:
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if policy.policy_of(app, rule.endpoint) not in policy.POLICIES
    ]
    assert missing == [], f"endpoints without a declared policy: {missing}"


def test_an_undeclared_endpoint_answers_404(app: Flask) -> None:
    @app.get("/forgot-to-declare")
    def forgot() -> str:
        return "patient data"

    assert policy.policy_of(app, "forgot") is None
    response = app.test_client().get("/forgot-to-declare")
    assert response.status_code == 404
    assert b"patient data" not in response.data


def test_expected_policies(app: Flask) -> None:
    expected = {
        "accounts.index": "public",
        "accounts.login": "public",
        "accounts.register": "public",
        "measurements.dashboard_page": "patient",
        "accounts.profile": "patient",
        "accounts.change_password": "patient",
        "sharing.clinician_home": "clinician",
        # Second factor: set-up pages open before it exists; the code step before login.
        "accounts.second_factor": "enrolling",
        "accounts.second_factor_setup": "enrolling",
        "accounts.second_factor_code": "public",
        "accounts.second_factor_off": "patient",
        "accounts.logout": "public",
        "static": "public",
    }
    for endpoint, wanted in expected.items():
        assert policy.policy_of(app, endpoint) == wanted, endpoint


def test_no_route_module_queries_patient_tables_directly() -> None:
    """One door to patient data: views call services, never select() on tables."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "pgd"
    view_modules = [
        p for p in root.rglob("*.py") if re.search(r"@bp\.|add_url_rule", p.read_text())
    ]
    assert len(view_modules) >= 4  # the scan really finds the view modules
    offenders = []
    for path in view_modules:
        text = path.read_text()
        if "select(" in text or "sqlalchemy" in text or "db.session" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_only_pgd_crypto_imports_cryptography() -> None:
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "pgd"
    pattern = re.compile(r"^\s*(from|import)\s+cryptography", re.MULTILINE)
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "crypto" not in p.relative_to(root).parts[:1] and pattern.search(p.read_text())
    ]
    assert offenders == []
