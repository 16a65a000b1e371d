"""Password rules and hashing (argon2id), with messages a patient can act on."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    text = resources.files("pgd.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def is_common(password: str) -> bool:
    """True for listed passwords, also with digits or symbols tacked on ("Welkom2024!")."""
    common = _common()
    lowered = password.lower()
    if lowered in common:
        return True
    core = re.sub(r"[\d\W_]+$", "", lowered)
    core = re.sub(r"^[\d\W_]+", "", core)
    if core in common or _fold(core) in common:
        return True
    return len(set(lowered)) <= 2  # "aaaaaaaaaa", "ababababab"


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with a new password, in words a patient can act on (empty: fine)."""
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(
            str(
                _l(
                    "Use at least %(n)d characters. A short sentence is easy to remember.",
                    n=MIN_LENGTH,
                )
            )
        )
    elif len(password) > MAX_LENGTH:
        found.append(str(_l("Use at most %(n)d characters.", n=MAX_LENGTH)))
    elif is_common(password):
        found.append(str(_l("This password is too common and easy to guess. Choose another one.")))
    else:
        local = email.split("@")[0].lower()
        folded = _fold(password)
        if (len(local) >= 4 and local in password.lower()) or (
            name and len(_fold(name)) >= 4 and _fold(name) in folded
        ):
            found.append(str(_l("Do not use your name or e-mail address in your password.")))
    return found


def hasher() -> PasswordHasher:
    app = current_app
    existing = app.extensions.get("pgd.hasher")
    if existing is None:
        existing = PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        app.extensions["pgd.hasher"] = existing
        # Verified for unknown e-mail addresses, so they cost as much as a wrong password.
        app.extensions["pgd.dummy_hash"] = existing.hash("pgd-no-such-user")
    return existing  # type: ignore[no-any-return]


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    h = hasher()
    target = password_hash or current_app.extensions["pgd.dummy_hash"]
    try:
        ok = h.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)
