"""The clinician's side: share codes, "my patients", the read-only dossier and its charts.

Every read of patient data goes through the measurement (and goals) services, which ask
the policy; every read appends exactly one access-log event in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import request
from sqlalchemy import delete

from pgd import clinical, crypto, db
from pgd.accounts import services as accounts
from pgd.accounts.models import Role
from pgd.measurements import services as measurements
from pgd.measurements import targets, week
from pgd.measurements.models import Kind
from pgd.sharing import access_log, codes, policy, summary
from pgd.sharing.access_log import Actor, ReadAction
from pgd.sharing.models import ShareCode
from pgd.sharing.policy import Action, ActiveGrant, Principal

if TYPE_CHECKING:  # pgd.goals imports the sharing policy: import it late at run time
    from pgd.goals.proposals import Proposal
    from pgd.goals.questions import Question
    from pgd.goals.services import GoalSummary

MEASURED = (Kind.BLOOD_PRESSURE, Kind.WEIGHT, Kind.GLUCOSE)
SUMMARY_PERIODS = {"1m": 30, "3m": 91, "6m": 182, "1y": 365}
DEFAULT_PERIOD = "3m"
PAGE_SIZE = 50  # "my patients": the most recent shares first, 50 at a time


def _clinician(principal: Principal) -> None:
    if principal.role != Role.CLINICIAN:
        raise policy.NotFound()


def new_share_code(principal: Principal) -> tuple[str, datetime]:
    """A fresh one-time code for the clinician to show; only its keyed hash is stored."""
    _clinician(principal)
    now = db.utcnow()
    code = codes.generate()
    expires = now + codes.VALID_FOR
    with db.transaction() as sess:
        # A new code cancels the clinician's earlier ones: an unused code shown to one
        # patient cannot be typed in later by another. Used and expired ones go too.
        sess.execute(delete(ShareCode).where(ShareCode.clinician_id == principal.id))
        sess.add(
            ShareCode(
                digest=codes.digest(code),
                clinician_id=principal.id,
                created_at=now,
                expires_at=expires,
            )
        )
    return code, expires


@dataclass(frozen=True)
class PatientRow:
    patient_id: uuid.UUID
    name: str
    birth_date: date | None
    categories: tuple[str, ...]
    data_from: datetime | None
    expires_at: datetime
    shared_at: datetime


def _ordered(categories: frozenset[str]) -> tuple[str, ...]:
    return tuple(c for c in policy.SHAREABLE if c in categories)


@dataclass(frozen=True)
class PatientPage:
    rows: list[PatientRow]
    total: int
    next_cursor: str | None


CURSOR_PATTERN = r"^[0-9]{1,20}_[0-9a-f]{32}$"


def _cursor(row: ActiveGrant) -> str:
    """Where the next page starts: the share time (µs since 1970) and the grant id."""
    micros = int(row.created_at.timestamp()) * 1_000_000 + row.created_at.microsecond
    return f"{micros}_{row.id.hex}"


def parse_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """None for a missing or malformed cursor (the first page)."""
    if not cursor or not re.fullmatch(CURSOR_PATTERN, cursor):
        return None
    micros, hexid = cursor.split("_", 1)
    seconds, rest = divmod(int(micros), 1_000_000)
    try:
        at = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)
    except (OverflowError, OSError, ValueError):
        return None
    return at, uuid.UUID(hex=hexid)


def my_patients(
    principal: Principal, cursor: str | None = None, page_size: int | None = None
) -> PatientPage:
    """Everyone with an active grant to this clinician, most recently shared first, a page
    at a time (page_size None: PAGE_SIZE, looked up now so it can be changed). Logs one
    read of the profile (name, date of birth) per patient listed."""
    _clinician(principal)
    size = PAGE_SIZE if page_size is None else page_size
    grants = policy.patients_of(principal, limit=size + 1, after=parse_cursor(cursor))
    more = len(grants) > size
    grants = grants[:size]
    profiles = accounts.profiles_of([g.patient_id for g in grants])
    nobody = accounts.ProfileData(name="", birth_date=None)
    rows = [
        PatientRow(
            g.patient_id,
            profiles.get(g.patient_id, nobody).name,
            profiles.get(g.patient_id, nobody).birth_date,
            _ordered(g.categories),
            g.data_from,
            g.expires_at,
            g.created_at,
        )
        for g in grants
    ]
    if rows:  # every name and date of birth shown is a read of that patient's profile
        with db.transaction():
            access_log.append_many(
                actor_of(principal),
                [(r.patient_id, [policy.IDENTIFICATION]) for r in rows],
                ReadAction.WORKLIST,
                address(),
                grants={g.patient_id: g.id for g in grants},
            )
    return PatientPage(
        rows, policy.count_patients_of(principal), _cursor(grants[-1]) if more else None
    )


def actor_of(principal: Principal) -> Actor:
    details = accounts.clinician_details(principal.id)
    return Actor(
        principal.id,
        accounts.profile_of(principal.id).name,
        details.profession if details else "",
        details.practice if details else None,
        details.agb_code if details else None,
    )


def address() -> str:
    return request.remote_addr or "unknown"


def log_write(principal: Principal, patient_id: uuid.UUID, category: str, action: str) -> None:
    """Append the access-log event of one clinician write (call inside the write's
    transaction, after policy.require allowed it): no log, no write."""
    access_log.append(actor_of(principal), patient_id, [category], action, address())


def grant_for(principal: Principal, patient_id: uuid.UUID) -> ActiveGrant:
    """The active grant behind this dossier, or 404 (also allows the patient's name)."""
    _clinician(principal)
    policy.require(principal, patient_id, policy.IDENTIFICATION, Action.READ)
    grant = policy.active_grant(principal.id, patient_id)
    if grant is None:  # revoked between the two lines above
        raise policy.NotShared()
    return grant


@dataclass
class Dossier:
    patient_id: uuid.UUID
    name: str
    birth_date: date | None
    grant: ActiveGrant
    categories: tuple[str, ...]
    period: str
    window_start: datetime
    window_end: datetime
    blocks: list[summary.Block] = field(default_factory=list)
    goals: list[GoalSummary] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    age: int | None = None  # in whole years on the (local) day of the summary


def _goals_part(principal: Principal, patient_id: uuid.UUID, dossier: Dossier) -> None:
    from pgd.goals import proposals
    from pgd.goals import services as goals

    # The active goals (paused, achieved and stopped ones are the patient's history).
    dossier.goals = [g for g in goals.goals_overview(principal, patient_id) if g.state == "active"]
    # Open questions, then those ticked off in this period (by whom shows with each).
    dossier.questions = [
        q
        for q in goals.consult_questions(principal, patient_id, include_discussed=True)
        if not q.discussed
        or (q.discussed_at is not None and q.discussed_at >= dossier.window_start)
    ]
    dossier.proposals = proposals.proposals(principal, patient_id)


def pre_consult(
    principal: Principal,
    patient_id: uuid.UUID,
    period: str = DEFAULT_PERIOD,
    action: str = ReadAction.SUMMARY,
) -> Dossier:
    """The one-screen summary for the chosen period; logs one event for what it showed
    (action: on the web page, or ReadAction.API through the practice system)."""
    grant = grant_for(principal, patient_id)
    period = period if period in SUMMARY_PERIODS else DEFAULT_PERIOD
    end = datetime.now(UTC)
    start = end - timedelta(days=SUMMARY_PERIODS[period])
    window = summary.Window(int(start.timestamp()), int(end.timestamp()) + 1)
    from pgd.clinical import age_on
    from pgd.sharing.summary_lists import LOCAL

    with db.transaction():
        profile = accounts.profile_of(patient_id)
        dossier = Dossier(
            patient_id,
            profile.name,
            profile.birth_date,
            grant,
            _ordered(grant.categories),
            period,
            start,
            end,
            age=age_on(profile.birth_date, end.astimezone(LOCAL).date()),
        )
        # The clinical target (standard for age, or agreed): never the patient's own.
        goals_for = targets.resolve(principal, patient_id)
        dossier.blocks = summary_blocks(principal, patient_id, grant.categories, window, goals_for)
        if crypto.Category.GOALS.value in grant.categories:
            _goals_part(principal, patient_id, dossier)
        access_log.append(actor_of(principal), patient_id, dossier.categories, action, address())
    return dossier


def summary_blocks(
    principal: Principal,
    patient_id: uuid.UUID,
    categories: Collection[str],
    window: summary.Window,
    goals_for: targets.Targets,
    *,
    end: datetime | None = None,
    week_on: datetime | None = None,
) -> list[summary.Block]:
    """The summary's rows for these categories over one window: the dossier's and the
    patient's own report (pgd.reports) read the same way. goals_for: the targets to judge
    against (the clinical ones); end: leave out readings from then on; week_on: the
    measuring week as it stood then (None: now). Logs nothing: the caller does."""
    earlier = datetime.fromtimestamp(window.previous_start, UTC)
    week_target = None if week_on is None else goals_for.blood_pressure
    blocks = []
    for kind in MEASURED:
        if kind.value not in categories:
            continue
        s = measurements.series(principal, patient_id, kind, start=earlier, end=end)
        if kind == Kind.BLOOD_PRESSURE:
            block = summary.blood_pressure(
                s.epoch,
                s.values["systolic"],
                s.values["diastolic"],
                window,
                goals_for.blood_pressure,
                pulse=s.values.get("pulse"),
            )
            history = targets.agreed_history(principal, patient_id)
            if history and history[0].agreement.by_patient:
                block.target_change = (history[0], targets.ignored_change(history) is not None)
            block.week = week.latest_result(principal, patient_id, week_on, week_target)
            if block.week is not None and clinical.measuring_week.mean_high(block.week.result):
                block.flags.insert(0, ("bp_week_high", 0))
        elif kind == Kind.WEIGHT:
            block = summary.weight(
                s.epoch,
                s.values["kg"],
                window,
                goals_for.height_cm,
                _weight_goal(principal, patient_id),
            )
        else:
            block = summary.glucose(s.epoch, s.values["mmol"], s.values["moment"], window)
        blocks.append(block)
    return blocks


def _weight_goal(principal: Principal, patient_id: uuid.UUID) -> float | None:
    """The patient's own weight goal (kg), only when goals are shared too."""
    from pgd.goals import services as goals

    return goals.weight_goal_line(principal, patient_id)


@dataclass(frozen=True)
class ChartData:
    series: measurements.Series
    patient_name: str
    # What the values are read against: the clinical target, never the patient's own.
    targets_for: targets.Targets
    goal_line: float | None = None  # weight: the active goal's target, with "goals" shared


def chart_data(
    principal: Principal, patient_id: uuid.UUID, kind: Kind, start: datetime | None
) -> ChartData:
    """One chart's series (clamped to the granted period), as the patient sees it; logs
    one event. The weight chart carries the goal line only when goals are shared too."""
    from pgd.goals import services as goals

    grant_for(principal, patient_id)
    with db.transaction():
        series = measurements.series(principal, patient_id, kind, start=start)
        name = accounts.profile_of(patient_id).name
        goal = goals.weight_goal_line(principal, patient_id) if kind == Kind.WEIGHT else None
        judged = targets.resolve(principal, patient_id, blood_pressure=kind == Kind.BLOOD_PRESSURE)
        shown = [kind.value] if goal is None else [kind.value, crypto.Category.GOALS.value]
        access_log.append(actor_of(principal), patient_id, shown, ReadAction.CHART, address())
    return ChartData(series, name, judged, goal)


def api_page(
    principal: Principal,
    patient_id: uuid.UUID,
    kinds: tuple[Kind, ...],
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> measurements.Page:
    """A clinician's API read of one patient's readings; logs one event."""
    grant_for(principal, patient_id)
    with db.transaction():
        page = measurements.page(principal, patient_id, kinds, start, end, cursor, limit)
        access_log.append(
            actor_of(principal), patient_id, [k.value for k in kinds], ReadAction.API, address()
        )
    return page
