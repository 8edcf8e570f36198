"""The counters and histograms web processes keep (Prometheus): one set per process, summed across a host's gunicorn
workers when PROMETHEUS_MULTIPROC_DIR is set (gunicorn.conf.py sets it). Labels take values from fixed sets only:
never a number, a name, a reference or anything typed."""
from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# No *_created series: multiprocess mode has none, and one process (make run, the tests) shows the same as several.
disable_created_metrics()

# A USSD step is about a millisecond of CPU; Africa's Talking gives up after a few seconds.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Its _count is the number of requests: no separate counter, one observation per request (an mmap write each).
WEBHOOK_SECONDS = Histogram(
    "relais_webhook_request_duration_seconds",
    "Time to answer a provider's webhook call, by endpoint (the route's name) and HTTP status code.",
    ["endpoint", "code"], buckets=WEBHOOK_BUCKETS)

# continue: the next screen (CON); end: a last screen (END, a report sent among them); error: the polite last screen
# after a failure; refused: no conversation (over a rate limit, too many inputs, an invalid request).
USSD_OUTCOMES = ("continue", "end", "error", "refused")
USSD_STEPS = Counter("relais_ussd_steps", "USSD steps answered, by outcome.", ["outcome"])

# wrong_credentials: an unknown email or a wrong password; account_locked: refused because the account is locked
# for that address; address_throttled: too many failures from the address, nothing checked.
LOGIN_FAILURE_REASONS = ("wrong_credentials", "account_locked", "address_throttled")
LOGIN_FAILURES = Counter("relais_login_failures", "Failed staff logins, by reason.", ["reason"])
LOGIN_LOCKOUTS = Counter("relais_login_lockouts",
                         "Staff accounts locked for an address after LOGIN_MAX_FAILURES failed logins in a row.")

# The children, made once: labels() costs about as much as the observation itself.
_USSD = {outcome: USSD_STEPS.labels(outcome) for outcome in USSD_OUTCOMES}
_LOGIN = {reason: LOGIN_FAILURES.labels(reason) for reason in LOGIN_FAILURE_REASONS}


def count_ussd_step(outcome: str) -> None:
    """One USSD step answered with this outcome (one of USSD_OUTCOMES)."""
    _USSD[outcome].inc()


def count_login_failure(reason: str, locked_now: bool = False) -> None:
    """One failed login for this reason (one of LOGIN_FAILURE_REASONS); locked_now: it locked the account."""
    _LOGIN[reason].inc()
    if locked_now:
        LOGIN_LOCKOUTS.inc()
