"""The supervisor's decisions on a new report (accept and open a case, duplicate, not eligible, refer out) and
the reads that back them.

May import: the kernel, people, messaging, deadlines, directory, reports, cases.
"""
