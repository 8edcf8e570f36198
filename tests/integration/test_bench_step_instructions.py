"""bench/step_instructions.py's sessions, played without valgrind: what it counts must stay the whole USSD path.

Not a benchmark (nothing is counted or timed): valgrind is not on every machine, so the sessions are checked here.
"""
from bench.step_instructions import play
from casecore.db import make_engine, make_session_factory, unit_of_work
from casecore.demo import load_demo
from casecore.reports.models import Report


def test_the_counted_sessions_walk_the_whole_path_to_a_stored_report(sqlite_url, redis_url):
    engine = make_engine(sqlite_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            load_demo(session)
        play(sqlite_url, redis_url, sessions=1)  # every step's answer is checked as bench/load.py checks it
        with unit_of_work(make_session_factory(engine), read_only=True) as session:
            assert session.query(Report).filter(Report.channel_session_id.like("ATUid_instructions_%")).count() == 6
    finally:
        engine.dispose()
