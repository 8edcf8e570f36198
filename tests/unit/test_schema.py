"""Every process knows every table: a worker that imports only what its jobs use can still flush any model."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each foreign key resolved and every table known, in a fresh interpreter that imports only the entry point.
CHECK = """
import {entry}
from sqlalchemy.orm import configure_mappers
from casecore.base import Base
configure_mappers()
for table in Base.metadata.tables.values():
    for key in table.foreign_keys:
        key.column
print(",".join(sorted(Base.metadata.tables)))
"""


@pytest.mark.parametrize("entry", ["workers.worker", "workers.scheduler", "workers.jobs", "app", "bootstrap"])
def test_every_entry_point_knows_every_table(entry):
    from casecore import schema

    done = subprocess.run([sys.executable, "-c", CHECK.format(entry=entry)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().split(",") == sorted(schema.metadata.tables)
