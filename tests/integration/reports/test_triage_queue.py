"""The triage queue on each database: by assignment date, the most overdue first; counts; filters; pages."""
from __future__ import annotations

from datetime import timedelta

from casecore.base import utcnow
from casecore.deadlines.timelines import schedule
from casecore.triage.queries import QueueFilters, queue_counts, triage_queue
from tests.factories import make_locations, make_organisation, make_report


def test_the_queue_is_ordered_by_assignment_date_counted_filtered_and_paged(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        make_locations(session)
        org = make_organisation(session)
        made = {}
        for name, hours, urgent, place in (("soon", 2, True, "ML090102"), ("late", -1, False, None),
                                           ("later", 10, False, "ML090102"), ("latest", -4, True, None),
                                           ("undated", None, False, "ML090102")):
            report = make_report(session, organisation_slug=org.slug, danger_now=urgent, location_code=place)
            if hours is not None:
                schedule(session, "assignment", now + timedelta(hours=hours), report_id=report.id)
            made[report.id] = name
    with any_db_runtime.unit_of_work(read_only=True) as session:
        everything = triage_queue(session, org.id)
        assert [made[row.id] for row in everything.rows] == ["latest", "late", "soon", "later", "undated"]
        counts = queue_counts(session, org.id, now)
        assert (counts.new, counts.urgent, counts.overdue) == (5, 2, 2)
        in_region = triage_queue(session, org.id, QueueFilters(region="ML09", urgency="not_urgent"))
        assert [made[row.id] for row in in_region.rows] == ["later", "undated"]
        first = triage_queue(session, org.id, page_size=2)
        third = triage_queue(session, org.id, QueueFilters(page=3), page_size=2)
        assert first.has_next and not third.has_next and [made[r.id] for r in third.rows] == ["undated"]
