"""One-time share codes: 8 characters a person can read aloud and type without doubt.

Pure helpers (no Flask, no database). No look-alikes: 0/O, 1/I/L are left out, so
what the patient reads off the clinician's screen is what they type.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from pgd import crypto

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
VALID_FOR = timedelta(minutes=15)
_IGNORED = " -.\t"


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """What the patient typed → the code: case, spaces and dashes do not matter."""
    cleaned = "".join(ch for ch in (text or "") if ch not in _IGNORED)
    return cleaned.upper()


def problem(code: str) -> str | None:
    """None when the shape is right; else "length" or "characters" (for a clear message)."""
    if len(code) != LENGTH:
        return "length"
    if any(ch not in ALPHABET for ch in code):
        return "characters"
    return None


def display(code: str) -> str:
    """ABCD-EFGH: two groups of four are easier to read aloud and to type."""
    return f"{code[:4]}-{code[4:]}"


def digest(code: str) -> str:
    """The keyed digest a share code is stored and looked up by (never the code itself)."""
    return crypto.token_digest("share-code:" + normalise(code))
