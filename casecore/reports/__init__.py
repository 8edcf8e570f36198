"""What the community tells us: report intake, the committees who report, report alerts to supervisors and the
files received with a report (the queue of new reports is triage/'s).

May import: the kernel, people, messaging, deadlines.
"""
