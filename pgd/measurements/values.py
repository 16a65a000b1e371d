"""Measurement values as plain dataclasses, and their compact sealed payload format."""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
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


# Value classes have slots: a 100,000-row import holds 100,000 of them at once, and a
# __dict__ each (about 300 bytes) was a third of its memory (issue 14).
@dataclass(frozen=True, slots=True)
class BloodPressure:
    systolic: int
    diastolic: int
    pulse: int | None = None
    arm: str | None = None


@dataclass(frozen=True, slots=True)
class Weight:
    kg: float


@dataclass(frozen=True, slots=True)
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


# The sealed plaintext of a reading (issue 13/14): one marker byte, the values in a fixed
# binary layout per kind, then the note as UTF-8. Every reading of a kind without a note
# has the same length whatever its values or moment, so the sealed length tells nothing
# (pgd.crypto pads it to one bucket: 45 bytes sealed), and the rows stay small.
# Readings sealed before are JSON (they start with "{") and still open.
COMPACT = b"\x01"
_BP = struct.Struct(">HHHB")  # systolic, diastolic, pulse (0: none), arm code
_WEIGHT = struct.Struct(">d")  # kg
_GLUCOSE = struct.Struct(">dB")  # mmol/L, moment code
_ARMS: tuple[str | None, ...] = (None, Arm.LEFT.value, Arm.RIGHT.value)
_ARM_CODE = {a: i for i, a in enumerate(_ARMS)}
# Stored codes: positions in these tuples. Never reorder them; a new moment goes at the end
# (tests/test_padding.py pins them).
_MOMENTS: tuple[str, ...] = (
    "fasting",
    "before_breakfast",
    "after_breakfast",
    "before_lunch",
    "after_lunch",
    "before_dinner",
    "after_dinner",
    "bedtime",
    "night",
    "other",
)
_MOMENT_CODE = {m: i for i, m in enumerate(_MOMENTS)}
LAYOUT = {Kind.BLOOD_PRESSURE: _BP, Kind.WEIGHT: _WEIGHT, Kind.GLUCOSE: _GLUCOSE}


def encode(value: Value, note: str) -> bytes:
    """The plaintext that gets sealed (see COMPACT above)."""
    if isinstance(value, BloodPressure):
        fixed = _BP.pack(
            int(value.systolic),
            int(value.diastolic),
            int(value.pulse or 0),
            _ARM_CODE[value.arm or None],
        )
    elif isinstance(value, Weight):
        fixed = _WEIGHT.pack(value.kg)
    else:
        fixed = _GLUCOSE.pack(value.mmol, _MOMENT_CODE[value.moment])
    return COMPACT + fixed + note.encode("utf-8") if note else COMPACT + fixed


def _decode_compact(kind: str, payload: bytes) -> tuple[Value, str]:
    if kind == Kind.BLOOD_PRESSURE:
        s, d, p, arm = _BP.unpack_from(payload, 1)
        value: Value = BloodPressure(s, d, p or None, _ARMS[arm])
        end = 1 + _BP.size
    elif kind == Kind.WEIGHT:
        value = Weight(_WEIGHT.unpack_from(payload, 1)[0])
        end = 1 + _WEIGHT.size
    else:
        mmol, moment = _GLUCOSE.unpack_from(payload, 1)
        value = Glucose(mmol, _MOMENTS[moment])
        end = 1 + _GLUCOSE.size
    return value, payload[end:].decode("utf-8")


def decode(kind: str, payload: bytes) -> tuple[Value, str]:
    if payload[:1] == COMPACT:
        return _decode_compact(kind, payload)
    data = orjson.loads(payload)  # sealed before the compact form
    note = data.get("n", "")
    if kind == Kind.BLOOD_PRESSURE:
        return BloodPressure(data["s"], data["d"], data.get("p"), data.get("a")), note
    if kind == Kind.WEIGHT:
        return Weight(data["kg"]), note
    return Glucose(data["g"], data.get("m", Moment.OTHER.value)), note


# numpy layouts of the fixed parts, for series of thousands of readings (one frombuffer).
_NUMPY = {
    Kind.BLOOD_PRESSURE: np.dtype([("s", ">u2"), ("d", ">u2"), ("p", ">u2"), ("a", "u1")]),
    Kind.WEIGHT: np.dtype([("kg", ">f8")]),
    Kind.GLUCOSE: np.dtype([("g", ">f8"), ("m", "u1")]),
}


def columns(kind: Kind, payloads: list[bytes]) -> dict[str, np.ndarray]:
    """The values of many readings of one kind as float columns by short key ("s", "d",
    "p"; "kg"; "g"), a missing pulse as NaN, and for glucose the moments ("m", objects)."""
    width = LAYOUT[kind].size
    if all(p[:1] == COMPACT for p in payloads):
        fixed = np.frombuffer(b"".join(p[1 : 1 + width] for p in payloads), dtype=_NUMPY[kind])
        if kind == Kind.BLOOD_PRESSURE:
            pulse = fixed["p"].astype(float)
            pulse[pulse == 0] = np.nan
            return {"s": fixed["s"].astype(float), "d": fixed["d"].astype(float), "p": pulse}
        if kind == Kind.WEIGHT:
            return {"kg": fixed["kg"].astype(float)}
        names = np.array(_MOMENTS, dtype=object)
        return {"g": fixed["g"].astype(float), "m": names[fixed["m"]]}
    # Some sealed before the compact form. decode gives the class of the kind: a row of
    # another class fails here rather than leave the columns shorter than the times.
    values: list[Any] = [decode(kind, p)[0] for p in payloads]
    if kind == Kind.BLOOD_PRESSURE:
        return {
            "s": np.array([x.systolic for x in values], dtype=float),
            "d": np.array([x.diastolic for x in values], dtype=float),
            "p": np.array([np.nan if x.pulse is None else x.pulse for x in values], dtype=float),
        }
    if kind == Kind.WEIGHT:
        return {"kg": np.array([x.kg for x in values], dtype=float)}
    return {
        "g": np.array([x.mmol for x in values], dtype=float),
        "m": np.array([x.moment for x in values], dtype=object),
    }
