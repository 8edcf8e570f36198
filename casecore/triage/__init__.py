"""The supervisor's triage: the queue of new reports, a report's details, and the decisions on it (accept and
open a case, duplicate, not eligible, refer out).

May import: the kernel, people, messaging, deadlines, directory, reports, cases.
"""
