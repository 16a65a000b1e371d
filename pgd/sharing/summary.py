"""The pre-consult summary per category, from plain arrays (pure: no Flask, no database).

Each block answers what a practice nurse asks in the minute before a consult: how many
readings, the latest, mean / min / max, the trend against the period before, how much
was within target, and the flags that need a conversation. Every judgement comes from
pgd.clinical, against the clinical target (standard for age, or agreed): never against
a target the patient chose for themselves. The dated lists and glucose groups are made in
summary_lists, the trend line's daily means in sparkline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgd import clinical
from pgd.clinical import BP, BloodPressureTarget, G, Verdict
from pgd.sharing import sparkline
from pgd.sharing.summary_lists import Listed, MomentStat, bp_alarms, by_moment, glucose_lists


@dataclass(frozen=True)
class Window:
    """The chosen period [start, end) and the one of equal length before it (epoch s)."""

    start: int
    end: int

    @property
    def previous_start(self) -> int:
        return self.start - (self.end - self.start)


@dataclass(frozen=True)
class Stat:
    mean: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class WeightGoal:
    """The patient's own weight goal (goals shared) against this period's weights."""

    goal_kg: float
    direction: str | None  # "down" / "up" from the period's first weight; None: at it
    change_kg: float  # last minus first weight in the period
    from_goal_kg: float  # latest minus goal: > 0 above the goal, < 0 below it


@dataclass
class Block:
    """One category's summary; values are numbers and codes, the template words them."""

    category: str
    n: int = 0
    latest: tuple[float, ...] | None = None
    latest_at: int | None = None  # epoch s
    stats: dict[str, Stat] = field(default_factory=dict)
    trend: str | None = None  # "up", "down", "same"; None without an earlier period
    trend_delta: float | None = None
    within_target_pct: float | None = None
    target: BloodPressureTarget | None = None  # blood pressure: the clinical target
    target_code: str = ""  # "bp", "bmi_healthy", "glucose_by_moment"
    verdict: Verdict | None = None  # the period's verdict (mean, share in range, BMI)
    flags: list[tuple[str, int | float]] = field(default_factory=list)
    # Worth knowing, but no reason for attention (a weight change the patient planned).
    notes: list[tuple[str, int | float]] = field(default_factory=list)
    # Blood pressure: the lower pressure's trend (trend above is the upper pressure).
    trend_diastolic: str | None = None
    trend_diastolic_delta: float | None = None
    pulse_mean: float | None = None  # mean of the readings with a pulse
    pulse_n: int = 0
    # Alarming readings (blood pressure from 180/110, blood sugar above 15), newest first.
    alarms: Listed = field(default_factory=Listed)
    hypos: Listed = field(default_factory=Listed)  # blood sugar below 4.0, newest first
    hypos_at_night: int = 0
    by_moment: dict[str, MomentStat] = field(default_factory=dict)  # glucose
    bmi: float | None = None  # of the latest weight, with the patient's height
    bmi_category: str = ""
    goal: WeightGoal | None = None
    # Adherence: days with a reading; `expected` readings when a measuring plan says so
    # (None: no plan with a frequency exists, only the count and last date are shown).
    days_measured: int = 0
    expected: int | None = None
    daily: sparkline.Daily | None = None  # daily means for the trend line
    # Blood pressure: the patient's own change of the agreed target, (entry, ignored),
    # filled in by pgd.sharing.dossier; None when the newest agreement is the provider's.
    target_change: Any = None
    # Blood pressure: the latest measuring-week result (pgd.measurements.week.WeekResult),
    # filled in by pgd.sharing.dossier.
    week: Any = None


def _split(epoch: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    now = (epoch >= window.start) & (epoch < window.end)
    before = (epoch >= window.previous_start) & (epoch < window.start)
    return now, before


def _stat(values: np.ndarray) -> Stat:
    return Stat(float(values.mean()), float(values.min()), float(values.max()))


def _trend(now: np.ndarray, before: np.ndarray, quantity: str) -> tuple[str | None, float | None]:
    """This period's mean against the one before, read by pgd.clinical.trend."""
    if now.size == 0 or before.size == 0:
        return None, None
    delta = float(now.mean() - before.mean())
    return clinical.trend(delta, quantity), delta


def _daily(block: Block, epoch: np.ndarray, columns: dict[str, np.ndarray], w: Window) -> None:
    block.daily = sparkline.daily_means(epoch, columns, w.start, w.end)
    block.days_measured = len(block.daily.days) if block.daily else 0


def blood_pressure(
    epoch: np.ndarray,
    systolic: np.ndarray,
    diastolic: np.ndarray,
    window: Window,
    target: BloodPressureTarget,
    *,
    pulse: np.ndarray | None = None,
) -> Block:
    """pulse: per reading, NaN where none was recorded (None: not known at all)."""
    block = Block("blood_pressure", target=target, target_code="bp")
    now, before = _split(epoch, window)
    s, d = systolic[now], diastolic[now]
    block.n = int(s.size)
    if not block.n:
        return block
    block.latest = (float(s[-1]), float(d[-1]))
    block.latest_at = int(epoch[now][-1])
    block.stats = {"systolic": _stat(s), "diastolic": _stat(d)}
    block.trend, block.trend_delta = _trend(s, systolic[before], "systolic")
    block.trend_diastolic, block.trend_diastolic_delta = _trend(d, diastolic[before], "diastolic")
    if pulse is not None:
        p = pulse[now]
        p = p[np.isfinite(p)]
        block.pulse_n = int(p.size)
        block.pulse_mean = float(p.mean()) if p.size else None
    _daily(block, epoch, {"systolic": systolic, "diastolic": diastolic}, window)
    classes = clinical.bp_classes(s, d, target)
    block.alarms = bp_alarms(epoch[now], s, d, classes)
    block.within_target_pct = 100.0 * int(np.count_nonzero(classes == BP.ON_TARGET)) / block.n
    very_high = int(np.count_nonzero(classes == BP.ALARM))
    if very_high:
        block.flags.append(("bp_very_high", very_high))
    block.verdict = clinical.bp_mean(s, d, target)
    if block.verdict.code in ("bp_mean_high", "bp_mean_alarm"):
        block.flags.append(("bp_mean_high", 0))
    return block


def weight(
    epoch: np.ndarray,
    kg: np.ndarray,
    window: Window,
    height_cm: float | None,
    goal_kg: float | None = None,
) -> Block:
    """goal_kg: the patient's own weight goal when goals are shared (a change towards it
    is a note, not a flag); None when there is no goal or goals are not shared."""
    block = Block("weight", target_code="bmi_healthy" if height_cm else "")
    now, before = _split(epoch, window)
    w = kg[now]
    block.n = int(w.size)
    if not block.n:
        return block
    block.latest = (float(w[-1]),)
    block.latest_at = int(epoch[now][-1])
    block.stats = {"kg": _stat(w)}
    block.trend, block.trend_delta = _trend(w, kg[before], "kg")
    _daily(block, epoch, {"kg": kg}, window)
    if height_cm:
        block.within_target_pct = 100.0 * clinical.bmi_healthy_count(w, height_cm) / block.n
        block.bmi = clinical.bmi(float(w[-1]), height_cm)
        block.bmi_category = clinical.bmi_category(block.bmi)
        block.verdict = clinical.bmi_verdict(block.bmi)
    days = (int(epoch[now][-1]) - int(epoch[now][0])) / 86400
    direction = clinical.weight_goal_direction(goal_kg, float(w[0]))
    if goal_kg is not None:
        block.goal = WeightGoal(goal_kg, direction, float(w[-1] - w[0]), float(w[-1]) - goal_kg)
    change = clinical.weight_change(float(w[0]), float(w[-1]), days, direction)
    pct = round(float(change.values.get("pct", 0.0)), 1)
    if change.code in ("weight_change", "weight_loss_unintended"):
        block.flags.append((change.code, pct))
    elif change.code == "weight_change_planned" and pct:
        block.notes.append(("weight_change_planned", pct))
    return block


def glucose(epoch: np.ndarray, mmol: np.ndarray, moments: np.ndarray, window: Window) -> Block:
    block = Block("glucose", target_code="glucose_by_moment")
    now, before = _split(epoch, window)
    g = mmol[now]
    block.n = int(g.size)
    if not block.n:
        return block
    block.latest = (float(g[-1]),)
    block.latest_at = int(epoch[now][-1])
    block.stats = {"mmol": _stat(g)}
    block.trend, block.trend_delta = _trend(g, mmol[before], "mmol")
    _daily(block, epoch, {"mmol": mmol}, window)
    classes = clinical.glucose_classes(g, moments[now])
    block.hypos, block.alarms, block.hypos_at_night = glucose_lists(
        epoch[now], g, moments[now], classes
    )
    block.by_moment = by_moment(g, moments[now])
    share = clinical.glucose_share(classes)
    block.within_target_pct = share.in_range_pct
    block.verdict = clinical.glucose_period(share)
    if share.hypos:
        block.flags.append(("glucose_low", share.hypos))
    if share.counts[G.VERY_HIGH]:
        block.flags.append(("glucose_very_high", share.counts[G.VERY_HIGH]))
    return block
