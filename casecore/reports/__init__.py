"""What the community tells us: report intake, the committees who report, report alerts to supervisors, the
triage queue's reads and the files received with a report.

May import: the kernel, people, messaging, deadlines.
"""
