"""Messages about numbers speak the reader's language: "0,5" in Dutch, "0.5" in English."""

from __future__ import annotations

import pytest
from flask import Flask

from pgd.measurements import validation
from pgd.measurements.validation import Invalid
from pgd.measurements.values import Glucose


def _message(app: Flask, language: str, call: object, field: str) -> str:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        with pytest.raises(Invalid) as caught:
            call()  # type: ignore[operator]
        return caught.value.errors[field]


def test_range_message_uses_a_decimal_comma_in_dutch(app: Flask) -> None:
    dutch = _message(app, "nl-NL", lambda: validation.glucose("45"), "glucose")
    assert dutch == "45 mmol/L kan hier niet. U kunt 0,5 tot en met 40 mmol/L invullen."
    english = _message(app, "en-GB", lambda: validation.glucose("45"), "glucose")
    assert english == "45 mmol/L is not possible here. Allowed: 0.5 to 40 mmol/L."


def test_the_value_itself_is_written_the_dutch_way_too(app: Flask) -> None:
    dutch = _message(app, "nl-NL", lambda: validation.weight("19,5"), "weight")
    assert dutch.startswith("19,5 kg kan hier niet.")
    assert "." not in dutch.split(" kan ")[0]


def test_example_in_a_message_follows_the_language(app: Flask) -> None:
    assert _message(app, "nl-NL", lambda: validation.glucose("abc"), "glucose") == (
        "Vul een getal in, bijvoorbeeld 7,4."
    )
    assert _message(app, "en", lambda: validation.glucose("abc"), "glucose") == (
        "Fill in a number, for example 7.4."
    )


def test_advice_uses_the_decimal_sign_of_the_language(app: Flask) -> None:
    low = Glucose(2.8, "other")
    with app.test_request_context("/", headers={"Accept-Language": "nl-NL"}):
        assert "2,8 mmol/L is onder 4" in validation.advice(low)[0].text
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert "2.8 mmol/L is below 4" in validation.advice(low)[0].text


def test_format_number(app: Flask) -> None:
    assert validation.format_number(0.5) == "0.5"  # outside a request: English
    with app.test_request_context("/", headers={"Accept-Language": "nl-NL"}):
        assert validation.format_number(0.5) == "0,5"
        assert validation.format_number(40.0) == "40"  # whole numbers stay whole
        assert validation.format_number(721.0) == "721"
        assert validation.format_number(1000.0) == "1000"  # no thousands separator
        assert validation.format_number(2.8, 1) == "2,8"
        assert validation.format_number(7.0, 1) == "7,0"


def test_urgent_advice_says_what_to_do_first(app: Flask) -> None:
    """A hypo on saving: the headline, then the action, then what the number means."""
    with app.test_request_context("/", headers={"Accept-Language": "nl-NL"}):
        text = validation.advice(Glucose(2.9, "fasting"))[0].text
        assert text.startswith("Uw bloedsuiker was te laag (een hypo). Neem nu 15 tot 20 gram")
        assert text.index("Neem nu") < text.index("2,9 mmol/L is onder 4")
        assert "Vertel het aan uw huisartsenpraktijk." in text  # below 3: very low
        assert validation.advice(Glucose(3.5, "fasting"))[0].level == "urgent"
        assert "Vertel het" not in validation.advice(Glucose(3.5, "fasting"))[0].text
