"""RFC 6238 codes and the pure second-factor helpers, without the app."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from pgd.accounts import second_factor_codes as sf
from pgd.crypto import totp
from tests.conftest import rfc6238_code

RFC_SECRET = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1


@pytest.mark.parametrize(
    ("moment", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_test_vectors(moment: int, eight_digits: str) -> None:
    # Six digits are the last six of the RFC's eight (the same truncated number mod 10^6).
    assert totp.code_at_step(RFC_SECRET, totp.step_at(moment)) == eight_digits[-6:]
    assert rfc6238_code(totp.to_base32(RFC_SECRET), moment) == eight_digits[-6:]


def test_base32_round_trip_forgives_spaces_case_and_dashes() -> None:
    secret = totp.new_secret()
    assert len(secret) == 20
    text = totp.to_base32(secret)
    assert len(text) == 32
    assert "=" not in text
    assert totp.from_base32(totp.grouped(text).lower()) == secret
    assert totp.from_base32("-".join(totp.grouped(text).split())) == secret
    assert totp.grouped("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"


def test_matching_step_allows_one_step_either_side_only() -> None:
    moment = 1_700_000_000.0
    now = totp.step_at(moment)
    for offset in (-1, 0, 1):
        code = totp.code_at_step(RFC_SECRET, now + offset)
        assert totp.matching_step(RFC_SECRET, code, moment=moment) == now + offset
    for offset in (-3, -2, 2, 3):
        code = totp.code_at_step(RFC_SECRET, now + offset)
        assert totp.matching_step(RFC_SECRET, code, moment=moment) is None


def test_matching_step_refuses_a_step_already_used() -> None:
    moment = 1_700_000_000.0
    now = totp.step_at(moment)
    code = totp.code_at_step(RFC_SECRET, now)
    assert totp.matching_step(RFC_SECRET, code, moment=moment, after_step=now - 1) == now
    assert totp.matching_step(RFC_SECRET, code, moment=moment, after_step=now) is None
    older = totp.code_at_step(RFC_SECRET, now - 1)
    assert totp.matching_step(RFC_SECRET, older, moment=moment, after_step=now) is None


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "12a456", "123 456", "١٢٣٤٥٦"])
def test_matching_step_wants_exactly_six_ascii_digits(bad: str) -> None:
    assert totp.matching_step(RFC_SECRET, bad, moment=59) is None


def test_provisioning_uri_names_the_standard_parameters() -> None:
    uri = totp.provisioning_uri(RFC_SECRET, "a.devries@praktijk.nl", "PGD Praktijk")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert parts.path == "/PGD%20Praktijk:a.devries@praktijk.nl"
    query = parse_qs(parts.query)
    assert query == {
        "secret": [totp.to_base32(RFC_SECRET)],
        "issuer": ["PGD Praktijk"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }


def test_recovery_codes_have_no_look_alikes_and_normalise() -> None:
    codes = {sf.new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)
        assert not set(code) & set("01ilo")
    assert sf.normalise_recovery_code(" ABCDE fghjk ") == "abcdefghjk"
    assert sf.normalise_recovery_code("abcde-fghjk") == "abcdefghjk"
    assert sf.normalise_code(" 123 456 ") == "123456"
    assert sf.normalise_code("123-456") == "123456"


def test_qr_svg_is_a_self_contained_svg() -> None:
    svg = sf.qr_svg("otpauth://totp/PGD:x@example.nl?secret=ABC", "QR").decode()
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "<script" not in svg
    assert "href" not in svg
    assert "<title>QR</title>" in svg
