"""The care provider's charts read the values as the patient's do, against the clinical
target (standard for age, or agreed), never the patient's own, and say where it comes from."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from pgd.measurements import services, settings, targets
from pgd.measurements.values import BloodPressure
from tests.conftest import agree_target
from tests.sharing.conftest import add_readings


def _born(years: int) -> date:
    today = datetime.now(UTC).date()
    return date(today.year - years, 1, 1) if today.month > 1 else date(today.year - years - 1, 1, 1)


def _caption(body: str) -> str:
    found = re.search(r"<figcaption>(.*?)</figcaption>", body, re.S)
    assert found
    return found.group(1)


def _figure(body: str) -> dict[str, Any]:
    island = re.search(r'id="chart-data">(.*?)</script>', body, re.S)
    assert island
    return json.loads(island.group(1))


def _patient_with_pressures(app: Flask, create_patient: Callable[..., Any]) -> Any:
    patient = create_patient(birth_date=_born(60))
    now = datetime.now(UTC)
    with app.test_request_context():
        for i, value in enumerate([BloodPressure(134, 80)] * 3 + [BloodPressure(190, 115)]):
            services.add(patient, patient.id, value, now - timedelta(days=2, hours=i))
        # The patient's own, stricter target: their own pages only.
        settings.save(patient, patient.id, settings.Settings(None, 130, 80))
    return patient


def test_the_clinicians_chart_uses_the_clinical_target_never_the_patients_own(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = _patient_with_pressures(app, create_patient)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    page = verified_client(clinician).get(f"/clinician/patients/{patient.id}/charts/blood-pressure")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    caption = _caption(body)
    assert "Target: below 135/85 (NHG target for home measurement)." in caption
    assert "set by" not in caption
    assert "Average 148/89: at or above the target." in caption  # words for a care provider
    assert "Your" not in caption
    assert "1 reading was very high (180/110 or higher)." in caption
    # 134/80 is below the clinical 135/85 (the patient's own 130/80 does not count here).
    assert "1 of 4 readings was at or above the target." in caption
    names = [t["name"] for t in _figure(body)["data"]]
    assert "very high (180/110 or higher)" in names
    assert "very high (180/110 or higher)</td>" in body


def test_an_agreed_target_is_named_with_who_and_when_on_the_clinicians_chart(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = _patient_with_pressures(app, create_patient)
    agree_target(app, patient, (140, 90), date(2026, 3, 12))
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    body = (
        verified_client(clinician)
        .get(f"/clinician/patients/{patient.id}/charts/blood-pressure")
        .get_data(as_text=True)
    )
    assert "Target: below 140/90 (agreed with A. de Vries (POH) on 12 March 2026)." in (
        _caption(body)
    )
    lines = [s["name"] for s in _figure(body)["layout"]["shapes"] if s["type"] == "line"]
    assert lines == ["target upper value 140", "target lower value 90"]


def test_the_clinicians_glucose_charts_mark_the_hypo(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    patient = create_patient()
    add_readings(app, patient)  # 3.5 before breakfast five days ago: a hypo
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("glucose",))
    web = verified_client(clinician)
    base = f"/clinician/patients/{patient.id}/charts/glucose"
    moments = web.get(f"{base}?view=moments").get_data(as_text=True)
    assert "hypo (below 4)" in moments
    assert "1 reading was below 4 (a hypo): fasting / before breakfast (1)." in _caption(moments)
    share = web.get(f"{base}?view=range").get_data(as_text=True)
    assert "1 reading was below 4 (a hypo)." in _caption(share)
    assert "your" not in _caption(share).lower()
    # The tabs stay on the clinician's pages.
    assert f'href="{base}?view=moments' in share


def test_a_weight_chart_does_not_open_the_blood_pressure_target(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
    monkeypatch: Any,
) -> None:
    """The weight chart is logged as a weight read: it must read nothing else (not even the
    agreed blood pressure target, which is sealed under blood pressure)."""
    patient = _patient_with_pressures(app, create_patient)
    add_readings(app, patient)
    agree_target(app, patient, (140, 90), date(2026, 3, 12))
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure", "weight"))
    web = verified_client(clinician)

    def refuse(*_args: Any) -> None:
        raise AssertionError("the weight chart opened the blood pressure target")

    monkeypatch.setattr(targets, "agreed_blood_pressure", refuse)
    weight = web.get(f"/clinician/patients/{patient.id}/charts/weight")
    assert weight.status_code == 200
    assert "140/90" not in weight.get_data(as_text=True)
    monkeypatch.undo()
    page = web.get(f"/clinician/patients/{patient.id}/charts/blood-pressure")
    assert "140/90" in page.get_data(as_text=True)  # the blood pressure chart does read it


def test_the_clinicians_chart_has_no_patient_reading_link(
    app: Flask,
    create_patient: Callable[..., Any],
    create_clinician: Callable[..., Any],
    make_grant: Callable[..., uuid.UUID],
    verified_client: Callable[[Any], Any],
) -> None:
    """The Thuisarts.nl page under the chart is for the patient; the care provider's copy
    of the chart leaves it out."""
    patient = _patient_with_pressures(app, create_patient)
    clinician = create_clinician()
    make_grant(patient, clinician, categories=("blood_pressure",))
    page = verified_client(clinician).get(f"/clinician/patients/{patient.id}/charts/blood-pressure")
    assert page.status_code == 200
    assert "thuisarts.nl" not in page.get_data(as_text=True)
