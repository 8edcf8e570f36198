"""Configuration read from the environment, with defaults that run locally with nothing set."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every setting Relais reads; field names are the environment variable names."""

    DATABASE_URL: str = f"sqlite:///{INSTANCE / 'relais.db'}"
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    SECRET_KEY: str = ""
    SMS_BACKEND: str = "console"  # console | africastalking
    AT_USERNAME: str = "sandbox"
    AT_API_KEY: str = ""
    AT_SENDER_ID: str = ""
    AT_API_URL: str = "https://api.sandbox.africastalking.com/version1/messaging"
    AT_WEBHOOK_TOKEN: str = ""
    DEFAULT_REGION: str = "ML"
    DEFAULT_LANGUAGE: str = "fr"
    # Slug of the organisation that receives community reports when several exist.
    DEFAULT_ORGANISATION: str = ""
    # Phone numbers read out on the last screen of a report (comma-separated, e.g. the child helpline).
    EMERGENCY_CONTACTS: str = "116"
    SESSION_COOKIE_SECURE: bool = False
    # Seconds an outbound HTTP call to a provider may take before it counts as a timeout.
    PROVIDER_TIMEOUT: float = 10.0
    # How long a received report may wait for its alert before the scheduler enqueues it again.
    ALERT_SWEEP_AFTER_SECONDS: int = 60
    SCHEDULER_INTERVAL_SECONDS: int = 30
    QUEUE_NAME: str = "relais"
    # Seconds a web process keeps reference data (location menus, the receiving organisation) before rereading it.
    PLACES_CACHE_SECONDS: float = 60.0

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
    def emergency_contacts(self) -> tuple[str, ...]:
        """The configured emergency numbers, in order."""
        return tuple(c.strip() for c in self.EMERGENCY_CONTACTS.split(",") if c.strip())

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.DATABASE_URL.startswith("sqlite")
