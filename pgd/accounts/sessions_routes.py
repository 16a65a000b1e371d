""" "My sessions": where this user is logged in, and ending the other logins (issue 13).

The same pages for each role, each under its own policy (a clinician's behind the
second factor, as every clinician page). Every form posts with the CSRF token
(CSRFProtect); a handle of another user's session, or of this session, answers 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from pgd import policy, security_log
from pgd.accounts import bp, sessions
from pgd.accounts.models import Role


def _prefix() -> str:
    return "clinician_" if current_user.role == Role.CLINICIAN else ""


def _page() -> ResponseReturnValue:
    return render_template(
        "accounts/sessions.html",
        sessions=sessions.running(current_user.id),
        end_endpoint=f"accounts.{_prefix()}end_session",
        end_others_endpoint=f"accounts.{_prefix()}end_other_sessions",
    )


def _end_one(handle: str) -> ResponseReturnValue:
    if len(handle) != sessions.HANDLE_LENGTH:
        abort(404)
    try:
        sessions.end_one(current_user.id, handle)
    except sessions.NotFound:
        abort(404)
    security_log.event(security_log.Events.SESSION_ENDED, outcome="success", scope="one", ended=1)
    flash(_("That session has ended. That device is logged out."), "success")
    return redirect(url_for(f"accounts.{_prefix()}my_sessions"))


def _end_others() -> ResponseReturnValue:
    ended = sessions.end_others(current_user.id)
    security_log.event(
        security_log.Events.SESSION_ENDED, outcome="success", scope="others", ended=ended
    )
    flash(
        ngettext("%(num)d other session has ended.", "%(num)d other sessions have ended.", ended)
        if ended
        else _("You were not logged in anywhere else."),
        "success",
    )
    return redirect(url_for(f"accounts.{_prefix()}my_sessions"))


@bp.get("/account/sessions")
@policy.patient
def my_sessions() -> ResponseReturnValue:
    return _page()


@bp.post("/account/sessions/<handle>/end")
@policy.patient
def end_session(handle: str) -> ResponseReturnValue:
    return _end_one(handle)


@bp.post("/account/sessions/end-others")
@policy.patient
def end_other_sessions() -> ResponseReturnValue:
    return _end_others()


@bp.get("/clinician/account/sessions")
@policy.clinician
def clinician_my_sessions() -> ResponseReturnValue:
    return _page()


@bp.post("/clinician/account/sessions/<handle>/end")
@policy.clinician
def clinician_end_session(handle: str) -> ResponseReturnValue:
    return _end_one(handle)


@bp.post("/clinician/account/sessions/end-others")
@policy.clinician
def clinician_end_other_sessions() -> ResponseReturnValue:
    return _end_others()
