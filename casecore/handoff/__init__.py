"""Hand-off to a case management system (CPIMS+, which is Primero v2): what each Relais code becomes in one
instance (mapping), checked against what the instance holds.

May import: the kernel, people, messaging, deadlines, directory, reports, cases.
"""
