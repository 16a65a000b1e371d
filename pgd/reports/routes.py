"""The patient's "My overview for the GP": choose a period, download the one-page PDF."""

from __future__ import annotations

from datetime import datetime

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from pgd import policy
from pgd.accounts.current import me
from pgd.reports import bp, pdf, service
from pgd.reports.forms import PeriodForm
from pgd.sharing.summary_lists import LOCAL


def _form() -> PeriodForm:
    return PeriodForm(formdata=request.args if request.args else None)


@bp.get("/my-overview")
@policy.patient
def overview() -> ResponseReturnValue:
    form = _form()
    form.fill_defaults(datetime.now(LOCAL).date())
    return render_template("reports/overview.html", form=form)


@bp.get("/my-overview.pdf")
@policy.patient
def overview_pdf() -> ResponseReturnValue:
    today = datetime.now(LOCAL).date()
    form = _form()
    period = form.period(today)
    if period is None:
        return render_template("reports/overview.html", form=form), 400
    first, last = period
    data = service.own_report(*me(), first, last)
    name = f"overzicht-{first.isoformat()}-{last.isoformat()}.pdf"
    return Response(
        pdf.render(data),
        mimetype="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
