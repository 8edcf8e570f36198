"""The administrator's forms; labels and error messages are written in the templates, in the reader's language."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from casecore import taxonomy
from casecore.accounts.passwords import MIN_PASSWORD_LENGTH
from casecore.accounts.users import BAD_DISPLAY_NAME, DISPLAY_NAME_LENGTH, STAFF_SEXES
from casecore.i18n import N_

# What to say about a field that did not validate (English msgids of the web catalogue).
FIELD_ERRORS = {
    "display_name": BAD_DISPLAY_NAME,
    "email": N_("Enter the email address (at most 254 characters)."),
    "phone": N_("Enter the mobile number that receives alerts."),
    "password": N_("The password must have at least 12 characters."),
    "role": N_("Choose a role from the list."),
    "language": N_("Choose a language from the list."),
    "team": N_("Choose a team from the list."),
    "sex": N_("Choose from the list."),
    "spoken_languages": N_("Choose languages from the list."),
    "name": N_("Give the team a name (at most 120 characters)."),
    "supervisor": N_("Choose a supervisor from the list."),
    "member": N_("Choose a case worker from the list."),
}


class _AccountFields(FlaskForm):
    # The name people see for the account (the email stays the login).
    display_name = StringField(validators=[DataRequired(), Length(max=DISPLAY_NAME_LENGTH)])
    # Choices are codes (ids for teams, set by the view); the templates write the labels. "" is none.
    role = SelectField(choices=list(taxonomy.ROLES), validators=[DataRequired()])
    language = SelectField(choices=list(taxonomy.LANGUAGES), validators=[DataRequired()])
    team = SelectField(choices=[""], validators=[Optional()])
    sex = SelectField(choices=["", *STAFF_SEXES], validators=[Optional()])
    spoken_languages = SelectMultipleField(choices=list(taxonomy.COMMUNITY_LANGUAGES), validators=[Optional()])


class NewUserForm(_AccountFields):
    """A new staff account."""

    email = StringField(validators=[DataRequired(), Length(max=254)])
    phone = StringField(validators=[DataRequired(), Length(max=32)])
    password = PasswordField(validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)])


class EditUserForm(_AccountFields):
    """What an administrator changes on an account."""

    is_active = BooleanField()


class NewTeamForm(FlaskForm):
    """A new team and the supervisor who leads it (choices set by the view)."""

    name = StringField(validators=[DataRequired(), Length(max=120)])
    supervisor = SelectField(choices=[], validators=[DataRequired()])


class SupervisorForm(FlaskForm):
    """Another supervisor for a team."""

    supervisor = SelectField(choices=[], validators=[DataRequired()])


class MemberForm(FlaskForm):
    """A case worker to add to a team."""

    member = SelectField(choices=[], validators=[DataRequired()])


def field_errors(form: FlaskForm) -> list[str]:
    """The msgids saying what is wrong with each field that did not validate, in the form's order."""
    return [FIELD_ERRORS.get(name, N_("The form could not be sent")) for name in form.errors if name != "csrf_token"]
