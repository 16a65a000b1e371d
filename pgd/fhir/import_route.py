"""POST /fhir/Patient/{id}/$import: a patient's own app sends a Bundle of readings.

The same rules as the import on the web page (pgd.fhir.importer reads the Bundle; every
value goes through pgd.measurements.validation), without its preview step: the request
is the confirmation. All or nothing: readings are saved only when the whole Bundle is
usable, in one transaction (pgd.measurements.services.add_many, which skips readings
already in the record, so sending a Bundle twice adds nothing).

Answers, always an OperationOutcome (application/fhir+json):

- 404: the id is not a UUID, or it is not the patient of the key (a care provider's key
  never writes readings; one patient's key never writes into another patient's record).
- 415: the body is not sent as application/fhir+json or application/json.
- 413: more than imports.MAX_BYTES bytes, more than importer.MAX_ENTRIES entries, or
  more readings than IMPORT_MAX_ROWS.
- 409: another import of this patient is running (one at a time, pgd.measurements.imports).
- 429: over IMPORT_RATE_LIMIT imports per user (with Retry-After).
- 400: the body is empty or not JSON at all (it cannot be parsed).
- 422: JSON that cannot be imported: not a Bundle, a Bundle of a type that holds no
  resources to import, entries about another patient of this server, readings that cannot
  be used (a wrong unit, a value out of range, a time in the future …; one issue per
  problem, its expression naming the entry), or nothing importable at all.
- 200: issues of severity "information" (readings added, duplicates skipped) and one
  "warning" per entry left out (not a measurement, an unknown code, withdrawn by its
  source, a pulse without a blood pressure reading).
"""

from __future__ import annotations

import uuid

from flask import Response, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge

from pgd import db, policy
from pgd.accounts.tokens import ApiPrincipal
from pgd.api import auth
from pgd.fhir import bp, importer, search
from pgd.fhir.outcome import FhirError, issue, issues_response, not_found
from pgd.fhir.routes import _id, base_url
from pgd.measurements import csv_io, imports, services
from pgd.measurements.models import Source

MEDIA_TYPES = frozenset({"application/fhir+json", "application/json"})
MAX_BYTES = imports.MAX_BYTES  # the web import's own limit (10 MB)


@bp.post("/Patient/<patient_id>/$import")
@policy.api
def import_bundle(patient_id: str) -> Response:
    principal = auth.principal()
    target = _id(patient_id)
    # Only the patient of the key, into their own record. Anyone else learns nothing, not
    # even whether the record exists: the same 404 as a read (pgd.sharing.policy.decide
    # would refuse add_many too; this refuses before the body is read).
    if principal.role != "patient" or principal.id != target:
        raise not_found()
    search.only(request.args.to_dict(flat=False), search.EVERYTHING_PARAMS)  # _format only
    if request.mimetype not in MEDIA_TYPES:
        raise FhirError(
            415,
            _(
                "Send the Bundle as JSON, with the header Content-Type: "
                "application/fhir+json (or application/json)."
            ),
        )
    data = _body()
    try:
        with imports.one_at_a_time(target, principal.id):
            return _import(principal, target, data)
    except imports.Busy:
        message = imports.busy_message()
        raise FhirError(409, message, issues=[issue("error", "conflict", message)]) from None
    except imports.Limited as exc:
        message = imports.limited_message()
        raise FhirError(
            429,
            message,
            headers={"Retry-After": str(exc.retry_after)},
            issues=[issue("error", "throttled", message)],
        ) from None


def _import(principal: ApiPrincipal, target: uuid.UUID, data: bytes) -> Response:
    parsed = imports.limit_rows(importer.parse(data, db.utcnow()), imports.max_rows())
    foreign = _other_patients(parsed.subjects, target)
    if foreign:
        raise FhirError(422, str(foreign[0]["diagnostics"]), issues=foreign)
    if parsed.file_error:
        status = 413 if parsed.too_many else 400 if parsed.not_json else 422
        code = "too-costly" if parsed.too_many else "invalid" if parsed.not_json else "processing"
        first = issue("error", code, parsed.file_error)
        raise FhirError(status, parsed.file_error, issues=[first, *_left_out(parsed)])
    if parsed.errors:
        problems = _problems(parsed)
        raise FhirError(422, str(problems[0]["diagnostics"]), issues=problems)
    result = services.add_many(principal, target, parsed.items, Source.API)
    return issues_response(
        [
            issue(
                "information",
                "informational",
                ngettext(
                    "%(num)d reading added to your record.",
                    "%(num)d readings added to your record.",
                    result.added,
                ),
            ),
            issue(
                "information",
                "informational",
                ngettext(
                    "%(num)d reading was already in your record (or twice in this Bundle) "
                    "and was skipped.",
                    "%(num)d readings were already in your record (or twice in this Bundle) "
                    "and were skipped.",
                    result.duplicates,
                ),
            ),
            *_left_out(parsed),
        ]
    )


def _body() -> bytes:
    """The request body, refused as a whole (413) above the web import's own limit."""
    request.max_content_length = MAX_BYTES  # the app takes 1 MB; a Bundle may be larger
    too_large = FhirError(
        413,
        _(
            "This Bundle is larger than %(mb)d MB. We import at most %(mb)d MB at a time: "
            "send a shorter period (for example one year at a time) in separate requests.",
            mb=MAX_BYTES // (1024 * 1024),
        ),
    )
    if (request.content_length or 0) > MAX_BYTES:
        raise too_large
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(data) > MAX_BYTES:
        raise too_large
    return data


def _entry(number: int) -> str:
    """The FHIRPath of an entry's resource; importer numbers entries from 1, FHIRPath from 0."""
    return f"Bundle.entry[{number - 1}].resource"


def _same_server(server: str | None) -> bool:
    """A reference into this server (or one whose server the Bundle does not say)."""
    if server is None:
        return True

    def bare(url: str) -> str:
        return url.split("://", 1)[-1].rstrip("/").lower()

    return bare(server) == bare(base_url())


def _other_patients(subjects: list[importer.Subject], target: uuid.UUID) -> list[dict[str, object]]:
    """One issue per entry about a patient of this server other than the path's."""
    found = []
    for subject in subjects:
        try:
            other = uuid.UUID(subject.id)
        except ValueError:
            continue  # not an id of this server: another system's name for this patient
        if other != target and _same_server(subject.server):
            found.append(
                issue(
                    "error",
                    "business-rule",
                    _(
                        "This entry is about another patient (%(reference)s). Only readings "
                        "about the patient of this address can be imported. Nothing was "
                        "imported.",
                        reference=subject.reference,
                    ),
                    _entry(subject.entry),
                )
            )
            if len(found) >= csv_io.MAX_PROBLEMS:
                break
    return found


def _about(problem: csv_io.RowError) -> str:
    return f"{problem.column}: {problem.message}" if problem.column else problem.message


def _problems(parsed: importer.Parsed) -> list[dict[str, object]]:
    entries = len({e.line for e in parsed.errors})
    found = [
        issue(
            "error",
            "processing",
            ngettext(
                "Nothing was imported: %(num)d entry cannot be used. Correct it and send the "
                "whole Bundle again.",
                "Nothing was imported: %(num)d entries cannot be used. Correct them and send "
                "the whole Bundle again.",
                entries,
            ),
        )
    ]
    found += [issue("error", "value", _about(e), _entry(e.line)) for e in parsed.errors]
    if parsed.stopped_at is not None:
        found.append(
            issue(
                "information",
                "informational",
                _(
                    "Checking stopped at entry %(entry)d after %(count)d problems; the entries "
                    "after it were not checked.",
                    entry=parsed.stopped_at,
                    count=len(parsed.errors),
                ),
            )
        )
    return found + _left_out(parsed)


def _left_out(parsed: importer.Parsed) -> list[dict[str, object]]:
    """A warning per entry left out (these do not block the import)."""
    found = [
        issue("warning", "informational", _about(s), _entry(s.line))
        for s in sorted(parsed.skipped, key=lambda s: s.line)
    ]
    more = parsed.skipped_total - len(parsed.skipped)
    if more > 0:
        found.append(
            issue(
                "warning",
                "informational",
                ngettext(
                    "%(num)d more entry was left out (only the first %(max)d are listed).",
                    "%(num)d more entries were left out (only the first %(max)d are listed).",
                    more,
                    max=len(parsed.skipped),
                ),
            )
        )
    return found
