"""The administrator's work on staff: accounts, teams and logins. Moving a case worker to another team moves their
open cases with them (the rule itself is cases/assignment.py's cases_follow).

May import: the kernel, people, cases.
"""
