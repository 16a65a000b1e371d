"""Pure helpers for the second factor: recovery codes, what people type, the QR image."""

from __future__ import annotations

import io
import secrets

import segno

RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: nothing to mix up
RECOVERY_LENGTH = 10


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_recovery_code(text: str) -> str:
    """Forgive case, spaces and dashes: 'ABCDE FGHJK' and 'abcde-fghjk' are the same."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def normalise_code(text: str) -> str:
    """Forgive spaces and dashes in a 6-digit app code ('123 456')."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def qr_svg(uri: str, title: str) -> bytes:
    """The otpauth address as an SVG QR code, made here: no outside service sees it."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=6, border=4, xmldecl=False, title=title, dark="#000", light="#fff"
    )
    return out.getvalue()
