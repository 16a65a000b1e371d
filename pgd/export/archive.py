"""The complete export (GDPR articles 15 and 20): everything the app holds about the
patient in one ZIP, as CSV and JSON, as a FHIR Bundle, with a README that explains it.

Read only through the domain services with the patient's own principal, so the policy
and pgd.crypto decide as on every page; nothing here touches a key or a table. Written
entry by entry into a SpooledTemporaryFile: five years of readings stay on disk, not in
memory. Of other people only what the patient already sees is in it: the name,
profession and practice of a care provider they shared with or who looked.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from pgd.export import readme
from pgd.fhir import bundles
from pgd.sharing.policy import NotFound, Principal

SPOOL_MAX = 8 * 1024 * 1024  # in memory up to this size, then on disk
BLOCK = 256 * 1024  # bytes handed to the compressor at a time
LOG_PAGE = 500  # access events read per query
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these

Row = Mapping[str, Any]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _cell(value: Any) -> str:
    """One CSV cell as readme.py explains it: decimal comma, ja/nee, ISO days."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Archive:
    """A ZIP being written: CSV tables, JSON lists and raw entries, one at a time."""

    def __init__(self, out: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)

    def _entry(self, name: str) -> io.BufferedWriter:
        """An entry to write into, compressed in blocks rather than row by row."""
        raw = self.zip.open(name, "w", force_zip64=True)
        return io.BufferedWriter(raw, buffer_size=BLOCK)  # type: ignore[arg-type]

    def csv(
        self,
        name: str,
        columns: Sequence[str],
        rows: Iterable[Row],
        also_json: IO[bytes] | None = None,
    ) -> int:
        """A CSV entry; with also_json, the same rows as a JSON list into that file."""
        with io.TextIOWrapper(self._entry(name), encoding="utf-8-sig", newline="") as text:
            writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
            writer.writerow(columns)
            count = 0
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
                if also_json is not None:
                    also_json.write(b",\n  " if count else b"[\n  ")
                    also_json.write(orjson.dumps({c: row.get(c) for c in columns}, default=str))
                count += 1
        if also_json is not None:
            also_json.write(b"\n]\n" if count else b"[\n]\n")
        return count

    def json_list(self, name: str, items: Iterable[Row]) -> None:
        with self._entry(name) as out:
            out.write(b"[")
            first = True
            for item in items:
                out.write(b"\n  " if first else b",\n  ")
                out.write(orjson.dumps(item, default=str))
                first = False
            out.write(b"\n]\n")

    def copy(self, name: str, source: IO[bytes]) -> None:
        source.seek(0)
        with self._entry(name) as out:
            shutil.copyfileobj(source, out, BLOCK)

    def json(self, name: str, value: Any) -> None:
        self.zip.writestr(name, orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str))

    def chunks(self, name: str, parts: Iterable[bytes]) -> None:
        with self._entry(name) as out:
            for part in parts:
                out.write(part)

    def table(self, stem: str, columns: Sequence[tuple[str, str, str]], rows: list[Row]) -> None:
        names = [c[0] for c in columns]
        self.csv(f"{stem}.csv", names, rows)
        self.json_list(f"{stem}.json", ({n: r.get(n) for n in names} for r in rows))


# --- reading, through the services ------------------------------------------------------


def _profile(principal: Principal, patient_id: uuid.UUID) -> Row:
    from pgd.accounts import second_factor
    from pgd.accounts import services as accounts

    user = accounts.user_by_id(patient_id)
    if user is None:
        raise NotFound()
    profile = accounts.profile_of(patient_id)
    return {
        "name": profile.name,
        "birth_date": profile.birth_date,
        "email": user.email,
        "language": user.locale,
        "account_created_utc": _iso(user.created_at),
        "login_code_on": second_factor.is_enrolled(patient_id),
    }


def _settings(principal: Principal, patient_id: uuid.UUID) -> tuple[Row, list[Row]]:
    from pgd.measurements import settings, targets

    own = settings.get(principal, patient_id)
    row: Row = {
        "height_cm": own.height_cm,
        "own_bp_target_systolic": own.bp_target_systolic,
        "own_bp_target_diastolic": own.bp_target_diastolic,
        "glucose_unit": own.glucose_unit,
    }
    agreed: list[Row] = [
        {
            "systolic": e.systolic,
            "diastolic": e.diastolic,
            "agreed_with": e.agreement.name,
            "profession": e.agreement.profession,
            "day": e.agreement.day,
            "note": e.agreement.note,
            "changed_by_you": e.agreement.by_patient,
            "recorded_utc": _iso(e.at),
        }
        for e in targets.agreed_history(principal, patient_id)
    ]
    return row, agreed


def _measurements(principal: Principal, patient_id: uuid.UUID) -> Iterator[Row]:
    """Every reading, oldest first, streamed from the service (decrypted one by one)."""
    from pgd.measurements import services
    from pgd.measurements.validation import LOCAL
    from pgd.measurements.values import BloodPressure, Glucose, Weight

    for r in services.all_readings(principal, patient_id):
        local = r.taken_at.astimezone(LOCAL)
        row: dict[str, Any] = {
            "id": str(r.id),
            "type": r.kind.value,
            "taken_at_utc": _iso(r.taken_at),
            "date": local.strftime("%Y-%m-%d"),
            "time": local.strftime("%H:%M:%S" if local.second else "%H:%M"),
            "note": r.note,
            "source": r.source,
        }
        value = r.value
        if isinstance(value, BloodPressure):
            row.update(
                systolic=value.systolic, diastolic=value.diastolic, pulse=value.pulse, arm=value.arm
            )
        elif isinstance(value, Weight):
            row["weight_kg"] = value.kg
        elif isinstance(value, Glucose):
            row.update(glucose_mmol=value.mmol, moment=value.moment)
        yield row


def _goals(principal: Principal, patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every goal (current, finished, proposed and declined) with steps, history and
    check-ins."""
    from pgd.goals import proposals
    from pgd.goals import services as goals

    current, history = goals.goals_page(principal, patient_id)
    found: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for g in [*current, *history]:
        seen.add(g.id)
        data = g.data
        checkins = goals.checkins(principal, patient_id, g.id) if g.kind == "activity" else {}
        found.append(
            {
                "id": str(g.id),
                "kind": g.kind,
                "text": g.text,
                "why": g.why,
                "state": g.state,
                "start": data.start,
                "until": data.until,
                "metric": data.metric,
                "direction": data.direction,
                "target": data.target,
                "mode": data.mode.value,
                "per_week": data.per_week,
                "unit": data.unit,
                "proposed_by": data.proposed_by,
                "steps": [{"text": a.text, "done": a.done} for a in data.actions],
                "history": [{"at_utc": _iso(e.at), "event": e.event} for e in data.history],
                "checkins": [{"date": d, "count": n} for d, n in sorted(checkins.items())],
            }
        )
    for p in proposals.proposals(principal, patient_id):
        if p.id in seen:
            continue
        found.append(
            {
                "id": str(p.id),
                "kind": "activity",
                "text": p.text,
                "why": p.why,
                "state": p.state,
                "per_week": p.per_week,
                "proposed_by": p.proposed_by,
                "steps": [],
                "history": [{"at_utc": _iso(p.proposed_at), "event": "proposed"}],
                "checkins": [],
            }
        )
    return found


def _questions(principal: Principal, patient_id: uuid.UUID) -> list[Row]:
    from pgd.accounts.labels import signed
    from pgd.goals import questions

    return [
        {
            "id": str(q.id),
            "text": q.text,
            "written_utc": _iso(q.created),
            "discussed": q.discussed,
            "discussed_utc": _iso(q.discussed_at),
            "discussed_with": signed(q.discussed_with) if q.discussed_with else None,
        }
        for q in questions.consult_questions(principal, patient_id, include_discussed=True)
    ]


def _proposals(principal: Principal, patient_id: uuid.UUID) -> list[Row]:
    from pgd.goals import proposals

    return [
        {
            "id": str(p.id),
            "text": p.text,
            "why": p.why,
            "per_week": p.per_week,
            "proposed_by": p.proposed_by,
            "proposed_utc": _iso(p.proposed_at),
            "state": p.state,
            "answered_utc": _iso(p.answered_at),
        }
        for p in proposals.proposals(principal, patient_id)
    ]


def _shares(principal: Principal) -> tuple[list[Row], list[Row]]:
    """The patient's grants (no clinician ids: the name, profession and practice they saw
    when sharing) and every change they made to them."""
    from pgd.accounts.labels import profession_label
    from pgd.sharing import services as sharing

    shares: list[Row] = []
    changes: list[Row] = []
    for g in sharing.grants_of(principal):
        shares.append(
            {
                "id": str(g.id),
                "care_provider": g.clinician.name,
                "profession": profession_label(g.clinician.profession),
                "practice": g.clinician.practice,
                "categories": list(g.categories),
                "data_from_utc": _iso(g.data_from),
                "expires_utc": _iso(g.expires_at),
                "created_utc": _iso(g.created_at),
                "revoked_utc": _iso(g.revoked_at),
                "status": g.status,
            }
        )
        changes.extend(
            {
                "share_id": str(g.id),
                "changed_utc": _iso(c.at),
                "categories_before": list(c.before),
                "categories_after": list(c.after),
                "expires_before_utc": _iso(c.expires_before),
                "expires_after_utc": _iso(c.expires_after),
            }
            for c in g.changes
        )
    return shares, changes


def _weeks(principal: Principal, patient_id: uuid.UUID) -> list[Row]:
    from pgd.measurements import week

    return [
        {
            "start_day": w.start_day.isoformat() if w.start_day else None,
            "end_day": w.end_day.isoformat() if w.end_day else None,
            "requested_by": w.requester or None,
            "requested_utc": _iso(w.requested_at),
            "started_utc": _iso(w.started_at),
            "stopped_utc": _iso(stopped),
        }
        for w, stopped in week.history(principal, patient_id)
    ]


def _api_keys(patient_id: uuid.UUID) -> list[Row]:
    """The keys that work now: name, prefix and dates (never the key or its hash)."""
    from pgd.accounts import tokens

    return [
        {
            "name": k.name,
            "prefix": k.prefix,
            "created_utc": _iso(k.created_at),
            "last_used_utc": _iso(k.last_used_at),
        }
        for k in tokens.active(patient_id)
    ]


def _access_log(principal: Principal) -> list[Row]:
    """Who looked, as the who-looked page reads it (no internal ids or chain hashes)."""
    from pgd.accounts.labels import profession_label
    from pgd.sharing import services as sharing

    rows: list[Row] = []
    before: int | None = None
    while True:
        events, before = sharing.who_looked(principal, before)
        rows.extend(
            {
                "at_utc": _iso(e.occurred_at),
                "care_provider": e.actor_name,
                "profession": profession_label(e.actor_profession),
                "categories": list(e.categories),
                "action": e.action,
                "outcome": e.outcome,
            }
            for e in events
        )
        if before is None:
            return rows


# --- the archive ------------------------------------------------------------------------


def build(
    principal: Principal,
    patient_id: uuid.UUID,
    *,
    base_url: str,
) -> IO[bytes]:
    """The whole archive, rewound, in a SpooledTemporaryFile (the caller closes it).
    Only the patient themselves: anyone else gets NotFound (404)."""
    if principal.role != "patient" or principal.id != patient_id:
        raise NotFound()
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115 - handed back
    try:
        zf = _Archive(out)
        zf.zip.writestr("README.txt", readme.readme_text(datetime.now(UTC)).encode("utf-8"))
        profile = _profile(principal, patient_id)
        zf.table("profile", readme.PROFILE, [profile])
        settings, agreed = _settings(principal, patient_id)
        zf.table("settings", readme.SETTINGS, [settings])
        zf.table("agreed_targets", readme.AGREED_TARGETS, agreed)
        # One pass over the readings (each decrypted once): the CSV straight into the
        # archive, the JSON into a spooled file that follows it.
        columns = [c[0] for c in readme.MEASUREMENTS]
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX) as as_json:
            zf.csv("measurements.csv", columns, _measurements(principal, patient_id), as_json)
            zf.copy("measurements.json", as_json)
        goals = _goals(principal, patient_id)
        zf.csv("goals.csv", [c[0] for c in readme.GOALS], goals)
        zf.json("goals.json", goals)
        zf.csv(
            "goal_steps.csv",
            [c[0] for c in readme.GOAL_STEPS],
            ({"goal_id": g["id"], **s} for g in goals for s in g["steps"]),
        )
        zf.csv(
            "goal_history.csv",
            [c[0] for c in readme.GOAL_HISTORY],
            ({"goal_id": g["id"], **h} for g in goals for h in g["history"]),
        )
        zf.csv(
            "goal_checkins.csv",
            [c[0] for c in readme.GOAL_CHECKINS],
            ({"goal_id": g["id"], **c} for g in goals for c in g["checkins"]),
        )
        zf.table("questions", readme.QUESTIONS, _questions(principal, patient_id))
        zf.table("proposals", readme.PROPOSALS, _proposals(principal, patient_id))
        shares, changes = _shares(principal)
        zf.table("shares", readme.SHARES, shares)
        zf.table("share_changes", readme.SHARE_CHANGES, changes)
        zf.table("measuring_weeks", readme.MEASURING_WEEKS, _weeks(principal, patient_id))
        zf.table("api_keys", readme.API_KEYS, _api_keys(patient_id))
        zf.table("access_log", readme.ACCESS_LOG, _access_log(principal))
        zf.chunks(
            "fhir/everything.json",
            bundles.everything_chunks(principal, patient_id, base_url=base_url),
        )
        zf.zip.close()
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
