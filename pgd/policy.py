"""Declared access policy per endpoint, enforced for every request (deny by default).

Each view says who may call it with one decorator. A view without one answers 404,
and tests/test_policy.py fails the build for any endpoint that forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from flask import Flask, abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

Policy = Literal["public", "patient", "clinician", "admin", "api", "enrolling"]
POLICIES: tuple[Policy, ...] = ("public", "patient", "clinician", "admin", "api", "enrolling")
# "enrolling": any logged-in user, also a clinician who has no second factor yet (the
# second-factor pages themselves). Clinician pages need a second factor that this
# session passed; see pgd.accounts.second_factor_gate.
# "api" endpoints authenticate a bearer token, not a session: the token blueprints' own
# before_request does that (the JSON API and FHIR). Only those blueprints may declare it.
API_BLUEPRINTS = frozenset({"api", "fhir"})
ATTR = "_pgd_policy"
# Endpoints that Flask itself adds.
BUILTIN: dict[str, Policy] = {"static": "public"}

F = TypeVar("F", bound=Callable[..., object])


def _declare(policy: Policy) -> Callable[[F], F]:
    def mark(view: F) -> F:
        setattr(view, ATTR, policy)
        return view

    return mark


public = _declare("public")
patient = _declare("patient")
clinician = _declare("clinician")
admin = _declare("admin")
api = _declare("api")
enrolling = _declare("enrolling")


def policy_of(app: Flask, endpoint: str) -> Policy | None:
    if endpoint in BUILTIN:
        return BUILTIN[endpoint]
    view = app.view_functions.get(endpoint)
    return getattr(view, ATTR, None)


def enforce() -> ResponseReturnValue | None:
    """before_request hook: the one place that checks role against the declared policy."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing will answer 404/405
    policy = policy_of(current_app, endpoint)
    if policy is None:
        abort(404)
    if policy == "api":
        # No session login: the token blueprints check the token. Elsewhere nothing would.
        if request.blueprint not in API_BLUEPRINTS:
            abort(404)
        return None
    from pgd.accounts import second_factor_gate  # late: pgd.accounts imports this module

    detour = second_factor_gate.pending_detour(endpoint)
    if detour is not None:
        return detour  # password right, code not yet: only the code step and logout
    if policy == "public":
        return None
    if not current_user.is_authenticated:
        login_manager = current_app.login_manager  # type: ignore[attr-defined]
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if policy != "enrolling" and current_user.role != policy:
        abort(404)  # the other role learns nothing, not even that the page exists
    return second_factor_gate.second_factor_detour(policy)


def init_app(app: Flask) -> None:
    app.before_request(enforce)
