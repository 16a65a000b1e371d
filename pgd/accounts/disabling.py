"""Switching an account off and on again (flask --app pgd disable-user / enable-user).

Switching off ends everything at once, in one transaction: the user cannot log in, every
login session ends (their next request is logged out), every API key is revoked, every
unused password link stops working; for a clinician, every unused share code is deleted
and every active share (grant) with them is stopped, so they lose access to each patient
from their next request and disappear from the patients' choices (the share-code and
e-mail lookups do not find a switched-off clinician).

Switching on again only lifts the block: the user logs in again (with the second factor
as before), but ended sessions, revoked keys and stopped shares stay ended. A patient
who wants to share with that clinician again shares anew; each patient saw the share as
"stopped". That is deliberate: an account switched off (someone left the practice, a
stolen laptop) must not wake up months later with access nobody chose again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pgd import db, security_log
from pgd.accounts import services
from pgd.accounts.models import PasswordReset, Role, User


class AlreadyDone(Exception):
    """The account is already switched off (or, for enable, already on)."""


@dataclass(frozen=True)
class Disabled:
    user: User
    sessions_ended: int
    api_keys_revoked: int
    share_codes_deleted: int
    grant_ids: list[uuid.UUID] = field(default_factory=list)


def _lock(sess: Session, user_id: uuid.UUID) -> None:
    """The user's row lock first (PostgreSQL; SQLite takes its write lock): a parallel
    login, key or share waits until the account is off and then finds it off."""
    sess.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version)
        .execution_options(synchronize_session=False)
    )


def disable(user: User) -> Disabled:
    from pgd.sharing.models import Grant, ShareCode  # late: sharing imports accounts

    now = db.utcnow()
    codes = 0
    grants: list[Any] = []
    with db.transaction() as sess:
        _lock(sess, user.id)
        sess.refresh(user)
        if user.disabled_at is not None:
            raise AlreadyDone(user.email)
        user.disabled_at = now
        # Every cookie stale, every login session ended, every API key revoked.
        ended = services.end_everything(user, reason="account_disabled")
        sess.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if user.role == Role.CLINICIAN:
            deleted = sess.execute(
                delete(ShareCode)
                .where(ShareCode.clinician_id == user.id, ShareCode.used_at.is_(None))
                .execution_options(synchronize_session=False)
            )
            codes = int(deleted.rowcount or 0)  # type: ignore[attr-defined]
            # Active and not yet expired: an expired share needs no stop.
            grants = list(
                sess.execute(
                    select(Grant.id, Grant.patient_id).where(
                        Grant.clinician_id == user.id,
                        Grant.revoked_at.is_(None),
                        Grant.expires_at > now,
                    )
                )
            )
            if grants:
                sess.execute(
                    update(Grant)
                    .where(Grant.id.in_([g.id for g in grants]), Grant.revoked_at.is_(None))
                    .values(revoked_at=now, stopped_by="disabled")  # the consent history
                    .execution_options(synchronize_session=False)
                )
    grant_ids = [grant.id for grant in grants]
    for grant in grants:
        security_log.event(
            security_log.Events.SHARE_STOPPED,
            user_id=grant.patient_id,
            role=Role.PATIENT.value,
            outcome="success",
            grant_id=grant.id,
            clinician_id=user.id,
            reason="clinician_disabled",
        )
    services.log_ended(user, ended)
    result = Disabled(user, ended.sessions_ended, len(ended.key_ids), codes, grant_ids)
    security_log.event(
        security_log.Events.ACCOUNT_DISABLED,
        user=user,
        outcome="success",
        sessions_ended=result.sessions_ended,
        api_keys_revoked=result.api_keys_revoked,
        share_codes_deleted=result.share_codes_deleted,
        grant_ids=grant_ids,
    )
    return result


def enable(user: User) -> None:
    """Lift the block: logging in works again; nothing that ended comes back."""
    with db.transaction() as sess:
        _lock(sess, user.id)
        sess.refresh(user)
        if user.disabled_at is None:
            raise AlreadyDone(user.email)
        user.disabled_at = None
    security_log.event(security_log.Events.ACCOUNT_ENABLED, user=user, outcome="success")
