"""The patient's "Download all my data" page: the password once more, then one ZIP."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from pgd import policy
from pgd.accounts import passwords, throttle
from pgd.accounts.current import me
from pgd.export import archive, bp
from pgd.fhir.routes import base_url as fhir_base_url


class ExportForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[
            InputRequired(_l("Fill in your password.")),
            Length(max=passwords.MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )


@bp.route("/account/export", methods=["GET", "POST"])
@policy.patient
def index() -> ResponseReturnValue:
    """A copy of everything, after the password: a left-open session alone is not enough
    to take a whole health record away."""
    user, patient_id = me()
    form = ExportForm()
    status = 400 if request.method == "POST" else 200  # stays 400 unless the file goes out
    if form.validate_on_submit():
        checked = throttle.recheck_password(user, form.password.data, what="export")
        if checked.ok:
            made = archive.build(user, patient_id, base_url=fhir_base_url())
            day = datetime.now(UTC).strftime("%Y-%m-%d")
            response = send_file(
                made,
                mimetype="application/zip",
                as_attachment=True,
                download_name=f"mijn-gezondheidsdossier-{day}.zip",
                max_age=0,
            )
            response.headers["Cache-Control"] = "no-store"
            return response
        form.password.errors = [throttle.password_text(checked)]
        status = checked.status
    return render_template("export/index.html", form=form), status
