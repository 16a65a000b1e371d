"""The home-measurement week (thuismeetweek, NHG M84): which reading belongs to which day
and moment, where the patient is today, and the mean of days 2 to 7 with its verdict.

Pure: readings are (UTC epoch seconds, systolic, diastolic); days are local calendar dates
in Europe/Amsterdam, so a week across a clock change still has seven whole days (one of
them 23 or 25 hours long). The protocol numbers live in ``thresholds``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np

from pgd.clinical import thresholds as t
from pgd.clinical.targets import BloodPressureTarget
from pgd.clinical.verdicts import Level, Verdict, bp_mean

# The same zone as pgd.measurements.validation.LOCAL (pgd.clinical imports nothing of the app).
LOCAL = ZoneInfo("Europe/Amsterdam")
MORNING, EVENING = "morning", "evening"
MOMENTS = (MORNING, EVENING)
DAYS = tuple(range(1, t.BP_WEEK_DAYS + 1))
COUNTED_DAYS = tuple(range(t.BP_WEEK_FIRST_COUNTED_DAY, t.BP_WEEK_DAYS + 1))

Reading = tuple[int, float, float]  # (UTC epoch seconds, systolic, diastolic)
Slot = tuple[int, str]  # (day 1-7, "morning" or "evening")


def end_day(start_day: date) -> date:
    """Day 7."""
    return start_day + timedelta(days=t.BP_WEEK_DAYS - 1)


def day_date(start_day: date, day: int) -> date:
    return start_day + timedelta(days=day - 1)


def bounds(start_day: date, tz: tzinfo = LOCAL) -> tuple[int, int]:
    """UTC epoch seconds from local midnight of day 1 up to (not including) that of day 8."""
    first = datetime.combine(start_day, time(0), tzinfo=tz)
    after = datetime.combine(end_day(start_day) + timedelta(days=1), time(0), tzinfo=tz)
    return int(first.timestamp()), int(after.timestamp())


def moment_of_hour(hour: int) -> str:
    """Before 14:00 local time the morning, from 14:00 the evening (see thresholds)."""
    return MORNING if hour < t.BP_WEEK_EVENING_FROM_HOUR else EVENING


def local_slot(epoch: int, tz: tzinfo = LOCAL) -> tuple[date, str]:
    """The local calendar date and the moment of one reading."""
    local = datetime.fromtimestamp(epoch, UTC).astimezone(tz)
    return local.date(), moment_of_hour(local.hour)


def slot_of(epoch: int, start_day: date, tz: tzinfo = LOCAL) -> Slot | None:
    """(day 1-7, moment), or None when the reading lies outside the week."""
    day, moment = local_slot(epoch, tz)
    number = (day - start_day).days + 1
    if number < 1 or number > t.BP_WEEK_DAYS:
        return None
    return number, moment


def assign(
    readings: Iterable[Reading], start_day: date, tz: tzinfo = LOCAL
) -> dict[Slot, list[Reading]]:
    """Every reading of the week in its (day, moment), oldest first; others are left out."""
    slots: dict[Slot, list[Reading]] = {(d, m): [] for d in DAYS for m in MOMENTS}
    for reading in sorted(readings, key=lambda r: r[0]):
        slot = slot_of(int(reading[0]), start_day, tz)
        if slot is not None:
            slots[slot].append(reading)
    return slots


def counts(readings: Iterable[Reading], start_day: date, tz: tzinfo = LOCAL) -> dict[Slot, int]:
    """How many readings each (day, moment) holds (extras included), for the week's table."""
    return {slot: len(found) for slot, found in assign(readings, start_day, tz).items()}


def lacking_at(found: int) -> int:
    """How many readings a moment holding `found` still needs (0: done)."""
    return max(t.BP_WEEK_READINGS_PER_MOMENT - found, 0)


# --- where the patient is today ---------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """The week on one local date and time.

    ``day`` 1-7 while it runs (0 before day 1, 8 after day 7). ``due`` is the moment of
    today still to measure ("morning" or "evening", None when today is done) and
    ``lacking`` how many readings it still needs. ``missed`` counts readings missing
    from earlier moments of the week (a patient may still enter them afterwards).
    """

    day: int
    due: str | None
    lacking: int
    missed: int

    @property
    def running(self) -> bool:
        return 1 <= self.day <= t.BP_WEEK_DAYS

    @property
    def finished(self) -> bool:
        return self.day > t.BP_WEEK_DAYS

    @property
    def days(self) -> int:
        return t.BP_WEEK_DAYS


def status(
    start_day: date, readings: Iterable[Reading], now: datetime, tz: tzinfo = LOCAL
) -> Status:
    """Which moment is still due today and how many readings it lacks (now: any aware time)."""
    local = now.astimezone(tz)
    day = (local.date() - start_day).days + 1
    if day < 1:
        return Status(0, None, 0, 0)
    have = counts(readings, start_day, tz)
    if day > t.BP_WEEK_DAYS:
        missed = sum(lacking_at(n) for n in have.values())
        return Status(t.BP_WEEK_DAYS + 1, None, 0, missed)
    current = moment_of_hour(local.hour)
    past = [(d, m) for d in DAYS for m in MOMENTS if d < day]
    if current == EVENING:
        past.append((day, MORNING))
    missed = sum(lacking_at(have[slot]) for slot in past)
    due: str | None = None
    lacking = 0
    for moment in MOMENTS[MOMENTS.index(current) :]:
        if lacking_at(have[(day, moment)]):
            due, lacking = moment, lacking_at(have[(day, moment)])
            break
    return Status(day, due, lacking, missed)


# --- the result -------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """The figure of the week: the mean of days 2-7 and what it rests on."""

    verdict: Verdict  # pgd.clinical.bp_mean of the readings used
    used: int  # readings of days 2-7 in the mean (at most 2 per moment)
    expected: int  # 24
    extra: int  # readings beyond 2 at one moment of days 2-7, left out
    day_one: int  # readings of day 1, left out as the protocol says
    missing: tuple[tuple[int, str, int], ...] = field(default=())  # (day, moment, lacking)

    @property
    def usable(self) -> bool:
        """Enough readings for a mean to go by (ESH 2021: at least 12)."""
        return self.used >= t.BP_WEEK_MIN_READINGS

    @property
    def judged(self) -> bool:
        """A mean is judged when it rests on enough readings; an alarming mean always is."""
        return bool(self.used) and (self.usable or self.verdict.level is Level.ALARM)

    @property
    def complete(self) -> bool:
        return self.used >= self.expected

    @property
    def systolic(self) -> int | None:
        return self.verdict.values.get("systolic")

    @property
    def diastolic(self) -> int | None:
        return self.verdict.values.get("diastolic")

    @property
    def minimum(self) -> int:
        return t.BP_WEEK_MIN_READINGS


def _past(start_day: date, day: int, moment: str, now: datetime | None, tz: tzinfo) -> bool:
    """Has this moment of the week gone by (so a reading lacking there is missing)? Without
    `now` every moment counts as gone by (a finished week)."""
    if now is None:
        return True
    local = now.astimezone(tz)
    on = start_day + timedelta(days=day - 1)
    if on != local.date():
        return on < local.date()
    return moment == MORNING and moment_of_hour(local.hour) == EVENING


def result(
    readings: Iterable[Reading],
    start_day: date,
    target: BloodPressureTarget,
    tz: tzinfo = LOCAL,
    now: datetime | None = None,
) -> Result:
    """Mean systolic and diastolic of days 2-7, the first two readings of each moment.
    With `now`, only moments gone by are listed as missing (a running week)."""
    slots = assign(readings, start_day, tz)
    used: list[Reading] = []
    extra = 0
    missing: list[tuple[int, str, int]] = []
    for day in COUNTED_DAYS:
        for moment in MOMENTS:
            found = slots[(day, moment)]
            used.extend(found[: t.BP_WEEK_READINGS_PER_MOMENT])
            extra += max(len(found) - t.BP_WEEK_READINGS_PER_MOMENT, 0)
            if lacking_at(len(found)) and _past(start_day, day, moment, now, tz):
                missing.append((day, moment, lacking_at(len(found))))
    day_one = sum(len(slots[(1, m)]) for m in MOMENTS)
    systolic = np.array([r[1] for r in used], dtype=float)
    diastolic = np.array([r[2] for r in used], dtype=float)
    verdict = bp_mean(systolic, diastolic, target)
    return Result(verdict, len(used), t.BP_WEEK_EXPECTED_READINGS, extra, day_one, tuple(missing))


def mean_high(found: Result) -> bool:
    """A week whose judged mean is at or above the target (or alarming): a reason for the
    care provider's attention, like a high mean of the period."""
    return found.judged and found.verdict.level in (Level.HIGH, Level.ALARM)
