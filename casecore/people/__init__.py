"""Who exists: organisations, the places of the administrative hierarchy, staff, teams and their roles.

The read side and the rules every feature needs about people (the administrator's writes are in accounts/).
May import: the kernel (casecore's top-level modules) only.
"""
