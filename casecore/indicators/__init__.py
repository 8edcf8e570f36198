"""The indicators the quality framework asks for, computed in one place (pages, CSV, DHIS2 and the API read these):
what came in, how fast it was decided, what became of the cases; and the small-cell rule of what may be shown.

May import: the kernel, people, deadlines, directory, reports, cases.
"""
