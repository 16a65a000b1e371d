"""File import (check → preview → confirm) and CSV export of own measurements.

An upload is a CSV file (pgd.measurements.csv_io) or a FHIR Bundle in JSON
(pgd.fhir.importer); both become the same list of validated readings, and from there on
the flow is one. An upload is parsed and validated in full first. Only a file without a single invalid
row is kept, sealed under the patient's "imports" key, for at most an hour, until the
patient confirms it; confirming saves every row in one transaction (all or nothing) and
skips readings that are already in the record, so importing a file twice adds nothing.
"""

from __future__ import annotations

import uuid
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import delete, select

from pgd import crypto, db
from pgd.measurements import csv_io, services
from pgd.measurements import values as v
from pgd.measurements.import_models import PendingImport
from pgd.measurements.models import Kind, Source
from pgd.sharing.policy import Action, Principal, require

TABLE = "pending_imports"
MAX_BYTES = 10 * 1024 * 1024
KEEP_FOR = timedelta(hours=1)
NotFound = services.NotFound


class Expired(LookupError):
    """The preview is older than KEEP_FOR: the patient uploads the file again."""


@dataclass(frozen=True)
class Preview:
    parsed: csv_io.Parsed
    pending_id: uuid.UUID | None  # set only when the file can be imported
    counts: dict[Kind, int]
    first: datetime | None
    last: datetime | None
    expires_at: datetime | None
    # What confirming will skip: readings already in the record, repeats within the file.
    duplicates: services.Duplicates = services.Duplicates(0, 0)

    @property
    def fhir(self) -> bool:
        """The upload was a FHIR Bundle: its problems name entries and resources, not rows."""
        return hasattr(self.parsed, "skipped")

    @property
    def new(self) -> int:
        """How many readings confirming will add."""
        return len(self.parsed.items) - self.duplicates.total


_CLASS_OF = {kind: cls for cls, kind in v.KIND_OF.items()}


def _pack(items: Sequence[csv_io.Item]) -> bytes:
    """[kind, epoch seconds, note, *value fields] per row, compressed (100k rows ≈ 1 MB)."""
    rows = [
        [v.KIND_OF[type(value)].value, when.timestamp(), note, *vars(value).values()]
        for value, when, note in items
    ]
    return zlib.compress(orjson.dumps(rows), 1)


def _unpack(blob: bytes) -> list[csv_io.Item]:
    return [
        (_CLASS_OF[kind](*fields), datetime.fromtimestamp(epoch, UTC), note)
        for kind, epoch, note, *fields in orjson.loads(zlib.decompress(blob))
    ]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite returns naive UTC


def parse(data: bytes, now: datetime, filename: str = "") -> csv_io.Parsed:
    """A FHIR Bundle (a .json name, or content that starts like JSON) or a CSV file."""
    # Imported here: pgd.fhir's package registers its views, which use this package.
    from pgd.fhir import importer

    if importer.looks_like_json(data, filename):
        return importer.parse(data, now)
    return csv_io.parse(data, now)


def check(
    principal: Principal,
    patient_id: uuid.UUID,
    data: bytes,
    now: datetime | None = None,
    filename: str = "",
) -> Preview:
    """Parse and validate a whole file; keep it for confirmation only if every row is valid."""
    require(principal, patient_id, crypto.Category.IMPORTS, Action.WRITE)
    now = now or db.utcnow()
    parsed = parse(data, now, filename)
    counts = Counter(v.KIND_OF[type(value)] for value, _, _ in parsed.items)
    times = [when for _, when, _ in parsed.items]
    first, last = (min(times), max(times)) if times else (None, None)
    if not parsed.ok:
        return Preview(parsed, None, dict(counts), first, last, None)
    for kind in counts:
        require(principal, patient_id, kind, Action.WRITE)
    duplicates = services.duplicates(principal, patient_id, parsed.items)
    with db.transaction() as sess:
        sess.execute(delete(PendingImport).where(PendingImport.created_at < now - KEEP_FOR))
        row_id = db.new_id()
        cipher = crypto.cipher_for(patient_id, crypto.Category.IMPORTS, create=True)
        sess.add(
            PendingImport(
                id=row_id,
                patient_id=patient_id,
                created_at=now,
                payload_sealed=cipher.seal(TABLE, row_id, _pack(parsed.items)),
            )
        )
    return Preview(parsed, row_id, dict(counts), first, last, now + KEEP_FOR, duplicates)


def confirm(
    principal: Principal,
    patient_id: uuid.UUID,
    pending_id: uuid.UUID,
    now: datetime | None = None,
) -> services.AddManyResult:
    """Save a checked file: every row or none; a preview is used once."""
    require(principal, patient_id, crypto.Category.IMPORTS, Action.WRITE)
    now = now or db.utcnow()
    mine = (PendingImport.id == pending_id, PendingImport.patient_id == patient_id)
    sess = db.session()
    row = sess.execute(
        select(PendingImport.created_at, PendingImport.payload_sealed).where(*mine)
    ).first()
    if row is None:
        raise NotFound(pending_id)
    if _aware(row.created_at) + KEEP_FOR < now:
        with db.transaction():
            sess.execute(delete(PendingImport).where(*mine))
        raise Expired(pending_id)
    cipher = crypto.cipher_for(patient_id, crypto.Category.IMPORTS)
    items = _unpack(cipher.open(TABLE, pending_id, row.payload_sealed))
    with db.transaction():
        # Claim the preview first: a second click (or tab) finds it gone and saves nothing.
        claimed = sess.execute(delete(PendingImport).where(*mine)).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise NotFound(pending_id)
        # Same session, so the claim and the new rows commit (or roll back) together.
        return services.add_many(principal, patient_id, items, Source.CSV)


def cancel(principal: Principal, patient_id: uuid.UUID, pending_id: uuid.UUID) -> None:
    """Throw a checked file away; nothing of it was saved."""
    require(principal, patient_id, crypto.Category.IMPORTS, Action.WRITE)
    with db.transaction() as sess:
        sess.execute(
            delete(PendingImport).where(
                PendingImport.id == pending_id, PendingImport.patient_id == patient_id
            )
        )


def export(principal: Principal, patient_id: uuid.UUID) -> bytes:
    """All own measurements in the import format (csv_io documents it)."""
    return csv_io.export(services.all_readings(principal, patient_id))
