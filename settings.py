"""Configuration read from the environment, with defaults that run locally with nothing set."""
from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


@cache  # read once per process: callers (every USSD step keys the number) must not touch the disk each time
def local_secret(name: str = "secret_key") -> str:
    """A per-instance secret for local runs with nothing configured, kept under instance/ so it survives restarts."""
    path = INSTANCE / name
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        # Written aside then linked into place: processes starting together all end up with the same key.
        temporary = INSTANCE / f".{name}.{os.getpid()}"
        temporary.write_text(_NEW_SECRETS[name]())
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


# The data key is 32 bytes in URL-safe base64, as casecore.sealing.new_key makes it (not imported: settings stand
# alone).
_NEW_SECRETS = {"secret_key": lambda: secrets.token_hex(32),
                "data_key": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")}


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every setting Relais reads; field names are the environment variable names."""

    DATABASE_URL: str = f"sqlite:///{INSTANCE / 'relais.db'}"
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    SECRET_KEY: str = ""
    # Seals personal data at rest (casecore.sealing), README "Security and data protection": the current key, and
    # during a rotation the previous ones (comma-separated) until `flask --app app keys rotate` has re-sealed all
    # (`python -m casecore.sealing` prints a new key).
    DATA_ENCRYPTION_KEY: str = ""
    DATA_ENCRYPTION_OLD_KEYS: str = ""
    SMS_BACKEND: str = "console"  # console | africastalking
    AT_USERNAME: str = "sandbox"
    AT_API_KEY: str = ""
    AT_SENDER_ID: str = ""
    AT_API_URL: str = "https://api.sandbox.africastalking.com/version1/messaging"
    # Numbers one call to AT's messaging API may send the same text to (bulk sending); 1: one call per SMS.
    AT_BULK_RECIPIENTS: int = 1
    AT_WEBHOOK_TOKEN: str = ""
    # Hosts a WhatsApp file may be fetched from besides TWILIO_API_URL's (where Twilio redirects media to);
    # `*.domain` for its subdomains. Internal addresses are never fetched from, but in DEVELOPMENT.
    MEDIA_HOSTS: str = "*.twiliocdn.com,s3-external-1.amazonaws.com"
    # A development machine (`make run`, the tests): the web process then starts without AT_WEBHOOK_TOKEN.
    DEVELOPMENT: bool = False
    DEFAULT_REGION: str = "ML"
    DEFAULT_LANGUAGE: str = "fr"
    # Slug of the organisation that receives community reports when several exist.
    DEFAULT_ORGANISATION: str = ""
    # Phone numbers read out on the last screen of a report (comma-separated, e.g. the child helpline).
    EMERGENCY_CONTACTS: str = "116"
    SESSION_COOKIE_SECURE: bool = False
    # Seconds an outbound HTTP call to a provider may take before it counts as a timeout.
    PROVIDER_TIMEOUT: float = 10.0
    # Seconds a partner's receiver may take to answer an event (at most 30); past it the event is posted again later.
    EVENT_TIMEOUT: float = 10.0
    # How long a received report may wait for its alert before the scheduler enqueues it again.
    ALERT_SWEEP_AFTER_SECONDS: int = 60
    SCHEDULER_INTERVAL_SECONDS: int = 30
    QUEUE_NAME: str = "relais"
    # Log lines of every process (and gunicorn's): "text", or "json" for one JSON object per line (docs/logs.md).
    LOG_FORMAT: str = "text"
    # Seconds a web process keeps reference data (location menus, the receiving organisation) before rereading it.
    PLACES_CACHE_SECONDS: float = 60.0
    # A USSD session's record lives this long (telcos end sessions after about 3 minutes).
    USSD_SESSION_SECONDS: int = 600
    # A USSD session dropped in the middle of a flow is offered again to the same number for this long.
    RESUME_WINDOW_SECONDS: int = 1800
    # An SMS or WhatsApp dialogue left without a reply this long is closed, with a polite message.
    TEXT_SESSION_EXPIRY_SECONDS: int = 1800
    # Keywords replacing the defaults (dialogs/keywords.py), as JSON: {"complaint": {"fr": ["PLAINTE"]}}.
    SMS_KEYWORDS: str = ""
    # Twilio account that sends SMS and WhatsApp (Messages API) and whose Auth Token signs Twilio's webhooks.
    TWILIO_ACCOUNT_SID: str = ""
    # Secret: the Basic auth password for the Messages API and the key of X-Twilio-Signature.
    TWILIO_AUTH_TOKEN: str = ""
    # Twilio number (E.164) that sends SMS.
    TWILIO_SMS_FROM: str = ""
    # WhatsApp sender, e.g. whatsapp:+14155238886 (the "whatsapp:" prefix is added when missing).
    TWILIO_WHATSAPP_FROM: str = ""
    # Base URL of the Twilio API; tests point it at a local fake server.
    TWILIO_API_URL: str = "https://api.twilio.com"
    # Public https URL of this site as Twilio calls it (behind a TLS proxy), used to check Twilio's signatures.
    PUBLIC_BASE_URL: str = ""
    # WhatsApp screens with 1 to 3 short options go as tap-to-answer quick replies (Twilio Content API); the
    # numbered text is still sent when this is off or when the content cannot be created.
    TWILIO_QUICK_REPLIES: bool = True
    # Base URL of Twilio's Content API, which holds the quick-reply contents; tests point it at the fake server.
    TWILIO_CONTENT_API_URL: str = "https://content.twilio.com"
    # A WhatsApp message due more than 24 hours after the person's last WhatsApp message (Twilio would refuse it,
    # error 63016): "sms" sends the same text by SMS instead; "template" holds it and sends the approved template
    # TWILIO_WHATSAPP_TEMPLATE_SID (which must say no more than "a message is waiting, write to us"), then sends
    # what was held when the person writes. A WhatsApp business-scoped id has no SMS route: its message is held
    # under either policy (with the template when one is set).
    WHATSAPP_OUTSIDE_WINDOW: str = "sms"
    TWILIO_WHATSAPP_TEMPLATE_SID: str = ""
    # The backend that sends those SMS (empty: the WhatsApp message's own backend, e.g. Twilio with TWILIO_SMS_FROM).
    WHATSAPP_SMS_FALLBACK_BACKEND: str = ""
    # A message whose send was interrupted (worker killed, read timeout) and that the provider cannot look up
    # (Africa's Talking) waits this long for a delivery report naming its number; then it is failed, never resent.
    UNKNOWN_OUTCOME_WAIT_SECONDS: int = 3600
    # The only numbers the web view's simulator may play as (comma-separated E.164): what it plays is real data
    # for them. The first is the demo family's (linked to the demo case), the second a demo number with no case.
    # "off" switches the simulator off (an empty variable keeps this default).
    SIMULATOR_NUMBERS: str = "+22376000100,+22376000199"
    # Rate limits on the webhooks, each "count/seconds" (a window opened by the first hit); "0" or "off": no limit.
    # New USSD sessions one number may start; over it the first screen is a polite END with the emergency numbers.
    RATE_LIMIT_USSD_SESSIONS_PER_NUMBER: str = "20/3600"
    # SMS and WhatsApp messages from one number; over it a message is still stored, marked "limited", not answered.
    RATE_LIMIT_MESSAGES_PER_NUMBER: str = "30/600"
    # Webhook requests from one source address (USSD: new sessions only); over it 429 with Retry-After.
    RATE_LIMIT_PER_SOURCE: str = "1200/60"
    # Failed AT token or Twilio signature checks from one source address; once reached, every request from it
    # gets 429 until the window ends (stops guessing).
    RATE_LIMIT_AUTH_FAILURES_PER_SOURCE: str = "20/600"
    # Calls to the JSON API with one token; over it 429 with Retry-After.
    RATE_LIMIT_API_PER_TOKEN: str = "600/60"
    # Calls to the JSON API with a missing or wrong token from one source address; once reached, 429 until the window
    # ends (stops guessing tokens).
    RATE_LIMIT_API_AUTH_FAILURES_PER_SOURCE: str = "20/600"
    # Reverse proxies in front of the web process whose X-Forwarded-For is trusted for the source address (0: none).
    TRUSTED_PROXY_COUNT: int = 0
    # GET /metrics (Prometheus, docs/metrics.md) answers only requests from these addresses (comma-separated CIDRs,
    # as TRUSTED_PROXY_COUNT gives the source address) or carrying "Authorization: Bearer <METRICS_TOKEN>" (at
    # least 32 characters); with neither set, nobody.
    METRICS_ALLOW: str = ""
    # Secret: also lets a monitoring system ask what administrators see of the service's health (/readyz?deep=1)
    # without logging in.
    METRICS_TOKEN: str = ""
    # Photos and files received on WhatsApp (Twilio media): the largest accepted, in bytes (a download stops as soon
    # as it goes past), and the content types accepted (comma-separated; the file's first bytes must match).
    MEDIA_MAX_BYTES: int = 5 * 1024 * 1024
    MEDIA_TYPES: str = "image/jpeg,image/png,image/webp,application/pdf,audio/ogg,audio/mpeg,audio/amr,video/mp4"
    # Where received media files are kept (one file per item, named by a random id, readable by this user only).
    MEDIA_DIR: str = str(INSTANCE / "media")
    # A file from a number not linked to a case goes with that number's report made within this many hours.
    MEDIA_ATTACH_HOURS: int = 24
    # Failed logins in a row after which a staff account is locked, and for how many minutes.
    LOGIN_MAX_FAILURES: int = 5
    # Retention (domain notes; confirm with the programme's data-sharing protocol): message bodies and USSD session
    # records once handled (and partners' settled event deliveries, by the message days), turned-down reports'
    # personal data, audit events (the staff's and the API's).
    RETENTION_MESSAGE_DAYS: int = 90
    RETENTION_USSD_SESSION_DAYS: int = 90
    RETENTION_REJECTED_REPORT_DAYS: int = 365
    RETENTION_AUDIT_YEARS: int = 7
    RETENTION_CLOSED_CASE_YEARS: int = 5
    # The scheduler runs the purge once a day (`flask --app app retention purge` runs it by hand).
    RETENTION_DAILY: bool = True
    # How often a web process rereads the sources locked out after failed webhook checks (every webhook uses it).
    LOCKOUT_REFRESH_SECONDS: float = 5.0
    # Failed logins from one address (whatever the accounts) before it must wait: count/seconds, 0 or off.
    RATE_LIMIT_LOGIN_FAILURES_PER_SOURCE: str = "20/900"
    LOGIN_LOCK_MINUTES: int = 15
    # A web session left this many minutes without a request is closed: the next page asks to log in again.
    SESSION_IDLE_MINUTES: int = 30
    # However busy, a staff session ends this many hours after its login.
    SESSION_MAX_HOURS: float = 12
    # Service directory entries not verified for this many days (or never) are flagged for checking (6 months).
    SERVICE_STALE_DAYS: int = 183
    # Case-work timelines (../shared/domain/README.md; country procedures differ). A new report must be assigned
    # within this many hours: urgent ones (treated as high risk) and the others.
    TIMELINE_ASSIGN_HIGH_RISK_HOURS: float = 1
    TIMELINE_ASSIGN_HOURS: float = 3
    # Hours by risk level ("high=24,medium=72,low=168"; every level given): the first response after assignment,
    # the assessment after registration, the case plan after the assessment's approval.
    TIMELINE_FIRST_RESPONSE_HOURS: str = "high=24,medium=72,low=168"
    TIMELINE_ASSESSMENT_HOURS: str = "high=24,medium=72,low=168"
    TIMELINE_CASE_PLAN_HOURS: str = "high=72,medium=168,low=336"
    # Days between case plan reviews, and from closure to the post-closure check.
    TIMELINE_REVIEW_DAYS: float = 30
    TIMELINE_POST_CLOSURE_CHECK_DAYS: float = 90
    # The case worker is warned by SMS when this share of a deadline's time is left (0.25: the last quarter).
    DEADLINE_WARN_FRACTION: float = 0.25
    # Open cases above which a case worker is flagged when a supervisor assigns a case.
    CASELOAD_LIMIT: int = 25
    # Hours a complaint has to be closed in, by severity, from its receipt (../shared/domain/README.md: critical
    # 24 h, high 3 days, medium 7, low 14); the focal points are warned as for case deadlines, and told once late.
    COMPLAINT_DEADLINE_HOURS_CRITICAL: float = 24
    COMPLAINT_DEADLINE_HOURS_HIGH: float = 72
    COMPLAINT_DEADLINE_HOURS_MEDIUM: float = 168
    COMPLAINT_DEADLINE_HOURS_LOW: float = 336
    # Feedback from a number answers the latest survey sent to it (at closure, after a service) within this many
    # days; later, it is about the number's case as before, or general.
    FEEDBACK_ANSWER_DAYS: int = 30
    # The feedback figures show an average and a distribution only for at least this many answers; fewer show as
    # "fewer than N", so no family's rating can be read from them.
    FEEDBACK_MIN_GROUP: int = 5
    # The deployment's time zone (an IANA name): the days the figures' and indicators' periods cover (Mali keeps UTC
    # all year; Kenya is "Africa/Nairobi"), and the clocks times on pages are shown on (each page names it once).
    TIME_ZONE: str = "Africa/Bamako"
    # Indicators: a count from 1 to this minus one is shown as "fewer than N" (with what would give it away) on pages
    # and in exports, where its reader could not already list the cases it counts.
    INDICATOR_MIN_CELL: int = 5
    # A worker counts each organisation's indicators for this and last month and quarter this often and keeps them,
    # so the pages read them (other periods are counted when asked for); 0: only when asked for.
    INDICATORS_REFRESH_MINUTES: float = 5
    # DHIS2 (`flask --app app dhis2 export`): the JSON file mapping indicators to data elements and places to org
    # units, and the instance `--push` posts to (HTTP Basic).
    DHIS2_MAPPING: str = ""
    DHIS2_URL: str = ""
    DHIS2_USERNAME: str = ""
    DHIS2_PASSWORD: str = ""

    # CPIMS+ (Primero v2), README "CPIMS+/Primero": the instance's address and the API account (HTTP Basic, a
    # native Primero user whose role may create and read cases), the module cases are created in, and a JSON or CSV
    # file mapping Relais codes to the instance's lookup values, locations and users (empty: stock Primero's).
    PRIMERO_URL: str = ""
    PRIMERO_USERNAME: str = ""
    PRIMERO_PASSWORD: str = ""
    PRIMERO_MODULE: str = "primeromodule-cp"
    PRIMERO_MAPPING: str = ""
    # When reports go to Primero: "off", "on_accept" (a supervisor's acceptance in Relais) or "on_report" (every new
    # report, triaged in CPIMS+); per organisation as "on_accept,slug-b=on_report,slug-c=off" (the bare value is the
    # default of the organisations not named).
    PRIMERO_HANDOFF: str = "off"
    # The key Primero's webhook sends in its x-api-key header (its auth_type api_key); webhooks are refused without.
    PRIMERO_WEBHOOK_KEY: str = ""
    # The address staff open Primero's web view at: the report page links to the case there when it is set.
    PRIMERO_PUBLIC_URL: str = ""
    # Open handed-over cases are read back from Primero this often, for what its webhooks missed.
    PRIMERO_POLL_MINUTES: float = 60
    # A hand-off Primero cannot take (down, 429, 5xx, timeouts) is tried again with backoff for this long, then failed.
    PRIMERO_RETRY_HOURS: float = 72
    # Organisations sharing this Relais with a Primero (or an account, module, mapping) of their own: a JSON file
    # {"slug": {"PRIMERO_URL": ..., "PRIMERO_USERNAME": ..., "PRIMERO_PASSWORD": ..., "PRIMERO_MODULE": ...,
    # "PRIMERO_MAPPING": ..., "PRIMERO_PUBLIC_URL": ...}}, each value given replacing the setting for it.
    PRIMERO_ORGANISATIONS: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from environment variables, then apply explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            if f.name not in environ or environ[f.name] == "":
                continue
            raw = environ[f.name]
            if f.type in ("bool", bool):
                values[f.name] = _flag(raw)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("float", float):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    @property
    def secret_key(self) -> str:
        """SECRET_KEY, or for local runs with nothing configured a random one kept under instance/."""
        return self.SECRET_KEY or local_secret()

    @property
    def data_key(self) -> str:
        """DATA_ENCRYPTION_KEY; on a development machine with none, a random one kept under instance/."""
        if self.DATA_ENCRYPTION_KEY:
            return self.DATA_ENCRYPTION_KEY
        if not self.DEVELOPMENT:
            # Without it nothing personal can be stored or read: no start at all rather than a failure per request.
            raise ValueError("DATA_ENCRYPTION_KEY is not set: personal data cannot be sealed. Set one (`python -m "
                             "casecore.sealing` prints one), or set DEVELOPMENT=true on a development machine")
        return local_secret("data_key")

    @property
    def emergency_contacts(self) -> tuple[str, ...]:
        """The configured emergency numbers, in order."""
        return tuple(c.strip() for c in self.EMERGENCY_CONTACTS.split(",") if c.strip())

    @property
    def media_types(self) -> frozenset[str]:
        """The content types accepted for received media, lower case."""
        return frozenset(t.strip().lower() for t in self.MEDIA_TYPES.split(",") if t.strip())

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.DATABASE_URL.startswith("sqlite")
