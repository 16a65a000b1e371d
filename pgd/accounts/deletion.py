"""A patient deletes the own account (issue 13): shares stop, data keys are destroyed
(crypto-shredding), every row of the patient goes, sessions and API keys end, all in
one transaction. The access log (who looked, when, which categories; no values) stays,
so its hash chain still verifies: access_events has no foreign key to users.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Table, delete, or_, select, update

from pgd import crypto, db, security_log
from pgd.accounts import second_factor as sf
from pgd.accounts import throttle
from pgd.accounts.models import Role, User
from pgd.db import Base
from pgd.sharing.models import Grant

# Kept on purpose: the NEN 7513 trail of who looked at this patient (clinicians' names,
# times, categories; no values, not the patient's name).
KEPT_TABLES = frozenset({"access_events", "access_log_heads"})
# Columns that name the person a row belongs to, also without a foreign key.
OWNER_COLUMNS = ("patient_id", "user_id", "owner_id")


class DeletionError(Exception):
    """Why the deletion was refused: "not_patient", "password" or "code" (then `checked`
    is the re-check's answer: missing, wrong or limited). Nothing was deleted."""

    def __init__(self, reason: str, checked: throttle.Recheck | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.checked = checked


@dataclass(frozen=True)
class Deleted:
    """What went: counts only (for the security log and tests)."""

    shares_stopped: int
    keys_destroyed: int
    rows_removed: int


def _owner_columns(table: Table) -> list[str]:
    """The columns of a table that point at the person: a foreign key to users.id that
    cascades, or a column named like an owner (a table without a foreign key, such as
    data_keys). Columns naming another person (grants.clinician_id,
    agreed_targets.author_id, measuring_weeks.requested_by) have no foreign key
    (pgd.distribution) and are not owners: a patient's rows go by the patient column."""
    found = []
    for column in table.columns:
        cascades = any(
            fk.column.table.name == "users" and (fk.ondelete or "").upper() == "CASCADE"
            for fk in column.foreign_keys
        )
        if cascades or column.name in OWNER_COLUMNS:
            found.append(column.name)
    return found


def _patient_tables() -> list[tuple[Table, list[str]]]:
    """Every table with rows of a person, children before parents; not users itself,
    not the data keys (pgd.crypto destroys those) and not the kept access log."""
    out = []
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in KEPT_TABLES or table.name in ("users", "data_keys"):
            continue
        columns = _owner_columns(table)
        if columns:
            out.append((table, columns))
    return out


def _check(user: User, password: str, code: str | None) -> None:
    """Password, then (if on) the second factor, each re-checked on its own limits
    (pgd.accounts.throttle); raises DeletionError, deletes nothing."""
    if user.role != Role.PATIENT:
        raise DeletionError("not_patient")
    checked = throttle.recheck_password(user, password, what="account_deletion")
    if not checked.ok:
        raise DeletionError("password", checked)
    if sf.is_enrolled(user.id):
        checked = throttle.recheck_code(user, code, what="account_deletion")
        if not checked.ok:
            raise DeletionError("code", checked)


def delete_patient(user: User, password: str, code: str | None = None) -> Deleted:
    """Delete a patient's account after the password (and the second factor, if on).

    One transaction: the patient's row lock first (no share can start meanwhile), every
    active share stopped, every data key destroyed, every row removed, the user last.
    Raises DeletionError when a check fails.
    """
    _check(user, password, code)
    user_id: uuid.UUID = user.id
    now = db.utcnow()
    rows = 0
    with db.transaction() as sess:
        sess.execute(
            update(User)
            .where(User.id == user_id)
            .values(session_version=User.session_version + 1)
            .execution_options(synchronize_session=False)
        )
        stopped = list(
            sess.execute(
                select(Grant.id, Grant.clinician_id).where(
                    Grant.patient_id == user_id,
                    Grant.revoked_at.is_(None),
                    Grant.expires_at > now,
                )
            )
        )
        sess.execute(
            update(Grant)
            .where(Grant.patient_id == user_id, Grant.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        keys = crypto.destroy_patient_keys(user_id)
        for table, columns in _patient_tables():
            result = sess.execute(
                delete(table).where(or_(*(table.c[name] == user_id for name in columns)))
            )
            rows += int(result.rowcount or 0)  # type: ignore[attr-defined]
        sess.execute(
            delete(User).where(User.id == user_id).execution_options(synchronize_session=False)
        )
        if user in sess:
            sess.expunge(user)
    from pgd.sharing import policy  # late: pgd.sharing imports pgd.accounts

    policy.forget_grants()
    for grant_id, clinician_id in stopped:
        security_log.event(
            security_log.Events.SHARE_STOPPED,
            user_id=user_id,
            role=Role.PATIENT,
            outcome="success",
            grant_id=grant_id,
            clinician_id=clinician_id,
            reason="account_deleted",
        )
    security_log.event(
        security_log.Events.ACCOUNT_DELETED,
        user_id=user_id,
        role=Role.PATIENT,
        outcome="success",
        shares_stopped=len(stopped),
        keys_destroyed=keys,
        rows_removed=rows,
    )
    return Deleted(len(stopped), keys, rows)
