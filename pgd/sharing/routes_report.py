"""The clinician's consult report: the pre-consult summary as one A4 page (PDF).

The same door as the dossier (pgd.sharing.dossier.pre_consult: the grant, the policy),
logged as ONE event of its own kind (ReadAction.REPORT), not also as a summary view.
"""

from __future__ import annotations

import uuid

from flask import Response, request
from flask.typing import ResponseReturnValue

from pgd import policy
from pgd.accounts.current import me
from pgd.reports import pdf
from pgd.sharing import bp, dossier
from pgd.sharing.access_log import ReadAction


@bp.get("/clinician/patients/<uuid:patient_id>/report.pdf")
@policy.clinician
def patient_report(patient_id: uuid.UUID) -> ResponseReturnValue:
    period = request.args.get("period", dossier.DEFAULT_PERIOD)
    found = dossier.pre_consult(me()[0], patient_id, period, action=ReadAction.REPORT)
    day = found.window_end.date().isoformat()
    return Response(
        pdf.render(pdf.from_dossier(found)),
        mimetype="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="consult-{day}.pdf"',
        },
    )
