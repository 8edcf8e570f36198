"""What a staff password must be: long (12 characters at least), not one of the passwords people use most, and
not the account's email. Accounts open children's records: a guessable password is an open door."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from casecore.i18n import N_

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
TOO_SHORT = N_("The password must have at least 12 characters.")
TOO_LONG = N_("The password must have at most 256 characters.")
COMMON = N_("This password is one of the most common ones: choose another.")
LIKE_EMAIL = N_("The password must not be the email or contain it.")
# Passwords common where Relais is used that the general lists may miss (compared as the others are).
LOCAL_COMMON = ("motdepasse", "motdepasse123", "bamako", "bamako2024", "bamako2025", "bamako2026", "mali",
                "malikoura", "relais", "relais123", "protection", "protectionenfant", "enfant", "bonjour",
                "azertyuiop", "qwertyuiop", "wagadu", "koulikoro", "sikasso", "segou", "mopti", "kayes")


def password_problem(password: str | None, email: str | None = None) -> str | None:
    """Why password may not be used, as a sentence to show (a msgid of the web catalogue), or None when it may."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return TOO_LONG
    folded = "".join(password.casefold().split())
    # "Password2024!" is "password" to whoever guesses: digits and signs around a common word add little.
    core = folded.strip("0123456789!?.@#$%&*_-+=")
    if folded in _common() or core in _common():
        return COMMON
    address = "".join((email or "").casefold().split())
    local = address.split("@")[0]
    if address and (address in folded or (len(local) >= 4 and local in folded)):
        return LIKE_EMAIL
    return None


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """The 30,000 most common passwords (common_passwords.txt, from zxcvbn's lists) and the local ones: read on the
    first password checked, not by every process that imports this."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#")) | frozenset(LOCAL_COMMON)
