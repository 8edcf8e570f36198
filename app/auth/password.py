"""A staff member chooses their own password: at the first login of an account an administrator made (the
administrator chose the first one), and whenever they wish. Every session of theirs ends but the one they go on in."""
from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, request, session
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from app.auth.views import LOGIN_FAILURES, LOGIN_LIMITER, SESSION_ID, StaffUser, bp, landing_url
from app.runtime import runtime
from app.web.pages import page_gettext
from casecore.accounts.logins import address_key
from casecore.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from casecore.accounts.sessions import open_session
from casecore.accounts.users import WRONG_CURRENT_PASSWORD, change_password
from casecore.audit import record_event
from casecore.errors import InvalidInput
from casecore.i18n import N_

log = logging.getLogger(__name__)

MISMATCH = N_("The two new passwords are not the same.")
MISSING = N_("Fill in the three fields.")
THROTTLED = N_("Too many failed logins from this network. Try again in %(minutes)s minutes.")


class PasswordForm(FlaskForm):
    """The current password, and the new one twice; labels are in the template."""

    current = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    again = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's password; the sessions opened elsewhere end."""
    form = PasswordForm()
    _ = page_gettext()
    error = None
    source = address_key(request.remote_addr or "unknown", runtime().settings.secret_key)
    limiter = current_app.extensions[LOGIN_LIMITER]
    throttled = form.is_submitted() and limiter.check(watch=[(LOGIN_FAILURES, source)])
    if throttled:
        # Wrong current passwords count as failed logins: a stolen session must not guess its way to a new one.
        error = _(THROTTLED) % {"minutes": max(1, -(-throttled.retry_after // 60))}
        return render_template("password.html", form=form, error=error, min_length=MIN_PASSWORD_LENGTH,
                               must_change=current_user.must_change_password), 429
    if form.is_submitted() and not form.validate():
        error = _(MISSING)
    elif form.is_submitted() and form.new.data != form.again.data:
        error = _(MISMATCH)
    elif form.is_submitted():
        try:
            with runtime().unit_of_work() as db:
                user = change_password(db, current_user.id, form.current.data, form.new.data)
                staff = StaffUser.from_model(user)
                session_id = open_session(db, user.id)
                record_event(db, user.id, "password.changed", "user", user.id)
        except InvalidInput as refused:
            error = _(str(refused))
            if str(refused) == WRONG_CURRENT_PASSWORD:
                limiter.hit(LOGIN_FAILURES, source)
                with runtime().unit_of_work() as db:
                    record_event(db, current_user.id, "password.change_refused", "user", current_user.id)
        else:
            session[SESSION_ID] = str(session_id)  # this browser goes on; every other session ended
            login_user(staff)
            log.info("user %s changed their password", staff.id)
            flash(_("Your password is changed. Your other sessions, elsewhere, are closed."))
            return redirect(landing_url(staff.role))
    return render_template("password.html", form=form, error=error, min_length=MIN_PASSWORD_LENGTH,
                           must_change=current_user.must_change_password), 400 if error else 200
