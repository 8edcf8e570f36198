"""The demo holds an open case the demo family can write to; loading it again adds nothing."""
from sqlalchemy import func, select

from casecore.cases.models import Case, CaseContact
from casecore.cases.opening import find_case_for_phone
from casecore.cases.status import report_status
from casecore.demo import DEMO_CASE_WORKER, DEMO_FAMILY_PHONE, load_demo
from casecore.people.models import User
from casecore.phones import phone_key
from casecore.reports.models import Report


def test_the_demo_has_an_open_case_for_the_demo_family(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        first = load_demo(session, "ML", secret_key="test-secret")
    with any_db_runtime.unit_of_work() as session:
        again = load_demo(session, "ML", secret_key="test-secret")
        assert session.scalar(select(func.count(Case.id))) == 1
        assert session.scalar(select(func.count(Report.id))) == 1
        assert session.scalar(select(func.count(CaseContact.id))) == 1
        case = session.scalar(select(Case))
        worker = session.scalar(select(User).where(User.email == DEMO_CASE_WORKER))
        link = find_case_for_phone(session, DEMO_FAMILY_PHONE)
        assert (link.case_id, link.assigned_to_id) == (case.id, worker.id)
        report = session.get(Report, case.report_id)
        assert report.status == "accepted" and report.alerted_at is not None  # nobody is alerted about demo data
        assert report_status(session, report.reference, phone_key(DEMO_FAMILY_PHONE, "test-secret")) == "accepted"
    assert first.case_reference == again.case_reference == case.reference
    assert first.family_phone == DEMO_FAMILY_PHONE
