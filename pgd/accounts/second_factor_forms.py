"""Second-factor forms: forgiving about spaces and dashes, clear about what is wrong."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, ValidationError

from pgd.accounts.second_factor_codes import (
    RECOVERY_LENGTH,
    normalise_code,
    normalise_recovery_code,
)
from pgd.crypto.totp import DIGITS


class AppCodeForm(FlaskForm):
    code = StringField(
        _l("Code from your app"),
        validators=[InputRequired(_l("Fill in the 6-digit code that your app shows now."))],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "off",
            "spellcheck": "false",
            "size": "8",
        },
    )

    def validate_code(self, field: StringField) -> None:
        cleaned = normalise_code(field.data or "")
        if len(cleaned) != DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
            raise ValidationError(_l("A code has 6 digits, for example 123 456."))
        field.data = cleaned


class RecoveryCodeForm(FlaskForm):
    recovery_code = StringField(
        _l("Recovery code"),
        validators=[InputRequired(_l("Fill in one of your recovery codes."))],
        render_kw={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"},
    )

    def validate_recovery_code(self, field: StringField) -> None:
        if len(normalise_recovery_code(field.data or "")) != RECOVERY_LENGTH:
            raise ValidationError(
                _l("A recovery code has 10 letters and digits, for example abcde-fghjk.")
            )


class SavedCodesForm(FlaskForm):
    saved = BooleanField(
        _l("I have printed or written down these codes and keep them in a safe place."),
        validators=[InputRequired(_l("Tick the box once you have saved the codes."))],
    )


class SwitchOffForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Fill in your password."))],
        render_kw={"autocomplete": "current-password"},
    )
