"""File import, CSV or FHIR (upload → preview → confirm), and export of own measurements."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from pgd import policy
from pgd.accounts.current import me
from pgd.extensions import csrf
from pgd.measurements import bp, csv_io, imports
from pgd.measurements.validation import LOCAL

# Multipart framing around a file of exactly MAX_BYTES must still pass.
UPLOAD_LIMIT = imports.MAX_BYTES + 64 * 1024
# Read (and discard) a refused upload up to this size, so the browser shows our page
# instead of "connection reset"; anything larger is cut off.
DRAIN_LIMIT = 128 * 1024 * 1024


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file or FHIR file (JSON)"),
        validators=[FileRequired(_l("Choose a file on your computer first."))],
    )


def _page(status: int = 200, **context: object) -> ResponseReturnValue:
    context.setdefault("form", ImportForm(formdata=None))
    context.setdefault("preview", None)
    return render_template(
        "measurements/import.html",
        columns=csv_io.COLUMNS,
        dutch=csv_io.DUTCH_COLUMNS,
        max_mb=imports.MAX_BYTES // (1024 * 1024),
        **context,
    ), status


def _too_large() -> ResponseReturnValue:
    stream = request.environ.get("wsgi.input")
    remaining = min(request.content_length or 0, DRAIN_LIMIT)
    while stream is not None and remaining > 0:
        chunk = stream.read(min(remaining, 1 << 16))
        if not chunk:
            break
        remaining -= len(chunk)
    return _page(413, too_large=True)


@bp.route("/measurements/import", methods=["GET", "POST"])
@policy.patient
def import_csv() -> ResponseReturnValue:
    if request.method == "GET":
        return _page()
    # The app accepts 1 MB per request; only this form takes files up to MAX_BYTES.
    request.max_content_length = UPLOAD_LIMIT
    if (request.content_length or 0) > UPLOAD_LIMIT:
        return _too_large()
    try:
        form = ImportForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _too_large()
    if not valid:
        return _page(form=form)
    data = form.file.data.read(imports.MAX_BYTES + 1)
    if len(data) > imports.MAX_BYTES:
        return _too_large()
    filename = form.file.data.filename or ""
    try:
        if filename.lower().endswith(".json"):
            preview = imports.check(*me(), data, filename=filename)
        else:
            preview = imports.check(*me(), data)  # the content tells FHIR from CSV
    except imports.Busy:
        flash(imports.busy_message(), "error")
        return _page(409)
    except imports.Limited as exc:
        flash(imports.limited_message(), "error")
        response = make_response(_page(429))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    too_many = getattr(preview.parsed, "too_many", False)
    return _page(413 if too_many else 200, form=form, preview=preview, filename=filename)


# The upload form checks its own CSRF token (FlaskForm) *after* raising the size limit;
# the global check would read the body first, under the 1 MB limit.
csrf.exempt(import_csv)


@bp.post("/measurements/import/<uuid:pending_id>/confirm")
@policy.patient
def confirm_import(pending_id: uuid.UUID) -> ResponseReturnValue:
    try:
        result = imports.confirm(*me(), pending_id)
    except imports.NotFound:
        abort(404)
    except imports.Busy:
        flash(imports.busy_message(), "error")
        return _page(409)
    except imports.Expired:
        flash(_("This check is more than an hour old. Upload your file again."), "error")
        return redirect(url_for("measurements.import_csv"))
    message = ngettext(
        "Imported %(num)d measurement.", "Imported %(num)d measurements.", result.added
    )
    if result.duplicates:
        message += " " + ngettext(
            "%(num)d was already in your record, so it was not added again.",
            "%(num)d were already in your record, so they were not added again.",
            result.duplicates,
        )
    flash(message, "success")
    return redirect(url_for("measurements.list_readings"))


@bp.post("/measurements/import/<uuid:pending_id>/cancel")
@policy.patient
def cancel_import(pending_id: uuid.UUID) -> ResponseReturnValue:
    imports.cancel(*me(), pending_id)
    flash(_("Nothing was imported."), "success")
    return redirect(url_for("measurements.import_csv"))


@bp.get("/measurements/export.csv")
@policy.patient
def export_csv() -> ResponseReturnValue:
    body = imports.export(*me())
    filename = f"measurements-{datetime.now(LOCAL):%Y-%m-%d}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
