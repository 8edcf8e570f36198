"""A case from opening to closure: who may see it (access), case work, approvals, assignment, transfers,
referrals, messages and surveys to the family, deadline alerts, the case page and list, the audit trail's reads.

May import: the kernel, people, messaging, deadlines, directory, reports.
"""
