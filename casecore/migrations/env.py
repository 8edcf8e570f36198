"""Alembic environment: runs migrations online against the configured URL."""
from collections import Counter

from alembic import context
from sqlalchemy import text

from casecore import schema
from casecore.db import make_engine

config = context.config


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename): with foreign keys on, dropping a table other
            # tables refer to fails. Off for the migration (outside any transaction, or SQLite ignores it), and
            # the references checked before the migration commits: it may break none that held before.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=schema.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            broken_before = _broken_references(connection) if sqlite else Counter()
            context.run_migrations()
            if sqlite:
                broke = _broken_references(connection) - broken_before
                if broke:
                    raise RuntimeError(f"the migration would break references from {', '.join(sorted(broke))}")
    engine.dispose()


def _broken_references(connection) -> Counter:
    """How many rows of each table refer to a row that is not there."""
    return Counter(row[0] for row in connection.execute(text("PRAGMA foreign_key_check")))


run_migrations_online()
