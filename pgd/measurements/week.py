"""The home-measurement week (thuismeetweek): start, stop, a clinician's request, where the
patient is, and the week's result. The only door to measuring_weeks; the readings are
ordinary blood pressure readings read through pgd.measurements.services.

A week row without a start day is a clinician's request; starting fulfils it. A week
runs from its start day (day 1) through day 7, local dates in Europe/Amsterdam.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from pgd import db
from pgd.clinical import BloodPressureTarget, measuring_week
from pgd.measurements import services, targets
from pgd.measurements.models import Kind, MeasuringWeek
from pgd.measurements.validation import LOCAL, Invalid
from pgd.sharing import policy
from pgd.sharing.policy import Action, Principal

CATEGORY = Kind.BLOOD_PRESSURE.value
# How far back a week may start: a patient who measured on paper enters the readings
# afterwards (issue 11). Product rule, not a clinical limit.
MAX_DAYS_BACK = 14


@dataclass(frozen=True)
class Week:
    """One week or request, as plain data (dates and who asked are not sealed)."""

    id: uuid.UUID
    start_day: date | None  # None: requested, not started
    requested_by: uuid.UUID | None
    requested_at: datetime | None
    started_at: datetime | None
    requester: str = ""  # "A. de Vries (POH)", for the patient's pages

    @property
    def end_day(self) -> date | None:
        return None if self.start_day is None else measuring_week.end_day(self.start_day)

    @property
    def requested(self) -> bool:
        return self.start_day is None

    def finished(self, today: date) -> bool:
        end = self.end_day
        return end is not None and today > end

    def day(self, day: int) -> date:
        assert self.start_day is not None
        return measuring_week.day_date(self.start_day, day)


@dataclass(frozen=True)
class WeekResult:
    week: Week
    result: measuring_week.Result
    target: BloodPressureTarget
    finished: bool


def today() -> date:
    return datetime.now(UTC).astimezone(LOCAL).date()


def _requester(principal: Principal, clinician_id: uuid.UUID | None) -> str:
    """'A. de Vries (POH)': the patient sees who asked (they shared with that clinician)."""
    if clinician_id is None or principal.role != "patient":
        return ""
    from pgd.accounts.labels import mark_of, signed  # accounts imports measurements

    policy.permit_clinician_card(clinician_id)
    return signed(mark_of(clinician_id))


def _view(principal: Principal, row: MeasuringWeek) -> Week:
    return Week(
        row.id,
        row.start_day,
        row.requested_by,
        policy.aware(row.requested_at),
        policy.aware(row.started_at),
        _requester(principal, row.requested_by),
    )


def _open_rows(patient_id: uuid.UUID) -> list[MeasuringWeek]:
    """Weeks and requests not stopped, newest first (read once per request until a write:
    pgd.db.remembered; a start or stop reads them again after its lock)."""
    return list(
        db.remembered(
            ("measuring_weeks", patient_id),
            lambda: tuple(
                db.session().scalars(
                    select(MeasuringWeek)
                    .where(
                        MeasuringWeek.patient_id == patient_id,
                        MeasuringWeek.cancelled_at.is_(None),
                    )
                    .order_by(MeasuringWeek.created_at.desc())
                )
            ),
        )
    )


def _running_row(rows: list[MeasuringWeek], day: date) -> MeasuringWeek | None:
    for row in rows:
        if row.start_day is not None and row.start_day <= day <= measuring_week.end_day(
            row.start_day
        ):
            return row
    return None


def _request_row(rows: list[MeasuringWeek]) -> MeasuringWeek | None:
    return next((row for row in rows if row.start_day is None), None)


def _lock_patient(patient_id: uuid.UUID) -> None:
    """One start or request per patient at a time (PostgreSQL row lock; SQLite writes
    one at a time anyway)."""
    from pgd.accounts.models import User  # accounts imports measurements

    db.session().execute(select(User.id).where(User.id == patient_id).with_for_update())


def _day(d: date) -> str:
    return format_date(d, "d MMMM y")


def _start_problem(rows: list[MeasuringWeek], start_day: date, now_day: date) -> str | None:
    if start_day > now_day:
        return _("A measuring week cannot start in the future. Choose today or an earlier day.")
    earliest = now_day - timedelta(days=MAX_DAYS_BACK)
    if start_day < earliest:
        return _(
            "A measuring week can start at most %(days)d days back: from %(day)s on.",
            days=MAX_DAYS_BACK,
            day=_day(earliest),
        )
    running = _running_row(rows, now_day)
    if running is not None and running.start_day is not None:
        return _(
            "Your measuring week from %(start)s to %(end)s is still running. Stop it first.",
            start=_day(running.start_day),
            end=_day(measuring_week.end_day(running.start_day)),
        )
    new_end = measuring_week.end_day(start_day)
    for row in rows:
        if row.start_day is None:
            continue
        end = measuring_week.end_day(row.start_day)
        if row.start_day <= new_end and start_day <= end:
            return _(
                "This week overlaps your measuring week from %(start)s to %(end)s. "
                "Choose a start day after %(end)s.",
                start=_day(row.start_day),
                end=_day(end),
            )
    return None


def start(
    principal: Principal, patient_id: uuid.UUID, start_day: date, on: date | None = None
) -> Week:
    """Start a week on `start_day` (today or up to 14 days back); fulfils an open request.

    Raises Invalid({"start_day": ...}) and changes nothing when the day is not allowed.
    """
    policy.require(principal, patient_id, CATEGORY, Action.WRITE)
    now_day = on or today()
    with db.transaction() as sess:
        _lock_patient(patient_id)
        rows = _open_rows(patient_id)
        problem = _start_problem(rows, start_day, now_day)
        if problem is not None:
            raise Invalid({"start_day": problem})
        now = db.utcnow()
        row = _request_row(rows)
        if row is None:
            row = MeasuringWeek(id=db.new_id(), patient_id=patient_id, created_at=now)
            sess.add(row)
        row.start_day = start_day
        row.started_at = now
        sess.flush()
        _refresh_triage(principal, patient_id)
        return _view(principal, row)


def _refresh_triage(principal: Principal, patient_id: uuid.UUID) -> None:
    """The week's result shows in "my patients": rewrite its row (in this transaction)."""
    from pgd.sharing import triage  # sharing imports measurements

    triage.refresh(principal, patient_id, Kind.BLOOD_PRESSURE)


def cancel(principal: Principal, patient_id: uuid.UUID, on: date | None = None) -> bool:
    """Stop the running week, or decline an open request; False when there is none."""
    policy.require(principal, patient_id, CATEGORY, Action.WRITE)
    with db.transaction():
        rows = _open_rows(patient_id)
        row = _running_row(rows, on or today()) or _request_row(rows)
        if row is None:
            return False
        row.cancelled_at = db.utcnow()
        _refresh_triage(principal, patient_id)
    return True


def request(principal: Principal, patient_id: uuid.UUID) -> tuple[Week, bool]:
    """A clinician asks for a week (needs a blood pressure share; logged). An open request
    or a running week is not asked for twice: (that week, False)."""
    if principal.role != "clinician":
        raise NotFound()
    policy.require(principal, patient_id, CATEGORY, Action.REQUEST_WEEK)
    from pgd.sharing import access_log, dossier  # dossier imports measurements

    with db.transaction() as sess:
        _lock_patient(patient_id)
        rows = _open_rows(patient_id)
        found = _running_row(rows, today()) or _request_row(rows)
        if found is not None:
            return _view(principal, found), False
        now = db.utcnow()
        row = MeasuringWeek(
            id=db.new_id(),
            patient_id=patient_id,
            requested_by=principal.id,
            requested_at=now,
            created_at=now,
        )
        sess.add(row)
        dossier.log_write(principal, patient_id, CATEGORY, access_log.WriteAction.REQUEST_WEEK)
        sess.flush()
        return _view(principal, row), True


def readings(
    principal: Principal, patient_id: uuid.UUID, week: Week
) -> list[measuring_week.Reading]:
    """The week's blood pressure readings, clamped to a clinician's data window."""
    assert week.start_day is not None
    first, after = measuring_week.bounds(week.start_day, LOCAL)
    s = services.series(
        principal,
        patient_id,
        Kind.BLOOD_PRESSURE,
        start=datetime.fromtimestamp(first, UTC),
        end=datetime.fromtimestamp(after, UTC),
    )
    return [
        (int(e), float(sy), float(di))
        for e, sy, di in zip(s.epoch, s.values["systolic"], s.values["diastolic"], strict=True)
    ]


def latest_week(principal: Principal, patient_id: uuid.UUID, on: date | None = None) -> Week | None:
    """The newest started week that is not stopped, running or finished (for the chart)."""
    policy.require(principal, patient_id, CATEGORY, Action.READ)
    day = on or today()
    row = next(
        (r for r in _open_rows(patient_id) if r.start_day is not None and r.start_day <= day),
        None,
    )
    return None if row is None else _view(principal, row)


def history(principal: Principal, patient_id: uuid.UUID) -> list[tuple[Week, datetime | None]]:
    """Every week and request of the patient, stopped ones too, newest first, with when it
    was stopped (the complete export)."""
    policy.require(principal, patient_id, CATEGORY, Action.READ)
    rows = db.session().scalars(
        select(MeasuringWeek)
        .where(MeasuringWeek.patient_id == patient_id)
        .order_by(MeasuringWeek.created_at.desc())
    )
    return [(_view(principal, row), policy.aware(row.cancelled_at)) for row in rows]


@dataclass(frozen=True)
class Overview:
    """Everything the week's pages show: the latest started week (running or finished)
    with where the patient is, its readings per moment and its result, and an open request."""

    week: Week | None
    request: Week | None
    status: measuring_week.Status | None
    counts: dict[measuring_week.Slot, int]
    result: WeekResult | None

    @property
    def running(self) -> bool:
        return self.status is not None and self.status.running


def overview(
    principal: Principal,
    patient_id: uuid.UUID,
    now: datetime | None = None,
    target: BloodPressureTarget | None = None,
) -> Overview:
    """The week, request, status and result; judged against `target` when given (the
    worklist's clinical target), else against what this viewer reads against."""
    moment = now or datetime.now(UTC)
    day = moment.astimezone(LOCAL).date()
    policy.require(principal, patient_id, CATEGORY, Action.READ)
    asked = _request_row(_open_rows(patient_id))
    request_view = None if asked is None else _view(principal, asked)
    week = latest_week(principal, patient_id, day)
    if week is None or week.start_day is None:
        return Overview(None, request_view, None, {}, None)
    found = readings(principal, patient_id, week)
    target = target or targets.resolve(principal, patient_id, day).blood_pressure
    finished = week.finished(day)
    outcome = measuring_week.result(
        found, week.start_day, target, LOCAL, None if finished else moment
    )
    return Overview(
        week,
        request_view,
        measuring_week.status(week.start_day, found, moment, LOCAL),
        measuring_week.counts(found, week.start_day, LOCAL),
        WeekResult(week, outcome, target, finished),
    )


def latest_result(
    principal: Principal,
    patient_id: uuid.UUID,
    now: datetime | None = None,
    target: BloodPressureTarget | None = None,
) -> WeekResult | None:
    """The newest finished (or running) week with its result, judged against the target
    this viewer reads against (pgd.measurements.targets.resolve). A clinician needs a
    blood pressure share, and sees readings inside the share's data period only; the page
    that shows it logs the read (as the pre-consult summary does)."""
    return overview(principal, patient_id, now, target).result
