"""Clinician pages: the clinician's home (patients who shared with them arrive in issue 5)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from pgd import policy
from pgd.accounts import services as accounts
from pgd.sharing import bp


@bp.get("/clinician")
@policy.clinician
def clinician_home() -> str:
    profile = accounts.profile_of(current_user.id)
    details = accounts.clinician_details(current_user.id)
    return render_template("sharing/clinician_home.html", profile=profile, details=details)
