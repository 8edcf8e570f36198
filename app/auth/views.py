"""Logging in and out (with a lockout), CSRF on every form, idle sessions closed, and the login requirement on every
page but a short allow-list."""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.metrics.instruments import count_login_failure
from app.runtime import runtime
from app.web.dispatch import transport_security
from app.web.pages import page_gettext, page_language
from app.web.paths import BLUEPRINT as WEBHOOKS_BLUEPRINT
from app.web.paths import HEALTH_ENDPOINTS
from app.web.rate_limits import RateLimiter, parse_rate
from casecore.accounts.logins import LoginPolicy, address_key, attempt_login
from casecore.accounts.sessions import end_session, open_session, session_open
from casecore.audit import record_event
from casecore.people.lookups import get_user
from casecore.people.roles import CASEWORKER, FOCAL_POINT, may_manage_people, may_triage

log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", *HEALTH_ENDPOINTS})
# What an account that must choose its password may open meanwhile.
OWN_PASSWORD_ENDPOINTS = frozenset({"auth.password", "auth.logout", "static"})
# Session keys: when the last request was made (seconds since the epoch), that a session was just closed (idle, or
# past SESSION_MAX_HOURS), the server-side session's id, and when it was opened (seconds since the epoch).
SEEN_AT = "seen_at"
EXPIRED = "expired"
SESSION_ID = "sid"
LOGGED_IN_AT = "logged_in_at"
# Endpoints whose forms may be larger than MAX_CONTENT_LENGTH (a file upload), with their own limit in bytes.
FORM_LIMITS = "RELAIS_FORM_LIMITS"
# Failed logins per address (all accounts together), in Redis: RATE_LIMIT_LOGIN_FAILURES_PER_SOURCE.
LOGIN_LIMITER = "relais.login_limits"
LOGIN_FAILURES = "login-failures"

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.session_protection = "basic"


@dataclass(frozen=True, eq=False)
class StaffUser(UserMixin):
    """The logged-in staff member as plain values, so no database object outlives its session."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    role: str
    language: str
    must_change_password: bool = False
    display_name: str = ""  # how the page's header shows them

    @classmethod
    def from_model(cls, user) -> "StaffUser":
        """Copy what a request needs from a casecore User."""
        return cls(user.id, user.organisation_id, user.email, user.role, user.language,
                   bool(user.must_change_password), user.display_name)

    def get_id(self) -> str:
        """The id flask-login keeps in the session, as a string."""
        return str(self.id)


class LoginForm(FlaskForm):
    """Email and password; labels are written in the template, in the reader's language."""

    # Length caps keep a huge password from costing a long hash.
    email = StringField(validators=[DataRequired(), Length(max=254)])
    password = PasswordField(validators=[DataRequired(), Length(max=256)])


def landing_url(role: str) -> str:
    """Where a user lands: administrators on the accounts page, supervisors on the triage queue, case workers on
    their cases, complaints focal points on the complaints, anyone else on the simulator."""
    if may_manage_people(role):
        return url_for("admin.users")
    if may_triage(role):
        return url_for("triage.queue")
    if role == CASEWORKER:
        return url_for("case_list.page")
    if role == FOCAL_POINT:
        return url_for("complaints.page_list")
    return url_for("simulator.page")


def allow_larger_form(app: Flask, endpoint: str, max_bytes: int) -> None:
    """Let one endpoint receive forms up to max_bytes (an upload); every other keeps MAX_CONTENT_LENGTH."""
    app.config.setdefault(FORM_LIMITS, {})[endpoint] = max_bytes


def safe_next(target: str | None) -> str | None:
    """target when it is a path on this site, else None: `next` must never send anyone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Browsers drop tabs and newlines inside URLs, which would turn "/\t/evil.example" into "//evil.example".
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on a correct email and password, log in and go where the user was heading.

    Repeated failures lock the account for a while (LOGIN_MAX_FAILURES, LOGIN_LOCK_MINUTES); an unknown email and a
    locked account get the same answer as a wrong password, which says how the lock works.
    """
    next_url = safe_next(request.args.get("next"))
    form = LoginForm()
    error = None
    settings = runtime().settings
    source = address_key(request.remote_addr or "unknown", settings.secret_key)
    throttled = form.is_submitted() and current_app.extensions[LOGIN_LIMITER].check(
        watch=[(LOGIN_FAILURES, source)])
    if throttled:
        # Too many failures from this address, whatever the accounts: nothing is checked until the window ends.
        log.info("login refused: too many failed logins from one address")
        count_login_failure("address_throttled")
        return _login_page(form, "throttled", next_url, 429, retry_minutes=max(1, -(-throttled.retry_after // 60)))
    if form.validate_on_submit():
        policy = LoginPolicy(settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_MINUTES)
        with runtime().unit_of_work() as db:
            outcome = attempt_login(db, form.email.data, form.password.data, policy, source)
            staff = StaffUser.from_model(outcome.user) if outcome.user is not None else None
            session_id = open_session(db, staff.id) if staff is not None else None
        if staff is not None:
            # A fresh session at login: nothing set before authentication carries over.
            session.clear()
            session[SESSION_ID], session[LOGGED_IN_AT] = str(session_id), time.time()
            login_user(staff)
            _mark_seen()
            log.info("user %s logged in", staff.id)
            return redirect(next_url or landing_url(staff.role))
        log.info("failed login attempt")
        count_login_failure("account_locked" if outcome.locked_minutes and not outcome.locked_now
                            else "wrong_credentials", locked_now=outcome.locked_now)
        current_app.extensions[LOGIN_LIMITER].hit(LOGIN_FAILURES, source)
        # A locked account gets the wrong password's answer: "locked" would tell that the email exists.
        error = "wrong"
    elif request.method == "POST":
        error = "missing"
    return _login_page(form, error, next_url, 200)


def _login_page(form: LoginForm, error: str | None, next_url: str | None, status: int, retry_minutes: int = 0):
    settings = runtime().settings
    expired = session.pop(EXPIRED, None) if request.method == "GET" else None
    return render_template("login.html", form=form, error=error, next_url=next_url, expired=expired,
                           idle_minutes=settings.SESSION_IDLE_MINUTES, max_hours=f"{settings.SESSION_MAX_HOURS:g}",
                           max_failures=settings.LOGIN_MAX_FAILURES,
                           lock_minutes=settings.LOGIN_LOCK_MINUTES, retry_minutes=retry_minutes), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and forget the session."""
    if current_user.is_authenticated:
        with runtime().unit_of_work() as db:
            end_session(db, session.get(SESSION_ID), "logout")  # the cookie, copied or not, opens nothing now
            record_event(db, current_user.id, "logout", "user", current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _mark_seen() -> None:
    # A permanent session: its cookie also expires in the browser after SESSION_IDLE_MINUTES.
    session[SEEN_AT] = time.time()
    session.permanent = True


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    # Every request loads its user: read-only, so it never waits for the write lock (SQLite).
    with runtime().unit_of_work(read_only=True) as db:
        user = get_user(db, user_id)
        # A deactivated account, or a session ended on the server, is logged out on its next request.
        if user is None or not user.is_active or not session_open(
                db, session.get(SESSION_ID), user.id, runtime().settings.SESSION_MAX_HOURS):
            return None
        return StaffUser.from_model(user)


def _is_webhook() -> bool:
    # Providers cannot send our CSRF token or a session cookie; the webhooks check their own shared token instead.
    return WEBHOOKS_BLUEPRINT in request.blueprints


def _protect_csrf():
    # Checked here rather than by CSRFProtect's own hook so the webhooks are exempt by blueprint name, whether
    # or not their blueprint is registered yet when this runs.
    if request.endpoint is None or _is_webhook():
        return
    # Set before anything reads the form, which the CSRF check does.
    larger = current_app.config.get(FORM_LIMITS, {}).get(request.endpoint)
    if larger:
        request.max_content_length = larger
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


def _expire_idle_session():
    # The stamp lives in the signed cookie, so it cannot be moved forward by the browser; a little clock skew
    # between web hosts is tolerated.
    if request.endpoint in (None, "static") or _is_webhook() or "_user_id" not in session:
        return None
    seen, opened = session.get(SEEN_AT), session.get(LOGGED_IN_AT)
    settings = runtime().settings
    now = time.time()
    idle, most = settings.SESSION_IDLE_MINUTES * 60, settings.SESSION_MAX_HOURS * 3600
    fresh = isinstance(seen, (int, float)) and -60 <= now - seen <= idle
    young = isinstance(opened, (int, float)) and now - opened <= most
    if fresh and young:
        _mark_seen()
        return None
    user_id, session_id = session.get("_user_id"), session.get(SESSION_ID)
    logout_user()
    session.clear()
    session[EXPIRED] = "idle" if not fresh else "lifetime"
    log.info("session of user %s closed: %s", user_id, session[EXPIRED])
    with runtime().unit_of_work() as db:
        end_session(db, session_id, "expired")
        record_event(db, user_id, "session.expired", "user", user_id)
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=wanted))


def _require_login():
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or _is_webhook():
        return None  # unknown URLs fall through to a plain 404
    if current_user.is_authenticated:
        if current_user.must_change_password and request.endpoint not in OWN_PASSWORD_ENDPOINTS:
            # An administrator chose the password: nothing opens until its owner has chosen their own.
            return redirect(url_for("auth.password"))
        return None
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=wanted))


def _secure_headers(response):
    transport_security(response)
    if not _is_webhook():
        # Pages hold children's data: never cached, never framed (X-Frame-Options for browsers without CSP
        # frame-ancestors), nothing loaded from elsewhere, no <base> to redirect relative links.
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _csrf_failed(error: CSRFError):
    log.info("CSRF check failed: %s", error.description)
    if not current_user.is_authenticated and request.endpoint not in PUBLIC_ENDPOINTS:
        # The browser dropped the idle session's cookie, and its CSRF token with it: to the login, like a session
        # closed on the server, where the page's script keeps what was typed for the page after it.
        session[EXPIRED] = "idle"
        return redirect(url_for("auth.login"))
    _ = page_gettext()
    return render_template(
        "error.html",
        title=_("The form could not be sent"),
        message=_("The page was open too long or the form was incomplete. Go back, reload the page and try again."),
        keeps_drafts=True,
    ), 400


def _template_globals() -> dict:
    return {"_": page_gettext(), "lang": page_language()}


def init_app(app: Flask) -> None:
    """Install CSRF protection, flask-login, the login requirement and the login pages."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # our own hook below runs the check, minus the webhooks
    relais = app.extensions.get("relais")
    if relais is not None:
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=relais.settings.SESSION_IDLE_MINUTES)
        limit = "RATE_LIMIT_LOGIN_FAILURES_PER_SOURCE"
        app.extensions[LOGIN_LIMITER] = RateLimiter(
            {LOGIN_FAILURES: parse_rate(getattr(relais.settings, limit), limit)}, lambda: relais.round_trips)
    csrf.init_app(app)
    login_manager.init_app(app)
    # In this order: a form sent just after the session went idle passes its CSRF check, then goes to the login.
    app.before_request(_protect_csrf)
    app.before_request(_expire_idle_session)
    app.before_request(_require_login)
    app.after_request(_secure_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.context_processor(_template_globals)
    app.register_blueprint(bp)
