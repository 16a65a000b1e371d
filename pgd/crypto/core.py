"""Envelope encryption primitives: master key ring, data-key wrapping, sealed records.

Pure code (no Flask, no database) so that it can be tested and benchmarked alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Sealed record layout: version (1 byte) + nonce (12) + AES-GCM ciphertext + tag (16).
# Version 1 (before issue 13) sealed the plaintext as it was, so a blob's length gave away
# the length of what it held (weight of 100 kg or more, a glucose moment, a note's length).
# Version 2 seals a framed plaintext: a 4-byte big-endian length, the plaintext, then zero
# bytes up to a bucket size (padded_size). The version byte is part of the associated data,
# so a blob relabelled from one version to the other fails at the tag. Every seal writes
# version 2; open accepts both, so rows written before stay readable without a migration
# (each is re-sealed padded the next time it is saved).
RECORD_VERSION_1 = b"\x01"
RECORD_VERSION = b"\x02"
NONCE_BYTES = 12
KEY_BYTES = 32
_SEP = b"\x1f"
_KEY_CHECK_PLAINTEXT = b"pgd master key check v1"
_LENGTH = struct.Struct(">I")
_MIN_BLOB = 1 + NONCE_BYTES + 16

# Bucket sizes of the framed plaintext (4-byte length + plaintext + zeros):
# - PAD_MIN = 16 bytes for the smallest records. A reading is stored in a fixed-size
#   binary form per kind (pgd.measurements.values.encode: blood pressure 8 bytes, weight
#   9, glucose 10, whatever the values or the moment), so every reading without a note,
#   of every kind, seals to one length: 1 + 12 + 16 + 16 = 45 bytes (storage per reading
#   matters, issue 14: the 128-byte minimum first chosen made it 157).
# - Texts (seal_text: names, dates, secrets) start at TEXT_MIN = 64 bytes, so a name's
#   length shows only above 60 bytes.
# - Above that, the next power of two up to 4096: a note (500 characters at most) or a
#   goal text gives away only which of a few buckets it falls in, at under 2x the size.
# - Above 4096 (pending CSV imports, long goals), Padmé (Nikitin et al., "Reducing
#   metadata leakage from encrypted files and communication with PURBs", PoPETs 2019):
#   rounded up so that only about log2(log2(n)) bits of the length remain, with at most
#   12 % overhead, where doubling a 1 MB import would cost 1 MB.
PAD_MIN = 16
TEXT_MIN = 64
PAD_POW2_MAX = 4096
# The length prefix and the zeros of the smallest bucket, by plaintext length: two list
# lookups instead of a struct.pack and a slice on the path that seals every reading.
_SMALL_HEAD = [_LENGTH.pack(n) for n in range(PAD_MIN - 3)]
_SMALL_PAD = [bytes(PAD_MIN - 4 - n) for n in range(PAD_MIN - 3)]


def padded_size(framed: int) -> int:
    """The bucket size for a framed plaintext of `framed` bytes (length prefix included)."""
    if framed <= PAD_MIN:
        return PAD_MIN
    if framed <= PAD_POW2_MAX:
        return 1 << (framed - 1).bit_length()
    exponent = framed.bit_length() - 1  # floor(log2 framed)
    mask = (1 << (exponent - exponent.bit_length())) - 1
    return (framed + mask) & ~mask


class CryptoError(Exception):
    """Base class for every failure a caller of pgd.crypto should handle."""


class DecryptionError(CryptoError):
    """A ciphertext could not be opened: wrong key, tampering, or moved to another row."""


class MasterKeyError(CryptoError):
    """The master key ring is missing, malformed, wrong, or does not match the data."""


def warn_if_readable_by_others(path: Path) -> None:
    """Log a warning when the key file's mode lets the group or others read or write it
    (PGD creates it 0600; a copy or restore can widen it). The key is still used."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        logging.getLogger("pgd.crypto").warning(
            "The master key file %s is readable by others (mode %04o): anyone who can read "
            "it and a copy of the database can read all health data. Run: chmod 600 %s",
            path,
            mode,
            path,
        )


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: without this a power cut can undo it."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_key_id() -> str:
    return "k" + secrets.token_hex(4)


@dataclass
class KeyRing:
    """Master keys (KEKs) by id; `current` wraps new data keys, all of them unwrap."""

    keys: dict[str, bytes]
    current: str
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise MasterKeyError("The master key ring is empty.")
        if self.current not in self.keys:
            raise MasterKeyError(f"The current master key {self.current!r} is not in the ring.")
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise MasterKeyError(f"Master key {key_id!r} is not {KEY_BYTES} bytes long.")
        self._aead = {key_id: AESGCM(key) for key_id, key in self.keys.items()}

    @classmethod
    def generate(cls) -> KeyRing:
        key_id = _new_key_id()
        return cls({key_id: AESGCM.generate_key(bit_length=256)}, key_id)

    def with_new_key(self) -> KeyRing:
        """A ring with one more key, which becomes current (rotation step one)."""
        key_id = _new_key_id()
        while key_id in self.keys:
            key_id = _new_key_id()
        keys = dict(self.keys)
        keys[key_id] = AESGCM.generate_key(bit_length=256)
        return KeyRing(keys, key_id)

    def without(self, key_id: str) -> KeyRing:
        if key_id == self.current:
            raise MasterKeyError("The current master key cannot be removed.")
        keys = {k: v for k, v in self.keys.items() if k != key_id}
        return KeyRing(keys, self.current)

    # -- serialisation ---------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "pgd-master-keys-v1",
                "current": self.current,
                "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, source: str = "master key file") -> KeyRing:
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            current = str(data["current"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MasterKeyError(f"The {source} is not a valid PGD master key ring: {exc}") from exc
        return cls(keys, current)

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise MasterKeyError(f"The master key file {path} does not exist.") from None
        warn_if_readable_by_others(path)
        return cls.from_json(text, source=f"master key file {path}")

    def save(self, path: Path) -> None:
        """Write atomically with mode 0600: a crash leaves the old or the new ring, never half."""
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)
        _fsync_dir(path.parent)

    @staticmethod
    def create_file(path: Path) -> KeyRing:
        """Create a new ring file; refuses to overwrite one that exists."""
        ring = KeyRing.generate()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(ring.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(path.parent)
        return ring

    # -- data keys -------------------------------------------------------------------
    @staticmethod
    def _dek_ad(owner_id: UUID, category: str) -> bytes:
        return b"pgd.dek.v1" + _SEP + owner_id.bytes + _SEP + category.encode()

    def wrap(self, dek: bytes, owner_id: UUID, category: str) -> tuple[str, bytes]:
        """Wrap a data key under the current master key; returns (kek id, wrapped bytes)."""
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + self._aead[self.current].encrypt(
            nonce, dek, self._dek_ad(owner_id, category)
        )
        return self.current, wrapped

    def unwrap(self, kek_id: str, wrapped: bytes, owner_id: UUID, category: str) -> bytes:
        aead = self._aead.get(kek_id)
        if aead is None:
            raise MasterKeyError(
                f"A data key is wrapped by master key {kek_id!r}, which is not in the ring."
            )
        try:
            return aead.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], self._dek_ad(owner_id, category)
            )
        except InvalidTag:
            raise MasterKeyError(
                f"Master key {kek_id!r} does not open a data key: the key is wrong or the "
                "wrapped key was altered."
            ) from None

    def make_check(self, kek_id: str) -> bytes:
        """A known-plaintext token that proves, at start-up, that a key is the right one."""
        nonce = os.urandom(NONCE_BYTES)
        ad = b"pgd.kek-check" + _SEP + kek_id.encode()
        return nonce + self._aead[kek_id].encrypt(nonce, _KEY_CHECK_PLAINTEXT, ad)

    def verify_check(self, kek_id: str, token: bytes) -> bool:
        aead = self._aead.get(kek_id)
        if aead is None:
            return False
        ad = b"pgd.kek-check" + _SEP + kek_id.encode()
        try:
            return aead.decrypt(token[:NONCE_BYTES], token[NONCE_BYTES:], ad) == (
                _KEY_CHECK_PLAINTEXT
            )
        except InvalidTag:
            return False


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


class RecordCipher:
    """Seals and opens records of one (owner, category) with its data key.

    Associated data binds every ciphertext to its table, row id, owner and category,
    so a ciphertext copied to another row, table, patient or category fails to open.
    Create one per data key per request and reuse it: AESGCM objects cost more to
    create than a 100-byte encryption.
    """

    __slots__ = ("_aead", "_dek", "_fp_key", "_suffix", "owner_id", "category", "_may_seal")

    def __init__(
        self,
        dek: bytes,
        owner_id: UUID,
        category: str,
        may_seal: Callable[[str], None] | None = None,
    ) -> None:
        """may_seal(table) raises unless this request may write into that table with this
        key (pgd.crypto: another owner's key opens for reading, seals only where the
        sharing policy allowed that one write)."""
        self._aead = AESGCM(dek)
        self._may_seal = may_seal
        # A separate key for fingerprints, so a fingerprint reveals nothing about the data
        # key; made when first needed (a list that opens 6,000 keys never fingerprints).
        self._dek = dek
        self._fp_key: bytes | None = None
        self.owner_id = owner_id
        self.category = category
        self._suffix = _SEP + owner_id.bytes + _SEP + category.encode()

    def _ad(self, table: str, row_id: UUID) -> bytes:
        return table.encode() + _SEP + row_id.bytes + self._suffix

    def seal(self, table: str, row_id: UUID, plaintext: bytes, *, at_least: int = PAD_MIN) -> bytes:
        """Seal as version 2: length-prefixed and padded to its bucket (padded_size), at
        least `at_least` bytes framed."""
        if self._may_seal is not None:
            self._may_seal(table)
        size = len(plaintext)
        if size <= PAD_MIN - 4 and at_least <= PAD_MIN:  # every reading: the smallest bucket
            framed = _SMALL_HEAD[size] + plaintext + _SMALL_PAD[size]
        else:
            bucket = padded_size(max(size + 4, at_least))
            framed = b"".join((_LENGTH.pack(size), plaintext, bytes(bucket - 4 - size)))
        nonce = os.urandom(NONCE_BYTES)
        ad = RECORD_VERSION + table.encode() + _SEP + row_id.bytes + self._suffix
        return RECORD_VERSION + nonce + self._aead.encrypt(nonce, framed, ad)

    def seal_many(self, table: str, rows: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
        """Seal many records of one table in a tight loop (bulk imports): the same
        version 2 records as seal(), byte for byte apart from the random nonces.

        Row ids come as their 16 raw bytes (as for open_many); the nonces are drawn from
        os.urandom in one call, as random as one call a record."""
        if self._may_seal is not None:
            self._may_seal(table)
        rows = rows if isinstance(rows, list) else list(rows)
        nonces = os.urandom(NONCE_BYTES * len(rows))
        encrypt = self._aead.encrypt
        prefix = RECORD_VERSION + table.encode() + _SEP
        suffix = self._suffix
        heads, pads = _SMALL_HEAD, _SMALL_PAD
        small = PAD_MIN - 4
        out: list[bytes] = []
        append = out.append
        at = 0
        for row_id, plaintext in rows:
            size = len(plaintext)
            if size <= small:
                framed = heads[size] + plaintext + pads[size]
            else:
                bucket = padded_size(size + 4)
                framed = b"".join((_LENGTH.pack(size), plaintext, bytes(bucket - 4 - size)))
            nonce = nonces[at : at + NONCE_BYTES]
            at += NONCE_BYTES
            append(RECORD_VERSION + nonce + encrypt(nonce, framed, prefix + row_id + suffix))
        return out

    def open(self, table: str, row_id: UUID, blob: bytes) -> bytes:
        """Open a version 2 record, or a version 1 record sealed before padding existed."""
        version = blob[:1]
        if len(blob) >= _MIN_BLOB:
            if version == RECORD_VERSION:
                ad = RECORD_VERSION + table.encode() + _SEP + row_id.bytes + self._suffix
                try:
                    framed = self._aead.decrypt(blob[1:13], blob[13:], ad)
                except InvalidTag:
                    raise self._refused(table, row_id) from None
                # Authenticated, so a changed length or padding failed at the tag above;
                # this check only keeps a sealing bug from turning into a wrong value.
                if len(framed) >= 4:
                    size = _LENGTH.unpack_from(framed)[0]
                    if size <= len(framed) - 4:
                        return framed[4 : 4 + size]
                raise DecryptionError(f"Record {table}/{row_id} has a malformed length.")
            if version == RECORD_VERSION_1:
                try:
                    return self._aead.decrypt(blob[1:13], blob[13:], self._ad(table, row_id))
                except InvalidTag:
                    raise self._refused(table, row_id) from None
        raise DecryptionError("Unknown or truncated record format.")

    def _refused(self, table: str, row_id: UUID) -> DecryptionError:
        return DecryptionError(
            f"Record {table}/{row_id} does not open with the {self.category} key of its owner."
        )

    def fingerprint(self, data: bytes) -> str:
        """A keyed hash for finding duplicates without revealing the value (hex, 64 chars)."""
        if self._fp_key is None:
            self._fp_key = hmac.new(self._dek, b"pgd.fingerprint.v1", hashlib.sha256).digest()
        return hmac.digest(self._fp_key, data, "sha256").hex()  # one C call (OpenSSL)

    def seal_text(self, table: str, row_id: UUID, text: str) -> bytes:
        """Seal a text (a name, a date, a secret): at least TEXT_MIN bytes framed."""
        return self.seal(table, row_id, text.encode("utf-8"), at_least=TEXT_MIN)

    def open_text(self, table: str, row_id: UUID, blob: bytes) -> str:
        return self.open(table, row_id, blob).decode("utf-8")

    def open_many(self, table: str, rows: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
        """Open many records of one table in a tight loop (bulk reads for charts).

        Row ids come as their 16 raw bytes: converting 15k ids to UUID objects first
        would cost more than the decryption itself.
        """
        decrypt = self._aead.decrypt
        prefix = table.encode() + _SEP
        prefix2 = RECORD_VERSION + prefix  # version 2 binds its version byte
        suffix = self._suffix
        length = _LENGTH.unpack_from
        out: list[bytes] = []
        append = out.append
        try:
            for row_id, blob in rows:
                version = blob[0]
                if version == 2:
                    framed = decrypt(blob[1:13], blob[13:], prefix2 + row_id + suffix)
                    size = length(framed)[0]
                    if size > len(framed) - 4:
                        raise DecryptionError(f"A record in {table} has a malformed length.")
                    append(framed[4 : 4 + size])
                elif version == 1:
                    append(decrypt(blob[1:13], blob[13:], prefix + row_id + suffix))
                else:
                    raise DecryptionError(f"A record in {table} has an unknown format.")
        except (InvalidTag, IndexError, ValueError, struct.error):
            # ValueError: a nonce cut short; IndexError: an empty blob.
            raise DecryptionError(f"A record in {table} does not open with its key.") from None
        return out


def token_digest(secret: bytes, token: str) -> str:
    """Keyed hash of an API token: a lookup by index, never a slow password hash."""
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()
