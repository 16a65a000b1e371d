"""Time-based one-time passwords (RFC 6238 on RFC 4226): what every authenticator app uses.

Pure code: SHA-1, 6 digits, 30-second steps, the defaults that Google Authenticator,
Microsoft Authenticator, FreeOTP and password managers all read from a QR code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30
SECRET_BYTES = 20  # 160 bits, the size RFC 4226 recommends for HMAC-SHA-1


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def to_base32(secret: bytes) -> str:
    """The secret as authenticator apps want it typed: base32, no padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    cleaned = "".join(text.split()).replace("-", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def grouped(text: str, size: int = 4) -> str:
    """'JBSWY3DPEHPK3PXP' → 'JBSW Y3DP EHPK 3PXP': easier to read aloud and to type."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def step_at(moment: float | None = None) -> int:
    return int((time.time() if moment is None else moment) // PERIOD)


def code_at_step(secret: bytes, step: int) -> str:
    """HOTP (RFC 4226 section 5.3) for one time step."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def matching_step(
    secret: bytes,
    code: str,
    *,
    moment: float | None = None,
    tolerance: int = 1,
    after_step: int | None = None,
) -> int | None:
    """The time step whose code this is, within ±tolerance steps of now; None if none.

    Steps at or before `after_step` (the last code this person used) never match:
    each code works once, also within its own 30 seconds.
    """
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    now = step_at(moment)
    found = None
    for step in range(now - tolerance, now + tolerance + 1):
        # Compare every candidate (constant work), remember the first unused hit.
        fresh = after_step is None or step > after_step
        if hmac.compare_digest(code_at_step(secret, step), code) and fresh and found is None:
            found = step
    return found


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The otpauth:// address a QR code carries (Key Uri Format of Google Authenticator)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": to_base32(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
