"""The domain and its persistence, by feature; knows nothing of Flask, providers or conversations.

The kernel is the top-level modules: base (the one Base), db, ids, errors, audit, form_once, free_text, i18n,
phones, references, paging, cache, sealing (personal data sealed at rest), taxonomy (the inter-agency lists of
values), migrate and migrations/. Then the feature packages, each importing only the kernel and the packages before
it: people, messaging, deadlines, directory, reports, cases, triage, feedback; complaints (people, messaging,
deadlines); accounts (people, cases). schema (every models module, for Alembic), demo, retention and rekey stand
above them all. tests/unit/test_layout.py checks it.
"""
