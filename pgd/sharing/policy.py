"""The one function that decides every access to patient data.

A principal may act on its own data. Clinician access through grants arrives with the
sharing issue; until then any other principal is denied, and denial is always 404 so
an outsider learns nothing, not even that a record exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from werkzeug.exceptions import NotFound


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class Principal(Protocol):
    """Whoever acts: a logged-in user or an API token's owner."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def role(self) -> str: ...


def allowed(
    principal: Principal | None,
    patient_id: uuid.UUID,
    category: str,
    action: Action,
    at: datetime | None = None,
) -> bool:
    """May this principal do this action on this category of this patient, now?"""
    if principal is None or getattr(principal, "id", None) is None:
        return False
    return principal.role == "patient" and principal.id == patient_id


def require(
    principal: Principal | None, patient_id: uuid.UUID, category: str, action: Action
) -> None:
    """Raise 404 unless allowed()."""
    if not allowed(principal, patient_id, category, action):
        raise NotFound()
