"""Account forms. Messages say what is wrong and what is allowed, in plain language."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from pgd.accounts import passwords
from pgd.forms import ForgivingDateField

EMAIL_MAX = 254


def _strip(value: object) -> object:
    """Forgive spaces around what people type or paste."""
    return value.strip() if isinstance(value, str) else value


NAME_MAX = 100


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail address"),
        validators=[
            InputRequired(_l("Fill in your e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("An e-mail address has at most %(max)d characters.")),
            Email(_l("This is not a valid e-mail address. Example: name@example.nl")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class _NewPasswordMixin:
    def _check_new_password(self, field: PasswordField, email: str = "", name: str = "") -> None:
        for problem in passwords.problems(field.data or "", email=email, name=name):
            raise ValidationError(problem)


def _new_password_field() -> PasswordField:
    return PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Choose a new password."))],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Type the new password a second time.")),
            EqualTo("new_password", _l("The two passwords are not the same. Type them again.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class _ChosenPasswordMixin(_NewPasswordMixin):
    """A new password (and its repeat) checked against the person's e-mail and name:
    changing it, or choosing one through a link or at the first login."""

    def __init__(self, *args: object, email: str = "", name: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._email = email
        self._name = name

    def validate_new_password(self, field: PasswordField) -> None:
        self._check_new_password(field, self._email, self._name)


def _validate_birth_date(field: ForgivingDateField) -> None:
    if field.data is None:
        return
    today = date.today()
    if field.data > today:
        raise ValidationError(_l("A date of birth cannot be in the future."))
    if field.data.year < today.year - 125:
        raise ValidationError(_l("Check the year: this date is more than 125 years ago."))


class RegisterForm(FlaskForm, _NewPasswordMixin):
    name = StringField(
        _l("Your name"),
        validators=[
            InputRequired(_l("Fill in your name.")),
            Length(max=NAME_MAX, message=_l("A name has at most %(max)d characters.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    birth_date = ForgivingDateField(
        _l("Date of birth (optional)"), render_kw={"autocomplete": "bday"}
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Choose a password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            InputRequired(_l("Type the password a second time.")),
            EqualTo("password", _l("The two passwords are not the same. Type them again.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Fill in your name."))

    def validate_password(self, field: PasswordField) -> None:
        self._check_new_password(field, self.email.data or "", self.name.data or "")

    def validate_birth_date(self, field: ForgivingDateField) -> None:
        _validate_birth_date(field)


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Fill in your password.")),
            Length(max=passwords.MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ChangePasswordForm(_ChosenPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Fill in your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field()
    confirm = _confirm_field()


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class NewPasswordForm(_ChosenPasswordMixin, FlaskForm):
    """A new password without the current one: through an e-mailed link, or at the first
    login of a clinician made on the command line (the current one was just typed)."""

    new_password = _new_password_field()
    confirm = _confirm_field()


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[
            InputRequired(_l("Fill in your name.")),
            Length(max=NAME_MAX, message=_l("A name has at most %(max)d characters.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "name"},
    )
    birth_date = ForgivingDateField(
        _l("Date of birth (optional)"), render_kw={"autocomplete": "bday"}
    )

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Fill in your name."))

    def validate_birth_date(self, field: ForgivingDateField) -> None:
        _validate_birth_date(field)


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()


class DeleteAccountForm(FlaskForm):
    """Deleting the own account: the password, the log-in code if that is on, and a tick."""

    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Fill in your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Log-in code from your app, or a recovery code"),
        filters=[_strip],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )
    confirm = BooleanField(
        _l("I understand that my account and all my data will be deleted for good."),
        validators=[
            DataRequired(_l("Tick the box to confirm that you want to delete everything."))
        ],
    )


class ConfirmRegistrationForm(FlaskForm):
    """The link from the registration e-mail: the password chosen then, once more."""

    password = PasswordField(
        _l("Your password"),
        validators=[
            InputRequired(_l("Fill in your password.")),
            Length(max=passwords.MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
