"""A FHIR R4 Bundle (JSON) → the same checked readings as a CSV file (pure: no request, no
database).

The upload page takes a CSV file or a FHIR Bundle; pgd.measurements.imports detects which,
and both end as the same list of validated readings, so preview, duplicates and the
all-or-nothing confirm are one flow (pgd.measurements.imports). Every value goes through
pgd.measurements.validation, like the web form and the CSV import.

What is read (the same codes the read side, pgd.fhir, writes):

- Bundle of type collection, searchset, transaction or batch; resources under
  entry[].resource. Any other JSON is refused as a whole, with a reason.
- Blood pressure: Observation LOINC 85354-9 (Nictiz nl-core-BloodPressure) or the panel
  55284-4, components 8480-6 (systolic) and 8462-4 (diastolic) in UCUM mm[Hg]; "mmHg" is
  read too (it can mean nothing else). A pulse (8867-4) as a component, or as its own
  Observation at the very same time, is kept with that blood pressure reading: the app
  stores a pulse only as part of one (values.BloodPressure).
- Weight: LOINC 29463-7 or 3141-9 (zib-BodyWeight), in kg; g and [lb_av] are converted.
- Blood sugar: LOINC 14770-2 (fasting), 14743-9 (meter, not fasting), 14760-3 (after a
  meal), 2339-0, 15074-8 and 41653-7 (blood glucose), in mmol/L; mg/dL is converted. The
  moment comes from the observation-eventTiming extension (v3-TimingEvent / event-timing
  codes); without one, 14770-2 is "fasting" and anything else the app's own "other moment"
  (Moment.OTHER, which the form and the CSV import also use when no moment is given).

The CSV rule holds: a resource that is a measurement of ours but cannot be used (a value out
of range, a unit that is ambiguous, no time) is an error, and a file with any error is not
kept. Resources that are not one of our measurements (a Patient, a Goal, a body height), or
that their source withdrew (entered-in-error, cancelled), are skipped with a message the
patient sees before confirming. A file about more than one person is refused as a whole.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from flask_babel import format_number
from flask_babel import gettext as _

from pgd.measurements import csv_io, forms, validation
from pgd.measurements.csv_io import RowError
from pgd.measurements.validation import LOCAL, Invalid
from pgd.measurements.values import BloodPressure, Moment, Value

# A Bundle holds at most this many entries. About as much as fits in the upload limit
# (imports.MAX_BYTES, 10 MB: an Observation is 0.5 to 1 kB of JSON), and what is parsed
# into memory at once stays bounded. A larger file is refused whole with advice to split it.
MAX_ENTRIES = 10_000
BUNDLE_TYPES = ("collection", "searchset", "transaction", "batch")

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
EVENT_TIMING = "http://hl7.org/fhir/StructureDefinition/observation-eventTiming"

BP_PANELS = frozenset({"85354-9", "55284-4"})
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
PULSE = "8867-4"
WEIGHT = frozenset({"29463-7", "3141-9"})
FASTING_GLUCOSE = "14770-2"
AFTER_MEAL_GLUCOSE = "14760-3"
GLUCOSE = frozenset(
    {FASTING_GLUCOSE, "14743-9", AFTER_MEAL_GLUCOSE, "2339-0", "15074-8", "41653-7"}
)

# Units: what a file may write (lower case, no spaces) → the UCUM unit it means. "mmHg" is
# the everyday spelling of UCUM mm[Hg], and nothing else is meant by it; likewise "bpm".
_UNITS = {
    "mm[hg]": "mm[Hg]",
    "mmhg": "mm[Hg]",
    "/min": "/min",
    "{beats}/min": "/min",
    "{beat}/min": "/min",
    "1/min": "/min",
    "beats/min": "/min",
    "bpm": "/min",
    "mmol/l": "mmol/L",
    "mg/dl": "mg/dL",
    "kg": "kg",
    "g": "g",
    "[lb_av]": "[lb_av]",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
}
_MMHG = frozenset({"mm[Hg]"})
_PER_MINUTE = frozenset({"/min"})
# kg per unit. [lb_av], the avoirdupois pound, is exactly 0.45359237 kg (UCUM, after the
# International Yard and Pound Agreement of 1959); "lb" and "lbs" mean that pound too.
_KG_PER = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237}

# The measuring arm (zib BloodPressure MeasuringLocation, SNOMED CT body structures).
_ARMS = {"368208006": "left", "368209003": "right"}

# observation-eventTiming codes (v3-TimingEvent and FHIR event-timing) → the app's moment.
# WAKE ("upon waking") is the app's "fasting, on waking"; vaguer codes (AC, PC, C, MORN …)
# say no meal, so they leave the moment as the code of the Observation says.
_TIMING = {
    "ACM": Moment.BEFORE_BREAKFAST,
    "PCM": Moment.AFTER_BREAKFAST,
    "ACD": Moment.BEFORE_LUNCH,
    "PCD": Moment.AFTER_LUNCH,
    "ACV": Moment.BEFORE_DINNER,
    "PCV": Moment.AFTER_DINNER,
    "HS": Moment.BEDTIME,
    "NIGHT": Moment.NIGHT,
    "WAKE": Moment.FASTING,
}
_AFTER_MEAL = frozenset({Moment.AFTER_BREAKFAST, Moment.AFTER_LUNCH, Moment.AFTER_DINNER})
_BEFORE_MEAL = frozenset({Moment.FASTING, Moment.BEFORE_BREAKFAST, Moment.BEFORE_LUNCH})
_MOMENT_NAMES = frozenset(m.value for m in Moment)
_SKIP_STATUS = frozenset({"entered-in-error", "cancelled", "registered"})
# FHIR dateTime with a time of day (the seconds and the zone may be absent here).
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_DATE_ONLY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")
# A reference to a Patient, relative or absolute (its server's base address in "server").
_SUBJECT_REF = re.compile(
    r"^(?:(?P<server>https?://\S+?)/)?Patient/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$"
)
_ABSOLUTE = re.compile(r"^(https?://\S+?)/[A-Za-z]+/[A-Za-z0-9\-.]{1,64}(?:/_history/[^/]*)?$")


@dataclass
class Parsed(csv_io.Parsed):
    """As csv_io.Parsed, with `line` the entry number (first entry = 1) and `column` the
    resource ("Observation/abc"); `skipped` are resources left out, which do not block."""

    skipped: list[RowError] = field(default_factory=list)
    skipped_total: int = 0
    too_many: bool = False
    not_json: bool = False  # empty, or not JSON at all (the API answers 400, not 422)
    # Whom each entry is about: the API import checks these against the patient of its
    # path (pgd.fhir.import_route); the upload page has no such id and ignores them.
    subjects: list[Subject] = field(default_factory=list)


@dataclass(frozen=True)
class Subject:
    """A Patient an entry is about: a Patient resource itself or an Observation's subject.
    `server` is the FHIR base address the reference points into (an absolute reference,
    or a relative one resolved against the entry's absolute fullUrl, as FHIR R4 resolves
    references in a Bundle); None when the file does not say."""

    entry: int  # first entry = 1
    server: str | None
    id: str
    reference: str


@dataclass
class _Pulse:
    entry: int
    label: str
    when: datetime
    per_minute: object
    derived_from: set[str] = field(default_factory=set)  # references to its blood pressure


class _Unusable(Exception):
    """The resource is one of our measurements but cannot be used: an error."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


class _Skip(Exception):
    """The resource is not a measurement this app keeps: left out, with this message."""


def looks_like_json(data: bytes, filename: str = "") -> bool:
    """A .json name, or content that starts like JSON (no CSV file starts with "{")."""
    if filename.lower().endswith(".json"):
        return True
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def parse(data: bytes, now: datetime | None = None) -> Parsed:
    """Read and validate a whole Bundle; nothing is saved here."""
    # A parsed JSON tree has no cycles, so reference counting frees it; the cycle collector
    # would only walk its hundreds of thousands of objects again and again (half the time
    # of a 10,000-entry file).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(data, now or datetime.now(UTC))
    finally:
        if was_enabled:
            gc.enable()


def _parse(data: bytes, now: datetime) -> Parsed:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        return Parsed(file_error=_("The file is empty."), not_json=True)
    try:
        bundle = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Parsed(
            file_error=_(
                "This file is not correct JSON: there is a mistake near line %(line)d, "
                "column %(column)d. A FHIR file must be exactly as the app that made it "
                "wrote it. Export it again and upload that file, without changing it.",
                line=getattr(exc, "lineno", 1),
                column=getattr(exc, "colno", 1),
            ),
            not_json=True,
        )
    problem = _bundle_problem(bundle)
    if problem:
        return Parsed(file_error=problem)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return Parsed(file_error=_("The entries of this Bundle are not a list."))
    if len(entries) > MAX_ENTRIES:
        return Parsed(
            file_error=_(
                "This file holds %(num)s entries. We import at most %(max)s at a time. "
                "Export a shorter period (for example one year at a time) and import the "
                "files one by one.",
                num=format_number(len(entries)),
                max=format_number(MAX_ENTRIES),
            ),
            too_many=True,
        )
    if not entries:
        return Parsed(file_error=_("This Bundle holds no entries, so there is nothing to import."))
    subjects = _subjects(entries)
    if _people(entries) > 1:
        return Parsed(
            file_error=_(
                "This file holds readings of more than one person. We only import your own "
                "readings: export a file with only your own measurements."
            ),
            subjects=subjects,
        )
    result = _read(entries, now)
    result.subjects = subjects
    return result


def _bundle_problem(bundle: object) -> str | None:
    if not isinstance(bundle, dict) or "resourceType" not in bundle:
        return _(
            "This is a JSON file, but not a FHIR file. You can import a CSV file or a FHIR "
            "Bundle with measurements."
        )
    kind = bundle["resourceType"]
    if kind != "Bundle":
        return _(
            "This FHIR file holds one %(type)s, not a Bundle. Export your measurements as a "
            "Bundle and upload that file.",
            type=str(kind)[:64],
        )
    if bundle.get("type") not in BUNDLE_TYPES:
        return _(
            "This Bundle is of type “%(type)s”. We can import a Bundle of type collection, "
            "searchset, transaction or batch.",
            type=str(bundle.get("type") or "")[:64],
        )
    return None


def _resources(entries: list[Any]) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            yield number, resource, full_url if isinstance(full_url, str) else None


def _identifier_keys(identifiers: object) -> set[str]:
    keys = set()
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(ident, dict) and ident.get("value"):
            keys.add(f"identifier:{ident.get('system') or ''}|{ident['value']}")
    return keys


def _people(entries: list[Any]) -> int:
    """How many different persons the file is about: its Patients and the subjects of its
    Observations, a reference to a Patient in the file counting as that Patient."""
    alias: dict[str, int] = {}
    persons: set[object] = set()
    for number, resource, full_url in _resources(entries):
        if resource.get("resourceType") != "Patient":
            continue
        keys = set(_identifier_keys(resource.get("identifier")))
        if full_url:
            keys.add(full_url)
        if isinstance(resource.get("id"), str):
            keys.add(f"Patient/{resource['id']}")
        person = next((alias[k] for k in keys if k in alias), number)
        persons.add(person)
        for key in keys:
            alias[key] = person
    for _number, resource, _url in _resources(entries):
        if resource.get("resourceType") != "Observation":
            continue
        subject = resource.get("subject")
        if not isinstance(subject, dict):
            continue
        ref = subject.get("reference")
        refs: set[str] = set()
        if isinstance(ref, str) and ref:
            refs.add(ref)
            match = _PATIENT_REF.search(ref)
            if match:
                refs.add(f"Patient/{match.group(1)}")
        refs |= _identifier_keys(subject.get("identifier"))
        if not refs:
            continue
        known = next((alias[k] for k in sorted(refs) if k in alias), None)
        if known is None:  # not a Patient in the file: a person of its own
            known = len(entries) + len(alias) + 1
        for key in refs:
            alias.setdefault(key, known)
        persons.add(known)
        if len(persons) > 1:
            return len(persons)
    return len(persons)


def _server(full_url: str | None) -> str | None:
    """The FHIR base of an absolute fullUrl ("https://x/fhir/Observation/1" → "https://x/fhir")."""
    match = _ABSOLUTE.match(full_url or "")
    return match.group(1) if match else None


def _subjects(entries: list[Any]) -> list[Subject]:
    found = []
    for number, resource, full_url in _resources(entries):
        kind = resource.get("resourceType")
        if kind == "Patient" and isinstance(resource.get("id"), str):
            rid = resource["id"][:64]
            found.append(Subject(number, _server(full_url), rid, f"Patient/{rid}"))
        elif kind == "Observation" and isinstance(resource.get("subject"), dict):
            ref = resource["subject"].get("reference")
            match = _SUBJECT_REF.match(ref) if isinstance(ref, str) else None
            if match:
                server = match.group("server") or _server(full_url)
                found.append(Subject(number, server, match.group("id"), str(ref)[:200]))
    return found


def _label(resource: dict[str, Any]) -> str:
    kind = str(resource.get("resourceType") or "?")[:40]
    rid = resource.get("id")
    return f"{kind}/{str(rid)[:64]}" if rid else kind


def _read(entries: list[Any], now: datetime) -> Parsed:
    result = Parsed()
    pulses: list[_Pulse] = []
    # Where each blood pressure item is, by its second and by its references: a lone pulse
    # joins the one it is derived from, else the one at the same second.
    at_second: dict[int, list[int]] = {}
    by_ref: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            _skip(result, number, None, _("This entry holds no resource."))
            continue
        label = _label(resource)
        try:
            found = _observation(resource, now)
        except _Skip as exc:
            _skip(result, number, label, str(exc))
            continue
        except _Unusable as exc:
            result.errors.extend(RowError(number, label, m) for m in exc.messages)
            if len(result.errors) >= csv_io.MAX_PROBLEMS:
                result.stopped_at = number
                break
            continue
        if found is None:  # a Patient: only read to know whose file this is
            continue
        if isinstance(found, _Pulse):
            found.entry, found.label = number, label
            pulses.append(found)
            continue
        if isinstance(found[0], BloodPressure):
            place = len(result.items)
            at_second.setdefault(int(found[1].timestamp()), []).append(place)
            if resource.get("id"):
                by_ref[f"Observation/{resource['id']}"] = place
            if isinstance(entry.get("fullUrl"), str):
                by_ref[entry["fullUrl"]] = place
        result.items.append(found)
    if result.stopped_at is None:
        for pulse in pulses:
            _join_pulse(result, pulse, at_second, by_ref)
    if not result.items and not result.errors:
        result.file_error = _(
            "This file holds no blood pressure, weight or blood sugar measurements that we "
            "can import."
        )
    return result


def _skip(result: Parsed, number: int, label: str | None, message: str) -> None:
    result.skipped_total += 1
    if len(result.skipped) < csv_io.MAX_PROBLEMS:
        result.skipped.append(RowError(number, label, message))


def _join_pulse(
    result: Parsed, pulse: _Pulse, at_second: dict[int, list[int]], by_ref: dict[str, int]
) -> None:
    """Keep a lone pulse with the blood pressure reading it is derived from, or else with the
    one blood pressure reading of the same second."""
    places = at_second.get(int(pulse.when.timestamp()), [])
    derived = {by_ref[r] for r in pulse.derived_from if r in by_ref}
    if len(derived) == 1 and derived <= set(places):
        places = list(derived)
    if len(places) != 1:
        _skip(
            result,
            pulse.entry,
            pulse.label,
            _(
                "This app keeps a pulse only together with a blood pressure reading, and "
                "this file has no blood pressure reading at exactly the same time. Skipped."
            )
            if not places
            else _(
                "This file has more than one blood pressure reading at the same time as this "
                "pulse, so we do not know which one it belongs to. Skipped."
            ),
        )
        return
    value, when, note = result.items[places[0]]
    assert isinstance(value, BloodPressure)
    try:
        joined = validation.blood_pressure(
            value.systolic, value.diastolic, pulse.per_minute, value.arm
        )
    except Invalid as exc:
        result.errors.extend(RowError(pulse.entry, pulse.label, m) for m in _messages(exc.errors))
        return
    if value.pulse is not None and value.pulse != joined.pulse:
        _skip(
            result,
            pulse.entry,
            pulse.label,
            _(
                "The blood pressure reading at the same time already has a pulse of "
                "%(pulse)d. Skipped.",
                pulse=value.pulse,
            ),
        )
        return
    result.items[places[0]] = (replace(value, pulse=joined.pulse), when, note)


def _labels() -> dict[str, str]:
    return {
        "systolic": _("Upper pressure"),
        "diastolic": _("Lower pressure"),
        "pulse": _("Pulse (per minute)"),
        "arm": _("Arm"),
        "weight": _("Weight"),
        "glucose": _("Blood sugar"),
        "unit": _("Unit"),
        "moment": _("Moment"),
        "taken_at": _("Time"),
        "note": _("Note"),
    }


def _messages(errors: dict[str, str]) -> list[str]:
    labels = _labels()
    return [f"{labels.get(name, name)}: {message}" for name, message in errors.items()]


def _codes(concept: object, system: str = LOINC) -> set[str]:
    """The codes of a CodeableConcept in `system` (a coding without a system counts too)."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return set()
    return {
        str(c["code"])
        for c in concept["coding"]
        if isinstance(c, dict) and c.get("code") and c.get("system") in (system, None)
    }


def _items(value: object) -> list[Any]:
    """A FHIR list element; anything else (a number, a dict) counts as absent."""
    return value if isinstance(value, list) else []


def _shown_code(concept: object) -> str:
    if isinstance(concept, dict):
        for c in _items(concept.get("coding")):
            if isinstance(c, dict) and c.get("code"):
                text = f"{c.get('code')}"
                if c.get("display"):
                    text += f" ({c['display']})"
                return text[:120]
        if concept.get("text"):
            return str(concept["text"])[:120]
    return "?"


def _observation(
    resource: dict[str, Any], now: datetime
) -> tuple[Value, datetime, str] | _Pulse | None:
    kind = resource.get("resourceType")
    if kind == "Patient":
        return None
    if kind != "Observation":
        raise _Skip(
            _(
                "A %(type)s is not a measurement. We import only blood pressure, weight and "
                "blood sugar measurements. Skipped.",
                type=str(kind)[:40],
            )
        )
    status = resource.get("status")
    if isinstance(status, str) and status in _SKIP_STATUS:
        raise _Skip(
            _(
                "The app that made this file marked this measurement as “%(status)s”, so it "
                "is not a valid measurement. Skipped.",
                status=status,
            )
        )
    codes = _codes(resource.get("code"))
    if codes & BP_PANELS:
        return _blood_pressure(resource, now)
    if codes & WEIGHT:
        return _weight(resource, now)
    if codes & GLUCOSE:
        return _glucose(resource, codes & GLUCOSE, now)
    if PULSE in codes:
        when = _when(resource, now)
        per_minute = _quantity(resource.get("valueQuantity"), _PER_MINUTE)
        derived = {
            str(d["reference"])
            for d in _items(resource.get("derivedFrom"))
            if isinstance(d, dict) and d.get("reference")
        }
        return _Pulse(0, "", when, per_minute, derived)
    if codes & {SYSTOLIC, DIASTOLIC}:
        raise _Skip(
            _(
                "This measurement holds only one of the two blood pressure values. We import "
                "a blood pressure reading with both values in one Observation (LOINC "
                "85354-9). Skipped."
            )
        )
    raise _Skip(
        _(
            "The code %(code)s is not a blood pressure, weight or blood sugar measurement "
            "that we can import. Skipped.",
            code=_shown_code(resource.get("code")),
        )
    )


def _when(resource: dict[str, Any], now: datetime) -> datetime:
    """effectiveDateTime (or effectiveInstant, or the start of effectivePeriod) → UTC."""
    raw = resource.get("effectiveDateTime") or resource.get("effectiveInstant")
    period = resource.get("effectivePeriod")
    if raw is None and isinstance(period, dict):
        raw = period.get("start")
    if not isinstance(raw, str) or not raw:
        raise _Unusable(_("This measurement does not say when it was taken (effectiveDateTime)."))
    if _DATE_ONLY.match(raw):
        raise _Unusable(
            _(
                "This measurement has a date (%(value)s) but no time of day. We need both.",
                value=raw,
            )
        )
    if not _DATETIME.match(raw):
        raise _Unusable(_("“%(value)s” is not a date and time we can read.", value=raw[:40]))
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _Unusable(
            _("“%(value)s” is not a date and time we can read.", value=raw[:40])
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=LOCAL)  # FHIR wants a zone; without one, Dutch time
    try:
        return validation.taken_at(when.replace(microsecond=0), now)
    except Invalid as exc:
        raise _Unusable(*_messages(exc.errors)) from None
    except OverflowError:  # year 1 or 9999 with an offset: before or after any reading
        raise _Unusable(
            _("“%(value)s” is not a date and time we can read.", value=raw[:40])
        ) from None


def _unit(quantity: dict[str, Any]) -> str | None:
    """The UCUM unit of a Quantity (see _UNITS), or the text of a unit we do not know;
    None without any. Its code and its unit text must mean the same unit."""
    known: set[str] = set()
    unknown: list[str] = []
    for name in ("unit", "code"):
        text = quantity.get(name)
        if isinstance(text, str) and text.strip():
            ucum = _UNITS.get(re.sub(r"\s+", "", text).lower())
            if ucum is None:
                unknown.append(text.strip()[:40])
            else:
                known.add(ucum)
    if unknown:
        return unknown[0]
    if len(known) > 1:
        raise _Unusable(
            _(
                "The unit is written in two ways that do not agree (%(units)s), so we do not "
                "know which one is meant.",
                units=" / ".join(sorted(known)),
            )
        )
    return known.pop() if known else None


def _quantity(quantity: object, allowed: frozenset[str]) -> object:
    """The number of a Quantity in one of the `allowed` units."""
    number = _number(quantity)
    assert isinstance(quantity, dict)
    unit = _unit(quantity)
    if unit is None:
        raise _Unusable(_("The value has no unit. We need %(unit)s.", unit=_shown(allowed)))
    if unit not in allowed:
        raise _Unusable(
            _(
                "We cannot use the unit “%(found)s” here. We need %(unit)s.",
                found=unit,
                unit=_shown(allowed),
            )
        )
    return number


def _shown(allowed: frozenset[str]) -> str:
    """The unit a message asks for (made only for a message: 10,000 readings, no gettext)."""
    return "mm[Hg] (mmHg)" if allowed is _MMHG else _("beats per minute")


def _number(quantity: object) -> float:
    if not isinstance(quantity, dict) or "value" not in quantity:
        raise _Unusable(_("This measurement holds no value."))
    value = quantity["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unusable(_("The value “%(value)s” is not a number.", value=str(value)[:40]))
    if quantity.get("comparator"):
        raise _Unusable(
            _(
                "The value is “%(value)s”, not an exact number.",
                value=f"{quantity['comparator']}{value}",
            )
        )
    return float(value)


def _note(resource: dict[str, Any]) -> str:
    notes = resource.get("note")
    texts = [
        str(n["text"]).strip()
        for n in (notes if isinstance(notes, list) else [])
        if isinstance(n, dict) and n.get("text")
    ]
    try:
        return validation.note(" ".join(t for t in texts if t))
    except Invalid as exc:
        raise _Unusable(*_messages(exc.errors)) from None


def _time_and_note(
    resource: dict[str, Any], now: datetime, problems: list[str]
) -> tuple[datetime | None, str]:
    """The time and the note, each checked; their problems added to `problems`."""
    when = None
    note = ""
    try:
        when = _when(resource, now)
    except _Unusable as exc:
        problems.extend(exc.messages)
    try:
        note = _note(resource)
    except _Unusable as exc:
        problems.extend(exc.messages)
    return when, note


def _validated(
    resource: dict[str, Any], now: datetime, make: Any, *args: object
) -> tuple[Value, datetime, str]:
    """Value, time and note, each checked; every problem of the resource reported at once."""
    problems: list[str] = []
    value = None
    try:
        value = make(*args)
    except Invalid as exc:
        problems.extend(_messages(exc.errors))
    when, note = _time_and_note(resource, now, problems)
    if problems:
        raise _Unusable(*problems)
    assert value is not None
    assert when is not None
    return value, when, note


def _blood_pressure(resource: dict[str, Any], now: datetime) -> tuple[Value, datetime, str]:
    parts: dict[str, object] = {}
    problems: list[str] = []
    for component in _items(resource.get("component")):
        if not isinstance(component, dict):
            continue
        codes = _codes(component.get("code"))
        for code, name, allowed in (
            (SYSTOLIC, "systolic", _MMHG),
            (DIASTOLIC, "diastolic", _MMHG),
            (PULSE, "pulse", _PER_MINUTE),
        ):
            if code in codes:
                try:
                    parts[name] = _quantity(component.get("valueQuantity"), allowed)
                except _Unusable as exc:
                    problems.extend(f"{_labels()[name]}: {m}" for m in exc.messages)
    for name in ("systolic", "diastolic"):
        if name in parts:
            continue
        labels = _labels()
        if not any(m.startswith(labels[name]) for m in problems):
            problems.append(
                _("%(what)s: this blood pressure reading does not hold it.", what=labels[name])
            )
    arm = None
    for site in _codes(resource.get("bodySite"), SNOMED):
        arm = _ARMS.get(site, arm)
    if problems:
        # Still check the time and the note, so that every problem is listed at once.
        _time_and_note(resource, now, problems)
        raise _Unusable(*problems)
    return _validated(
        resource,
        now,
        validation.blood_pressure,
        parts["systolic"],
        parts["diastolic"],
        parts.get("pulse"),
        arm,
    )


def _weight(resource: dict[str, Any], now: datetime) -> tuple[Value, datetime, str]:
    quantity = resource.get("valueQuantity")
    try:
        number = _number(quantity)
        assert isinstance(quantity, dict)
        unit = _unit(quantity)
        if unit is None:
            raise _Unusable(_("The value has no unit. We need %(unit)s.", unit="kg"))
        if unit not in _KG_PER:
            raise _Unusable(
                _(
                    "We cannot use the unit “%(found)s” for a weight. We need kg, g or "
                    "[lb_av] (pound).",
                    found=unit,
                )
            )
    except _Unusable as exc:
        problems = [f"{_('Weight')}: {m}" for m in exc.messages]
        _time_and_note(resource, now, problems)
        raise _Unusable(*problems) from None
    return _validated(resource, now, validation.weight, number * _KG_PER[unit])


def _glucose(
    resource: dict[str, Any], codes: set[str], now: datetime
) -> tuple[Value, datetime, str]:
    quantity = resource.get("valueQuantity")
    problems: list[str] = []
    unit_name = "mmol"
    number: float | None = None
    try:
        number = _number(quantity)
        assert isinstance(quantity, dict)
        unit = _unit(quantity)
        if unit == "mg/dL":
            # validation.glucose converts: mmol/L = mg/dL / 18.016 (values.MGDL_PER_MMOL;
            # glucose's molar mass 180.16 g/mol, the factor NHG and IFCC use).
            unit_name = "mg"
        elif unit != "mmol/L":
            raise _Unusable(
                _(
                    "We cannot use the unit “%(found)s” for blood sugar. We need mmol/L or mg/dL.",
                    found=unit,
                )
                if unit
                else _("The value has no unit. We need mmol/L or mg/dL.")
            )
    except _Unusable as exc:
        problems.extend(f"{_('Blood sugar')}: {m}" for m in exc.messages)
    moment: str | None = None
    try:
        moment = _moment(resource, codes)
    except _Unusable as exc:
        problems.extend(exc.messages)
    if problems:
        _time_and_note(resource, now, problems)
        raise _Unusable(*problems)
    return _validated(resource, now, validation.glucose, number, unit_name, moment)


def _timed_moments(resource: dict[str, Any]) -> set[Moment]:
    """The moments the eventTiming extension names: its codes, and a text that is one of
    the app's own moment names (pgd.fhir.resources writes it, so "night" survives)."""
    codes: set[str] = set()
    texts: set[str] = set()
    for ext in _items(resource.get("extension")):
        if not isinstance(ext, dict) or ext.get("url") != EVENT_TIMING:
            continue
        if isinstance(ext.get("valueCode"), str):
            codes.add(ext["valueCode"])
        concept = ext.get("valueCodeableConcept")
        if isinstance(concept, dict):
            codes |= {
                str(c["code"])
                for c in _items(concept.get("coding"))
                if isinstance(c, dict) and c.get("code")
            }
            if isinstance(concept.get("text"), str):
                texts.add(concept["text"].strip().lower())
        timing = ext.get("valueTiming")
        if isinstance(timing, dict) and isinstance(timing.get("repeat"), dict):
            codes |= {str(w) for w in _items(timing["repeat"].get("when"))}
    found = {_TIMING[c.upper()] for c in codes if c.upper() in _TIMING}
    return found | {Moment(t) for t in texts if t in _MOMENT_NAMES}


def _moment(resource: dict[str, Any], codes: set[str]) -> str:
    """The app's moment from the eventTiming extension and the LOINC code, never guessed."""
    timed = _timed_moments(resource)
    if len(timed) > 1:
        timed.discard(Moment.OTHER)  # "another moment" next to a named one says nothing
    if len(timed) > 1:
        raise _Unusable(
            _(
                "This blood sugar measurement names more than one moment (%(moments)s), so we "
                "do not know when it was measured.",
                moments=", ".join(sorted(_moment_label(m) for m in timed)),
            )
        )
    moment = timed.pop() if timed else None
    if FASTING_GLUCOSE in codes:
        if moment in _AFTER_MEAL:
            raise _Unusable(
                _(
                    "The code says “fasting”, but the moment says “%(moment)s”. These do not "
                    "agree, so we do not know when it was measured.",
                    moment=_moment_label(moment),
                )
            )
        return moment or Moment.FASTING.value
    if AFTER_MEAL_GLUCOSE in codes and moment in _BEFORE_MEAL:
        raise _Unusable(
            _(
                "The code says “after a meal”, but the moment says “%(moment)s”. These do not "
                "agree, so we do not know when it was measured.",
                moment=_moment_label(moment),
            )
        )
    return moment or Moment.OTHER.value


def _moment_label(moment: str) -> str:
    return str(dict(forms.moment_choices()).get(moment, moment)).lower()
