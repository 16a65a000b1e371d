"""The pre-consult summary per category, from plain arrays (pure: no Flask, no database).

Each block answers what a practice nurse asks in the minute before a consult: how many
readings, the latest, mean / min / max, the trend against the period before, how much
was within target, and the flags that need a conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pgd.measurements import stats

BP_FLAG = (140, 90)  # mean at or above this is flagged, whatever the personal target
WEIGHT_CHANGE_FLAG = 3.0  # percent within the period
# Changes smaller than this count as "about the same" (measurement noise).
STEADY = {"systolic": 3.0, "kg": 0.5, "mmol": 0.3}


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


@dataclass
class Block:
    """One category's summary; values are numbers, the template words them."""

    category: str
    n: int = 0
    latest: tuple[float, ...] | None = None
    latest_at: int | None = None  # epoch s
    stats: dict[str, Stat] = field(default_factory=dict)
    trend: str | None = None  # "up", "down", "same"; None without an earlier period
    trend_delta: float | None = None
    within_target_pct: float | None = None
    target_text: str = ""
    flags: list[tuple[str, int | float]] = field(default_factory=list)


def _split(epoch: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    now = (epoch >= window.start) & (epoch < window.end)
    before = (epoch >= window.previous_start) & (epoch < window.start)
    return now, before


def _stat(values: np.ndarray) -> Stat:
    return Stat(float(values.mean()), float(values.min()), float(values.max()))


def _trend(now: np.ndarray, before: np.ndarray, steady: float) -> tuple[str | None, float | None]:
    if now.size == 0 or before.size == 0:
        return None, None
    delta = float(now.mean() - before.mean())
    if abs(delta) < steady:
        return "same", delta
    return ("up" if delta > 0 else "down"), delta


def blood_pressure(
    epoch: np.ndarray,
    systolic: np.ndarray,
    diastolic: np.ndarray,
    window: Window,
    target: tuple[int, int],
) -> Block:
    block = Block("blood_pressure", target_text=f"< {target[0]}/{target[1]}")
    now, before = _split(epoch, window)
    s, d = systolic[now], diastolic[now]
    block.n = int(s.size)
    if not block.n:
        return block
    block.latest = (float(s[-1]), float(d[-1]))
    block.latest_at = int(epoch[now][-1])
    block.stats = {"systolic": _stat(s), "diastolic": _stat(d)}
    block.trend, block.trend_delta = _trend(s, systolic[before], STEADY["systolic"])
    above = stats.bp_above_target(s, d, target)
    block.within_target_pct = 100.0 * (block.n - above) / block.n
    very_high = int(np.count_nonzero((s >= stats.BP_ALARM[0]) | (d >= stats.BP_ALARM[1])))
    if very_high:
        block.flags.append(("bp_very_high", very_high))
    if block.stats["systolic"].mean >= BP_FLAG[0] or block.stats["diastolic"].mean >= BP_FLAG[1]:
        block.flags.append(("bp_mean_high", 0))
    return block


def weight(epoch: np.ndarray, kg: np.ndarray, window: Window, height_cm: float | None) -> Block:
    block = Block("weight", target_text="BMI 18.5–25" if height_cm else "")
    now, before = _split(epoch, window)
    w = kg[now]
    block.n = int(w.size)
    if not block.n:
        return block
    block.latest = (float(w[-1]),)
    block.latest_at = int(epoch[now][-1])
    block.stats = {"kg": _stat(w)}
    block.trend, block.trend_delta = _trend(w, kg[before], STEADY["kg"])
    if height_cm:
        bmi = w / ((height_cm / 100.0) ** 2)
        healthy = (bmi >= stats.BMI_BANDS[0]) & (bmi < stats.BMI_BANDS[1])
        block.within_target_pct = 100.0 * int(np.count_nonzero(healthy)) / block.n
    change = stats.change_percent(float(w[0]), float(w[-1]))
    if change is not None and abs(change) > WEIGHT_CHANGE_FLAG:
        block.flags.append(("weight_change", round(change, 1)))
    return block


def glucose(epoch: np.ndarray, mmol: np.ndarray, window: Window) -> Block:
    block = Block("glucose", target_text=f"{stats.GLUCOSE_LOW:g}–{stats.GLUCOSE_HIGH:g} mmol/L")
    now, before = _split(epoch, window)
    g = mmol[now]
    block.n = int(g.size)
    if not block.n:
        return block
    block.latest = (float(g[-1]),)
    block.latest_at = int(epoch[now][-1])
    block.stats = {"mmol": _stat(g)}
    block.trend, block.trend_delta = _trend(g, mmol[before], STEADY["mmol"])
    block.within_target_pct = stats.time_in_range(g).in_range
    lows = int(np.count_nonzero(g < stats.GLUCOSE_LOW))
    if lows:
        block.flags.append(("glucose_low", lows))
    very_high = int(np.count_nonzero(g > stats.GLUCOSE_ALARM_HIGH))
    if very_high:
        block.flags.append(("glucose_very_high", very_high))
    return block
