"""The plans and times of the queries /metrics runs at each scrape (casecore.monitoring), on PostgreSQL with --rows
rows in each table they read (reports, outbox, inbox, deadlines, hand-offs), most of them settled, as after months.

    python bench/metrics_queries.py [--rows 100000] [--kept postgresql+psycopg://...]

Prints each statement's EXPLAIN (ANALYZE, BUFFERS) and the total time of one scrape's database readings.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, text  # noqa: E402

from bench.databases import postgres_database  # noqa: E402
from bench.servers import seal_like_the_servers  # noqa: E402

ORGANISATIONS, SUPERVISORS, DAYS = 3, 5, 90


def seed(engine, rows: int) -> None:
    """rows reports spread over DAYS days (a fifth urgent, each with its supervisors' alerts, nearly all sent), and
    as many inbound messages, deadlines and hand-offs, nearly all settled."""
    from casecore.base import utcnow
    from casecore.deadlines.models import CaseDeadline
    from casecore.handoff.models import Handoff
    from casecore.messaging.models import InboundMessage, OutboundMessage
    from casecore.people.models import Organisation, User
    from casecore.reports.alerts import alert_purpose_key
    from casecore.reports.models import Report
    from casecore.sealing import lookup_key

    now, rng = utcnow(), random.Random(22)
    with engine.begin() as conn:
        organisations = [uuid.uuid4() for _ in range(ORGANISATIONS)]
        conn.execute(insert(Organisation), [{"id": o, "slug": f"org-{n}", "name": f"Organisation {n}"}
                                             for n, o in enumerate(organisations)])
        supervisors = {o: [uuid.uuid4() for _ in range(SUPERVISORS)] for o in organisations}
        conn.execute(insert(User), [{"id": u, "organisation_id": o, "email": f"s{n}-{i}@example.org",
                                     "display_name": "Supervisor", "password_hash": "x", "role": "supervisor",
                                     "phone": "+22376000001", "language": "fr", "is_active": True}
                                    for n, o in enumerate(organisations) for i, u in enumerate(supervisors[o])])
    key = lookup_key("+22376701430")
    for start in range(0, rows, 10000):
        reports, outbox, inbox, deadlines, handoffs = [], [], [], [], []
        for n in range(start, min(rows, start + 10000)):
            organisation = organisations[n % ORGANISATIONS]
            received = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
            urgent = rng.random() < 0.2
            report_id = uuid.uuid4()
            reports.append({"id": report_id, "reference": f"R{n:09d}", "organisation_id": organisation,
                            "channel": "ussd", "language": "fr", "concern": "neglect", "danger_now": urgent,
                            "urgent": urgent, "child_sex": "female", "child_age_band": "6_11", "may_contact": False,
                            "consent_to_share": False, "answers": {}, "status": "accepted", "received_at": received,
                            "alerted_at": received})
            for user in supervisors[organisation][:2]:  # two alerts of the five: the outbox holds rows enough
                sent = rng.random() > 0.001
                outbox.append({"id": uuid.uuid4(), "purpose_key": alert_purpose_key(report_id, user),
                               "to_phone": "+22376000001", "to_phone_key": key, "body": "Relais: new report",
                               "backend": "africastalking", "status": "sent" if sent else "failed",
                               "created_at": received, "sent_at": received + timedelta(seconds=20) if sent else None})
            inbox.append({"id": uuid.uuid4(), "provider": "africastalking", "provider_message_id": f"m{n}",
                          "channel": "sms", "phone": "+22376701430", "phone_key": key, "to_address": "21512",
                          "body": "bonjour", "received_at": received,
                          "status": "processed" if rng.random() > 0.0005 else "received"})
            due = received + timedelta(hours=rng.choice((1, 3, 24, 72)))
            deadlines.append({"id": uuid.uuid4(), "report_id": report_id, "kind": "assignment", "due_at": due,
                              "created_at": received, "met_at": due if rng.random() > 0.05 else None})
            handoffs.append({"id": uuid.uuid4(), "report_id": report_id, "organisation_id": organisation,
                             "primero_id": uuid.uuid4(), "trigger": "on_accept",
                             "status": "sent" if rng.random() > 0.001 else "failed", "created_at": received})
        with engine.begin() as conn:
            for model, values in ((Report, reports), (OutboundMessage, outbox), (InboundMessage, inbox),
                                  (CaseDeadline, deadlines), (Handoff, handoffs)):
                conn.execute(insert(model), values)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kept", help="a database already seeded and migrated (its data is left as it is)")
    args = parser.parse_args()
    from casecore.base import utcnow
    from casecore.db import make_engine, make_session_factory, unit_of_work
    from casecore.migrate import upgrade_database
    from casecore.monitoring import (
        deadline_figures,
        handoffs_by_status,
        inbox_waiting,
        oldest_queued_outbound,
        outbox_by_status,
        urgent_alerts,
    )

    seal_like_the_servers()
    with postgres_database(args.kept) as (url, _pid):
        engine = make_engine(url)
        if not args.kept:
            upgrade_database(url)
            started = time.monotonic()
            seed(engine, args.rows)
            print(f"seeded {args.rows} rows a table in {time.monotonic() - started:.0f} s")
        readings = {"inbox_waiting": inbox_waiting, "outbox_by_status": outbox_by_status,
                    "oldest_queued_outbound": oldest_queued_outbound, "handoffs_by_status": handoffs_by_status,
                    "deadline_figures": lambda s: deadline_figures(s, utcnow(), 0.25),
                    "urgent_alerts": lambda s: urgent_alerts(s, utcnow())}
        took = {}
        statements = []
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, statement, parameters, _ctx, _many: statements.append((statement, parameters)))
        for _ in range(3):  # the last round is the one timed: plans and caches warm
            statements.clear()
            with unit_of_work(make_session_factory(engine), read_only=True) as session:
                for name, read in readings.items():
                    started = time.perf_counter()
                    read(session)
                    took[name] = time.perf_counter() - started
        raw = engine.raw_connection()  # the driver's own: what is explained is not recorded again
        try:
            cursor = raw.cursor()
            for statement, parameters in list(statements):
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                print("\n" + statement.strip()[:400])
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join("    " + row[0][:160] for row in cursor.fetchall()))
        finally:
            raw.close()
        print("\none scrape's database readings, in this process (statements, round trips and Python):")
        for name, seconds in took.items():
            print(f"    {name:<24} {seconds * 1000:7.1f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
