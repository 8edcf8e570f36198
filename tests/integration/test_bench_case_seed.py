"""bench/case_seed.py on a tiny scale, on both databases: the world `make bench-cases` measures is coherent.

Not a benchmark (nothing is timed): the seeder and what the benchmark reads back must keep working as the
schema grows, and the figures in README.md depend on them.
"""
from sqlalchemy import create_engine, func, select

from bench.case_seed import EMAIL_DOMAIN, Scale, describe, is_seeded, seed
from casecore.cases.models import Case, CaseEvent
from casecore.people.models import Team, User
from casecore.reports.models import Report

TINY = Scale(reports=300, cases=60, new_reports=20, organisations=2, supervisors=3, caseworkers=6,
             services_per_organisation=5, committee_members_per_organisation=3, heaviest_events=40)


def test_the_seeded_world_is_what_the_benchmark_expects(database_url):
    assert not is_seeded(database_url)
    seeded = seed(database_url, TINY, rng_seed=1)
    assert is_seeded(database_url)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        def count(table, *where):
            return conn.scalar(select(func.count()).select_from(table).where(*where))

        assert count(Report) == 300 and count(Case) == 60
        assert count(Report, Report.status == "new") == 20
        # Every case comes from an accepted report of its own organisation, and is in its case worker's team.
        assert count(Case.__table__.join(Report, Report.id == Case.report_id),
                     Report.status == "accepted", Report.organisation_id == Case.organisation_id) == 60
        assert count(Case.__table__.join(User, User.id == Case.assigned_to_id), User.team_id == Case.team_id) == 60
        worker_id = conn.scalar(select(User.id).where(User.email == seeded.caseworker))
        assert sorted(seeded.caseworker_cases) == sorted(conn.scalars(
            select(Case.id).where(Case.assigned_to_id == worker_id)))
        events = dict(conn.execute(select(CaseEvent.case_id, func.count()).group_by(CaseEvent.case_id)).all())
        assert events[seeded.heaviest_case] == max(events[case_id] for case_id in seeded.caseworker_cases)
        # The measured case worker is in the measured supervisor's team, and so are the supervisor's sampled cases.
        team_id = conn.scalar(select(Team.id).join(User, User.id == Team.supervisor_id)
                              .where(User.email == seeded.supervisor))
        assert conn.scalar(select(User.team_id).where(User.id == worker_id)) == team_id
        assert seeded.team_case_sample and set(conn.scalars(
            select(Case.team_id).where(Case.id.in_(seeded.team_case_sample)))) == {team_id}
    engine.dispose()
    assert seeded.supervisor.endswith(EMAIL_DOMAIN) and seeded.new_in_queue > 0
    assert seeded.counts["case_event"] > 60 and seeded.counts["case_deadline"] > 300
    # Read back from the database alone, a kept database gives the same logins and cases.
    again = describe(database_url)
    assert (again.caseworker, again.heaviest_case, again.caseworker_cases) == (
        seeded.caseworker, seeded.heaviest_case, seeded.caseworker_cases)


def test_the_same_seed_gives_the_same_world(database_url, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    from casecore.migrate import upgrade_database

    upgrade_database(other)
    first, second = seed(database_url, TINY, rng_seed=7), seed(other, TINY, rng_seed=7)
    assert (first.caseworker, first.caseworker_cases, first.heaviest_case, first.counts) == (
        second.caseworker, second.caseworker_cases, second.heaviest_case, second.counts)
