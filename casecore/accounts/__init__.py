"""The administrator's work on staff: accounts, teams and logins (and a case worker's open cases follow them
to a new team).

May import: the kernel, people, cases.
"""
