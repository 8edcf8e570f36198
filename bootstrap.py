"""Builds what every entry point needs (engine, sessions, Redis, queue) from one Settings; nothing at import."""
from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import logs

# Every mapped class, before any session is made: a model names another feature's table only by its name
# (ForeignKey("service.id")), which resolves once that feature's models module is imported too.
from casecore import schema, sealing  # noqa: F401  (schema: imported for its side effect)
from casecore.cache import Refreshing
from casecore.db import make_engine, make_session_factory, single_read, single_write, unit_of_work
from casecore.deadlines.timelines import Timelines
from casecore.handoff.mapping import HandoffMapping, load_mapping
from casecore.handoff.modes import HandoffModes, load_overrides, parse_modes
from casecore.messaging.media_store import FileMediaStore, MediaStore
from casecore.partners.events import record_events
from casecore.people.locations import PlaceDirectory, load_place_directory
from casecore.people.organisations import find_organisation
from casecore.retention import RetentionPolicy
from casecore.taxonomy import CASE_RISK_LEVELS, COMPLAINT_SEVERITIES
from channels.primero.client import PrimeroClient
from dialogs.keywords import KeywordBook, keyword_book
from dialogs.redis_trips import RoundTrips
from dialogs.services import CommunityServices
from dialogs.sessions import SessionTimes
from dialogs.state import RedisDialogStore
from settings import Settings
from workers.queueing import enqueue_event_delivery, follow_up_queue

# Community services kept per USSD code dialled (Runtime.community_services).
MAX_USSD_CODES_KEPT = 16


@dataclass
class Runtime:
    """The process's connections, built lazily: creating one opens nothing."""

    settings: Settings

    def __post_init__(self) -> None:
        self._primero_clients: dict[tuple[str, str, str], PrimeroClient] = {}
        self._community_services: dict[str, CommunityServices] = {}
        # Personal data is sealed under the data key and numbers found by their hash keyed like phone_key's: a
        # missing or malformed key stops the process here.
        sealing.configure(sealing.Keyring.from_settings(self.settings.data_key, self.settings.DATA_ENCRYPTION_OLD_KEYS),
                          self.settings.secret_key)
        # Malformed timelines or hand-off settings stop the process at start-up rather than at the first use.
        self.timelines  # noqa: B018
        self.zone  # noqa: B018
        self.primero_overrides  # noqa: B018
        RetentionPolicy.from_settings(self.settings)  # a malformed RETENTION_* setting stops the process
        modes = self.handoff_modes
        without = sorted(slug for slug, mode in modes.by_organisation.items()
                         if mode != "off" and not self.primero_settings(slug).PRIMERO_URL)
        if (modes.default != "off" and not self.primero_configured) or without:
            raise ValueError("PRIMERO_HANDOFF hands reports over but PRIMERO_URL is not set"
                             + (f" for {', '.join(without)}" if without else ""))

    @cached_property
    def zone(self) -> ZoneInfo:
        """TIME_ZONE: the days periods of figures cover and the clocks pages show; ValueError naming it when there
        is no such zone."""
        try:
            return ZoneInfo(self.settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder's name (Africa)
            raise ValueError(f"TIME_ZONE {self.settings.TIME_ZONE!r} is not a time zone name (e.g. Africa/Bamako, "
                             "Africa/Nairobi)") from None

    @cached_property
    def timelines(self) -> Timelines:
        """The case-work timelines and thresholds (TIMELINE_*, DEADLINE_WARN_FRACTION, CASELOAD_LIMIT), and the
        complaints' deadlines by severity (COMPLAINT_DEADLINE_HOURS_*)."""
        return timelines_from_settings(self.settings)

    @cached_property
    def handoff_modes(self) -> HandoffModes:
        """Which organisations hand reports over to Primero, and when (PRIMERO_HANDOFF)."""
        return parse_modes(self.settings.PRIMERO_HANDOFF)

    @cached_property
    def primero_overrides(self) -> dict[str, dict[str, str]]:
        """Each organisation's own Primero settings (PRIMERO_ORGANISATIONS), over the PRIMERO_* ones."""
        return load_overrides(self.settings.PRIMERO_ORGANISATIONS)

    @property
    def primero_configured(self) -> bool:
        """Whether any organisation has a Primero instance to hand reports over to."""
        return bool(self.settings.PRIMERO_URL) or any(o.get("PRIMERO_URL") for o in self.primero_overrides.values())

    def primero_settings(self, slug: str = "") -> Settings:
        """The settings with the organisation's own PRIMERO_* values, if it has some."""
        overrides = self.primero_overrides.get(slug)
        return replace(self.settings, **overrides) if overrides else self.settings

    def primero(self, slug: str = "") -> PrimeroClient | None:
        """The organisation's Primero instance and account, or None when it has none."""
        s = self.primero_settings(slug)
        if not s.PRIMERO_URL:
            return None
        key = (s.PRIMERO_URL, s.PRIMERO_USERNAME, s.PRIMERO_PASSWORD)
        if key not in self._primero_clients:  # one HTTP session per instance and account, kept for the process
            self._primero_clients[key] = PrimeroClient(*key, timeout=s.PROVIDER_TIMEOUT)
        return self._primero_clients[key]

    def primero_mapping(self, slug: str = "") -> HandoffMapping:
        """The organisation's mapping to its instance's values (PRIMERO_MAPPING over stock Primero's), reread when
        the file changes."""
        path = self.primero_settings(slug).PRIMERO_MAPPING
        try:
            stamp = os.stat(path).st_mtime_ns if path else 0
        except OSError:
            stamp = -1  # load_mapping says what is wrong with it
        return _cached_mapping(path, stamp)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.DATABASE_URL)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        factory = make_session_factory(self.engine)
        # Partners' events: written in the transaction of the change they tell, their posts enqueued once committed.
        record_events(factory, self._enqueue_deliveries)
        return factory

    def _enqueue_deliveries(self, delivery_ids: list[uuid.UUID]) -> None:
        queue = follow_up_queue(self)
        for delivery_id in delivery_ids:
            if not enqueue_event_delivery(queue, delivery_id):
                break  # Redis is down: each try would wait for its timeout; the scheduler's sweep enqueues them

    @cached_property
    def redis(self) -> redis.Redis:
        # Short timeouts: a webhook must still answer when Redis is slow or down.
        return redis.Redis.from_url(
            self.settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )

    @cached_property
    def round_trips(self) -> RoundTrips:
        """The cheapest way to Redis for the calls of every USSD step (dialog states, rate limits)."""
        return RoundTrips(self.redis)

    @cached_property
    def queue(self) -> Queue:
        return Queue(self.settings.QUEUE_NAME, connection=self.redis)

    @cached_property
    def places(self) -> Refreshing[PlaceDirectory]:
        """The location menus, reread every PLACES_CACHE_SECONDS."""
        return Refreshing(load_place_directory, self.session_factory, self.settings.PLACES_CACHE_SECONDS)

    @cached_property
    def intake_organisation(self) -> Refreshing[uuid.UUID]:
        """The id of the organisation receiving community reports (DEFAULT_ORGANISATION, else the only one)."""
        slug = self.settings.DEFAULT_ORGANISATION
        return Refreshing(lambda session: find_organisation(session, slug).id, self.session_factory,
                          self.settings.PLACES_CACHE_SECONDS)

    @cached_property
    def dialog_store(self) -> RedisDialogStore:
        """Where conversations stand between two messages."""
        return RedisDialogStore(self.redis, trips=self.round_trips)

    @cached_property
    def media_store(self) -> MediaStore:
        """Where received photos and files are kept (MEDIA_DIR)."""
        return FileMediaStore(self.settings.MEDIA_DIR)

    @cached_property
    def keywords(self) -> KeywordBook:
        """The SMS and WhatsApp keywords (SMS_KEYWORDS over the defaults)."""
        return keyword_book(self.settings.SMS_KEYWORDS)

    @cached_property
    def session_times(self) -> SessionTimes:
        """How long conversation states live."""
        s = self.settings
        return SessionTimes(menu_session=s.USSD_SESSION_SECONDS, resume_window=s.RESUME_WINDOW_SECONDS,
                            text_expiry=s.TEXT_SESSION_EXPIRY_SECONDS)

    def phone_key(self, phone: str) -> str:
        """The keyed hash that stands for a number where the number itself must not be kept."""
        return sealing.cached_phone_key(phone, self.settings.secret_key)

    def community_services(self, ussd_code: str = "") -> CommunityServices:
        """What the community conversations use (ussd_code: the code dialled, on USSD); reference data comes from
        the per-process caches. Built again only when that data was reloaded: building it on every USSD step cost
        more than a step's rate limit check. The conversations only read it, so threads share it."""
        places, organisation = self.places.get(), self.intake_organisation.get()
        built = self._community_services.get(ussd_code)
        if built is None or built.places is not places or built.receiving_organisation != organisation:
            built = self._build_community_services(places, organisation, ussd_code)
            # A service has a code or two; the telco's field is not trusted to stay within them.
            if ussd_code in self._community_services or len(self._community_services) < MAX_USSD_CODES_KEPT:
                self._community_services[ussd_code] = built
        return built

    def _build_community_services(self, places: PlaceDirectory, organisation: uuid.UUID,
                                  ussd_code: str) -> CommunityServices:
        s = self.settings
        return CommunityServices(
            places=places,
            unit_of_work=self.unit_of_work,
            single_read=self.single_read,
            single_write=self.single_write,
            receiving_organisation=organisation,
            default_region=s.DEFAULT_REGION,
            emergency_contacts=s.emergency_contacts,
            phone_key=self.phone_key,
            keywords=self.keywords.first_words,
            alert_backend=s.SMS_BACKEND,
            timelines=self.timelines,
            ussd_code=ussd_code,
            feedback_answer_days=s.FEEDBACK_ANSWER_DAYS,
            primero_mapping=self.primero_mapping if self.primero_configured else None,
        )

    def unit_of_work(self, read_only: bool = False):
        """A transaction on the configured database (read_only: casecore.db.unit_of_work)."""
        return unit_of_work(self.session_factory, read_only=read_only)

    def single_write(self):
        """A connection for one statement that is all or nothing by itself (casecore.db.single_write)."""
        return single_write(self.engine)

    def single_read(self):
        """A connection for one statement that only reads (casecore.db.single_read)."""
        return single_read(self.engine)

    def close(self) -> None:
        """Release pooled connections (used by tests and after a fork)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "round_trips" in self.__dict__:
            self.round_trips.close()
        if "redis" in self.__dict__:
            self.redis.close()


# The setting giving a complaint's hours to closure, by severity.
COMPLAINT_HOURS = {severity: f"COMPLAINT_DEADLINE_HOURS_{severity.upper()}" for severity in COMPLAINT_SEVERITIES}


def timelines_from_settings(settings: Settings) -> Timelines:
    """Timelines from the settings; ValueError naming the setting when one is malformed."""
    s = settings
    for name in ("TIMELINE_ASSIGN_HIGH_RISK_HOURS", "TIMELINE_ASSIGN_HOURS", "TIMELINE_REVIEW_DAYS",
                 "TIMELINE_POST_CLOSURE_CHECK_DAYS", "CASELOAD_LIMIT", *COMPLAINT_HOURS.values()):
        if not 0 < getattr(s, name) < float("inf"):
            raise ValueError(f"{name} must be a number above 0; got {getattr(s, name)!r}")
    if not 0 <= s.DEADLINE_WARN_FRACTION < 1:
        raise ValueError(f"DEADLINE_WARN_FRACTION must be at least 0 and below 1; got {s.DEADLINE_WARN_FRACTION!r}")
    return Timelines(
        assign_high_risk_hours=s.TIMELINE_ASSIGN_HIGH_RISK_HOURS,
        assign_hours=s.TIMELINE_ASSIGN_HOURS,
        first_response_hours=hours_by_risk(s.TIMELINE_FIRST_RESPONSE_HOURS, "TIMELINE_FIRST_RESPONSE_HOURS"),
        assessment_hours=hours_by_risk(s.TIMELINE_ASSESSMENT_HOURS, "TIMELINE_ASSESSMENT_HOURS"),
        case_plan_hours=hours_by_risk(s.TIMELINE_CASE_PLAN_HOURS, "TIMELINE_CASE_PLAN_HOURS"),
        review_hours=s.TIMELINE_REVIEW_DAYS * 24,
        post_closure_check_hours=s.TIMELINE_POST_CLOSURE_CHECK_DAYS * 24,
        warn_before_fraction=s.DEADLINE_WARN_FRACTION,
        caseload_limit=s.CASELOAD_LIMIT,
        complaint_hours={severity: getattr(s, name) for severity, name in COMPLAINT_HOURS.items()},
    )


def hours_by_risk(raw: str, name: str) -> dict[str, float]:
    """ "high=24,medium=72,low=168" as a dict; ValueError naming the setting unless every risk level has hours > 0."""
    hours: dict[str, float] = {}
    for part in (raw or "").split(","):
        level, sep, value = part.strip().partition("=")
        try:
            number = float(value) if sep else 0.0
        except ValueError:
            number = 0.0
        level = level.strip().lower()
        if level not in CASE_RISK_LEVELS or level in hours or not 0 < number < float("inf"):
            raise ValueError(f"{name} must be high=H,medium=H,low=H with hours above 0; got {raw!r}")
        hours[level] = number
    if set(hours) != set(CASE_RISK_LEVELS):
        raise ValueError(f"{name} must give hours for each of {', '.join(CASE_RISK_LEVELS)}; got {raw!r}")
    return hours


@lru_cache(maxsize=4)
def _cached_mapping(path: str, _stamp: int) -> HandoffMapping:
    return load_mapping(path or None)


def configure_logging(settings: Settings | None = None, role: str = "web") -> None:
    """One log set-up for web, worker and scheduler (LOG_FORMAT: logs.py); quiet the libraries that chatter at INFO.
    ValueError naming LOG_FORMAT when it is neither text nor json."""
    logs.configure((settings or Settings.from_env()).LOG_FORMAT, role)
    # Alembic announces each of its plugins at INFO on every `db upgrade`; only the migrations themselves matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


_current: Runtime | None = None


def bootstrap(settings: Settings | None = None) -> Runtime:
    """The process-wide runtime; explicit settings replace it (tests, CLI with overrides)."""
    global _current
    if settings is not None:
        if _current is not None:
            _current.close()
        _current = Runtime(settings)
    elif _current is None:
        _current = Runtime(Settings.from_env())
    return _current
