"""Every list of values the web view words has words for exactly its codes: a code added in casecore without words
on the web (or words left for a code that is gone) fails here."""
from __future__ import annotations

import pytest

from app.admin.labels import LOG_LABELS, PEOPLE_LABELS
from app.cases.labels import CASE_LABELS, REFERRAL_STATUS, TRANSFER_STATUS
from app.complaints.labels import COMPLAINT_LABELS
from app.directory.labels import SERVICE_TYPE_LABELS
from app.feedback.labels import ABOUT_LABELS, AUDIENCE_LABELS, GROUP_LABELS
from app.handoff.labels import HANDOFF_LABELS
from app.triage.labels import LABELS, STATUSES
from app.web.words import CHANNELS, LANGUAGES
from casecore import periods, taxonomy
from casecore.accounts.users import STAFF_SEXES
from casecore.cases import listing
from casecore.complaints import queries as complaint_queries
from casecore.feedback import figures as feedback_figures
from casecore.messaging import media, message_log

WORDED = [
    ("channel", CHANNELS, taxonomy.CHANNELS),
    ("language", LANGUAGES, taxonomy.COMMUNITY_LANGUAGES),
    ("concern", LABELS["concern"], taxonomy.PROTECTION_CONCERNS),
    ("child sex", LABELS["sex"], taxonomy.CHILD_SEXES),
    ("age band", LABELS["age"], taxonomy.AGE_BANDS),
    ("report status", LABELS["report_status"], taxonomy.REPORT_STATUSES),
    ("not eligible", LABELS["not_eligible"], taxonomy.NOT_ELIGIBLE_REASONS),
    ("case filter", LABELS["case_filter"], listing.STATUS_FILTERS),
    ("media status", STATUSES, ("pending", *media.FINAL)),
    ("risk", CASE_LABELS["risk"], taxonomy.CASE_RISK_LEVELS),
    ("step", CASE_LABELS["step"], taxonomy.CASE_STEPS),
    ("case status", CASE_LABELS["status"], taxonomy.CASE_STATUSES),
    ("deadline", CASE_LABELS["deadline"], taxonomy.DEADLINE_KINDS),
    ("consent purpose", CASE_LABELS["purpose"], taxonomy.CONSENT_PURPOSES),
    ("consent giver", CASE_LABELS["giver"], taxonomy.CONSENT_GIVERS),
    ("approval decision", CASE_LABELS["decision"], taxonomy.APPROVAL_DECISIONS),
    ("follow-up", CASE_LABELS["follow_up"], taxonomy.FOLLOW_UP_KINDS),
    ("closure reason", CASE_LABELS["closure"], taxonomy.CLOSURE_REASONS),
    ("referral event", CASE_LABELS["referral"], taxonomy.REFERRAL_STATUSES),
    ("referral status", REFERRAL_STATUS, taxonomy.REFERRAL_STATUSES),
    ("transfer status", TRANSFER_STATUS, taxonomy.TRANSFER_STATUSES),
    ("complaint category", COMPLAINT_LABELS["category"], taxonomy.COMPLAINT_CATEGORIES),
    ("complaint severity", COMPLAINT_LABELS["severity"], taxonomy.COMPLAINT_SEVERITIES),
    ("complaint status", COMPLAINT_LABELS["status"], taxonomy.COMPLAINT_STATUSES),
    ("complaint channel", COMPLAINT_LABELS["channel"], taxonomy.COMPLAINT_INTAKE_CHANNELS),
    ("complaint note", COMPLAINT_LABELS["note"], taxonomy.COMPLAINT_NOTE_KINDS),
    ("complaint filter", COMPLAINT_LABELS["filter"], complaint_queries.STATUS_FILTERS),
    ("complaint language", COMPLAINT_LABELS["language"], taxonomy.COMMUNITY_LANGUAGES),
    ("figures period", COMPLAINT_LABELS["period"], periods.PERIODS),
    ("feedback group", GROUP_LABELS, (feedback_figures.CASE_MANAGEMENT, feedback_figures.GENERAL)),
    ("feedback about", ABOUT_LABELS, taxonomy.FEEDBACK_ABOUT),
    ("feedback audience", AUDIENCE_LABELS, taxonomy.FEEDBACK_AUDIENCES),
    ("service type", SERVICE_TYPE_LABELS, taxonomy.SERVICE_TYPES),
    ("role", PEOPLE_LABELS["role"], taxonomy.ROLES),
    ("staff sex", PEOPLE_LABELS["sex"], STAFF_SEXES),
    ("staff language", PEOPLE_LABELS["language"], taxonomy.COMMUNITY_LANGUAGES),
    ("message log", LOG_LABELS, (*message_log.DIRECTIONS, *message_log.STATUSES)),
    ("hand-off status", HANDOFF_LABELS["status"], taxonomy.HANDOFF_STATUSES),
    ("hand-off trigger", HANDOFF_LABELS["trigger"], taxonomy.HANDOFF_MODES),
]


@pytest.mark.parametrize("name, words, codes", WORDED, ids=[name for name, _, _ in WORDED])
def test_the_words_of_a_list_are_for_exactly_its_codes(name, words, codes):
    assert set(words) == set(codes)
