"""Lists of values that other rules rely on."""
from casecore import taxonomy


def test_sensitive_complaints_are_complaint_categories():
    assert taxonomy.SENSITIVE_COMPLAINT_CATEGORIES < set(taxonomy.COMPLAINT_CATEGORIES)
    assert {"service_quality", "no_response", "other"}.isdisjoint(taxonomy.SENSITIVE_COMPLAINT_CATEGORIES)


def test_message_channels_are_channels_and_new_is_the_first_report_status():
    assert set(taxonomy.MESSAGE_CHANNELS) < set(taxonomy.CHANNELS)
    assert taxonomy.REPORT_STATUSES[0] == "new" and "accepted" in taxonomy.REPORT_STATUSES
    assert "focal_point" in taxonomy.ROLES
