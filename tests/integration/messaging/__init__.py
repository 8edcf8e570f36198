"""The inbox, the outbox and what providers answer, on a real database and Redis."""
