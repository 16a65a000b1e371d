"""The logged-in patient as (principal, patient id): what every patient service takes."""

from __future__ import annotations

import uuid

from flask_login import current_user

from pgd.accounts.models import User


def me() -> tuple[User, uuid.UUID]:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user, user.id
