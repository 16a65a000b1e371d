"""The clinician's read side of the API: patients who share with me, and their readings.

The same policy as the web pages decides: a clinician's token works only while its
owner has a second factor enrolled, only for patients with an active grant, and only for
the granted categories and period. Anything else answers 404. Every read is logged.
"""

from __future__ import annotations

import re
import uuid

from flask import Response, request
from flask_babel import gettext as _

from pgd import policy
from pgd.accounts.tokens import ApiPrincipal
from pgd.api import auth, bp, payloads
from pgd.api.routes import _invalid, _json
from pgd.measurements.models import Kind
from pgd.measurements.validation import Invalid
from pgd.sharing import dossier
from pgd.sharing.policy import NotFound


def _clinician() -> ApiPrincipal:
    principal = auth.principal()
    if principal.role != "clinician":
        raise NotFound()
    return principal


PATIENTS_DEFAULT_LIMIT = 100
PATIENTS_MAX_LIMIT = 500


def _patients_query() -> tuple[str | None, int]:
    errors: dict[str, str] = {}
    cursor = request.args.get("cursor")
    if cursor is not None and not re.fullmatch(dossier.CURSOR_PATTERN, cursor):
        errors["cursor"] = _("Use the next_cursor of the previous page, unchanged.")
    raw = request.args.get("limit")
    limit = PATIENTS_DEFAULT_LIMIT
    if raw is not None:
        if raw.isdigit() and 1 <= int(raw) <= PATIENTS_MAX_LIMIT:
            limit = int(raw)
        else:
            errors["limit"] = _("Choose a whole number from 1 to %(max)d.", max=PATIENTS_MAX_LIMIT)
    if errors:
        raise _invalid(Invalid(errors), 400)
    return cursor, limit


@bp.get("/patients")
@policy.api
def list_patients() -> Response:
    """Everyone with an active grant to this clinician, most recently shared first."""
    principal = _clinician()
    cursor, limit = _patients_query()
    page = dossier.my_patients(principal, cursor, page_size=limit)
    return _json(
        {
            "items": [
                {
                    "id": str(p.patient_id),
                    "name": p.name,
                    "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                    "categories": list(p.categories),
                    "data_from": payloads.rfc3339(p.data_from) if p.data_from else None,
                    "expires_at": payloads.rfc3339(p.expires_at),
                    "shared_at": payloads.rfc3339(p.shared_at),
                }
                for p in page.rows
            ],
            "next_cursor": page.next_cursor,
            "total": page.total,
        }
    )


@bp.get("/patients/<uuid:patient_id>/measurements")
@policy.api
def list_patient_measurements(patient_id: uuid.UUID) -> Response:
    """One patient's readings of the granted kinds, newest first, clamped to the period."""
    principal = _clinician()
    grant = dossier.grant_for(principal, patient_id)
    try:
        query = payloads.list_query(request.args)
    except Invalid as exc:
        raise _invalid(exc, 400) from None
    if "type" in request.args:
        kinds = query.kinds
    else:
        kinds = tuple(k for k in Kind if k.value in grant.categories)
        if not kinds:
            raise NotFound()  # only goals are shared: no readings to list
    page = dossier.api_page(
        principal, patient_id, kinds, query.start, query.end, query.cursor, query.limit
    )
    return _json(
        {
            "items": [payloads.measurement_output(r) for r in page.readings],
            "next_cursor": page.next_cursor,
            "total": page.total,
        }
    )
