"""Measurement values as plain dataclasses, and their compact sealed payload format."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import orjson

from pgd.measurements.models import Kind

MGDL_PER_MMOL = 18.016


class Moment(StrEnum):
    """When a glucose reading was taken, relative to meals (as a POH asks for it)."""

    FASTING = "fasting"
    BEFORE_BREAKFAST = "before_breakfast"
    AFTER_BREAKFAST = "after_breakfast"
    BEFORE_LUNCH = "before_lunch"
    AFTER_LUNCH = "after_lunch"
    BEFORE_DINNER = "before_dinner"
    AFTER_DINNER = "after_dinner"
    BEDTIME = "bedtime"
    NIGHT = "night"
    OTHER = "other"


class Arm(StrEnum):
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class BloodPressure:
    systolic: int
    diastolic: int
    pulse: int | None = None
    arm: str | None = None


@dataclass(frozen=True)
class Weight:
    kg: float


@dataclass(frozen=True)
class Glucose:
    mmol: float
    moment: str = Moment.OTHER.value


Value = BloodPressure | Weight | Glucose

KIND_OF: dict[type, Kind] = {
    BloodPressure: Kind.BLOOD_PRESSURE,
    Weight: Kind.WEIGHT,
    Glucose: Kind.GLUCOSE,
}


@dataclass(frozen=True)
class Reading:
    """A decrypted measurement as services hand it out."""

    id: uuid.UUID
    kind: Kind
    taken_at: datetime  # aware, UTC
    value: Value
    note: str
    source: str


def encode(value: Value, note: str) -> bytes:
    """The plaintext that gets sealed: short keys keep 15k rows cheap to open."""
    if isinstance(value, BloodPressure):
        data: dict[str, object] = {"s": value.systolic, "d": value.diastolic}
        if value.pulse is not None:
            data["p"] = value.pulse
        if value.arm:
            data["a"] = value.arm
    elif isinstance(value, Weight):
        data = {"kg": value.kg}
    else:
        data = {"g": value.mmol, "m": value.moment}
    if note:
        data["n"] = note
    return orjson.dumps(data)


def decode(kind: str, payload: bytes) -> tuple[Value, str]:
    data = orjson.loads(payload)
    note = data.get("n", "")
    if kind == Kind.BLOOD_PRESSURE:
        return BloodPressure(data["s"], data["d"], data.get("p"), data.get("a")), note
    if kind == Kind.WEIGHT:
        return Weight(data["kg"]), note
    return Glucose(data["g"], data.get("m", Moment.OTHER.value)), note


def fingerprint_material(kind: str, taken_at: datetime, value: Value) -> bytes:
    """What makes two readings "the same" for duplicate detection (the note does not)."""
    return orjson.dumps([kind, int(taken_at.timestamp()), encode(value, "").decode()])
