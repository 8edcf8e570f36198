"""The indicators the quality framework asks for, computed in one place (pages, CSV, DHIS2 and the API read these):
what came in, how fast it was decided, what became of the cases; the small-cell rule of what may be shown; and
what waits for each person now.

May import: the kernel, people, deadlines, directory, reports, cases, complaints.
"""
