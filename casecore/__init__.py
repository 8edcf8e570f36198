"""The domain and its persistence: organisations, people, reports, the outbox. Knows nothing of Flask."""
