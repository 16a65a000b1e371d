"""Gathers what progress needs: check-ins from the goals tables, readings through the
measurements door (only for kinds the principal may read). The maths is in progress.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import orjson
from sqlalchemy import String, select, type_coerce

from pgd import db
from pgd.goals import metrics
from pgd.goals import progress as pg
from pgd.goals.data import GoalData, GoalKind, Mode
from pgd.goals.metrics import METRICS, Metric
from pgd.goals.models import CheckIn
from pgd.goals.store import CHECKINS_TABLE, cipher
from pgd.measurements import services as measurements
from pgd.measurements.models import Kind
from pgd.sharing.policy import Action, Principal, allowed


def checkin_days(
    patient_id: uuid.UUID,
    goals: Iterable[tuple[uuid.UUID, GoalData]],
    since: date | None = None,
) -> dict[uuid.UUID, dict[date, int]]:
    """Check-ins per goal; a one-tap check-in counts 1 without opening its payload.

    Core queries with ids and days read as text on SQLite: two years of daily check-ins
    on 20 goals would otherwise build some 30,000 UUID and date objects per page.
    """
    modes = {gid: g.mode for gid, g in goals}
    out: dict[uuid.UUID, dict[date, int]] = {gid: {} for gid in modes}
    if not modes:
        return out
    conn = db.session().connection()
    sqlite = conn.dialect.name == "sqlite"
    as_text = (lambda col: type_coerce(col, String)) if sqlite else (lambda col: col)
    # The rows' goal id (text on SQLite) straight to that goal's dict: no UUID hashing.
    into = {(gid.hex if sqlite else gid): out[gid] for gid in modes}
    day_of = date.fromisoformat if sqlite else (lambda d: d)
    recent = () if since is None else (CheckIn.day >= since,)
    tapped = [gid for gid, mode in modes.items() if mode != Mode.COUNT]
    if tapped:
        rows = conn.execute(
            select(as_text(CheckIn.goal_id), as_text(CheckIn.day)).where(
                CheckIn.patient_id == patient_id, CheckIn.goal_id.in_(tapped), *recent
            )
        ).all()
        for goal_key, day in rows:
            into[goal_key][day_of(day)] = 1
    counted = [gid for gid, mode in modes.items() if mode == Mode.COUNT]
    if counted:
        rows = conn.execute(
            select(
                as_text(CheckIn.goal_id),
                as_text(CheckIn.day),
                as_text(CheckIn.id),
                CheckIn.payload_sealed,
            ).where(CheckIn.patient_id == patient_id, CheckIn.goal_id.in_(counted), *recent)
        ).all()
        if rows:
            pairs = ((bytes.fromhex(r[2]) if sqlite else r[2].bytes, r[3]) for r in rows)  # type: ignore[misc]
            payloads = cipher(patient_id).open_many(CHECKINS_TABLE, pairs)
            for r, payload in zip(rows, payloads, strict=True):
                into[r[0]][day_of(r[1])] = int(orjson.loads(payload)["c"])
    return out


def _readings(
    principal: Principal,
    patient_id: uuid.UUID,
    metric: Metric,
    start: datetime | None,
    end: datetime | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    s = measurements.series(principal, patient_id, Kind(metric.kind), start=start, end=end)
    return s.epoch, metrics.column_values(metric, s.values)


def _measured(
    principal: Principal,
    patient_id: uuid.UUID,
    goals: list[tuple[uuid.UUID, GoalData]],
    now: datetime,
) -> dict[uuid.UUID, pg.Progress]:
    """Measurement progress, reading only the windows it needs through the measurements door.

    Weight (a few readings a week at most) is read whole. Windowed metrics read two weeks
    around each start date and the last two weeks, not five years of readings.
    """
    out: dict[uuid.UUID, pg.Progress] = {}
    cache: dict[tuple[str, date | None], tuple[np.ndarray, np.ndarray]] = {}
    recent: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # the last two weeks
    for gid, g in goals:
        metric = METRICS[str(g.metric)]
        assert g.target is not None
        if not allowed(principal, patient_id, metric.kind, Action.READ):
            out[gid] = pg.Progress("measurement", g.target, metric.unit, status=pg.NOT_SHARED)
            continue
        if metric.window_days is None:
            if (metric.kind, None) not in cache:
                cache[(metric.kind, None)] = _readings(principal, patient_id, metric, None)
            out[gid] = pg.measurement_progress(
                metric, *cache[(metric.kind, None)], g.target, g.direction, g.start, g.until, now
            )
            continue
        span = timedelta(days=metric.window_days + 1)
        if (metric.kind, g.start) not in cache:
            begin = datetime.fromtimestamp(pg.day_start_epoch(g.start), UTC)
            cache[(metric.kind, g.start)] = _readings(
                principal, patient_id, metric, begin - span, begin + span + timedelta(days=1)
            )
        if metric.kind not in recent:
            recent[metric.kind] = _readings(principal, patient_id, metric, now - span)
        end = int(now.timestamp()) + 1
        first = pg.start_value(metric, *cache[(metric.kind, g.start)], g.start, end)
        current = pg.metric_at(metric, *recent[metric.kind], end)
        out[gid] = pg.measurement_result(
            metric, first, current, g.target, g.direction, g.start, g.until, now
        )
    return out


def progress_of(
    principal: Principal,
    patient_id: uuid.UUID,
    goals: list[tuple[uuid.UUID, GoalData]],
    now: datetime,
) -> dict[uuid.UUID, pg.Progress]:
    today = pg.local_day(now)
    measured = [(gid, g) for gid, g in goals if g.kind == GoalKind.MEASUREMENT and g.metric]
    out = _measured(principal, patient_id, measured, now)
    activities = [(gid, g) for gid, g in goals if g.kind == GoalKind.ACTIVITY]
    # The last weeks are enough unless a streak runs past them: then read that goal whole.
    since = pg.week_start(today) - timedelta(weeks=pg.WEEKS_SHOWN)
    days = checkin_days(patient_id, activities, since)
    for gid, g in activities:
        target, tap = int(g.per_week or 1), g.mode == Mode.DONE
        found = pg.activity_progress(days[gid], today, target, tap, g.unit)
        if not days[gid] or pg.streak_reaches(found, today, since):
            whole = checkin_days(patient_id, [(gid, g)])[gid]
            found = pg.activity_progress(whole, today, target, tap, g.unit)
        out[gid] = found
    return out
