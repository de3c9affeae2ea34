"""Write data/schema_0002.json: the rows Sojourn stored, before migration 0003,
after `migration_workload.begin`.

Run with the code of that time first on the path (commit bfeb1e7, the last before 0003):

    git archive bfeb1e7 src | tar -x -C /tmp/sojourn-0002
    PYTHONPATH=/tmp/sojourn-0002/src:tests/store .venv/bin/python tests/store/make_schema_0002_fixture.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import migration_workload as workload

from sojourn.client import Client

TABLES = ("state_machines", "activities", "executions", "runs", "events", "work", "tokens", "activity_tasks")


class Clock:
    now = workload.START

    def __call__(self) -> float:
        return self.now


def main() -> None:
    clock, tokens = Clock(), {}
    with tempfile.TemporaryDirectory() as folder:
        client = Client(
            f"sqlite:///{folder}/old.db", resources=workload.resources(tokens), clock=clock, start=False
        )
        workload.begin(client, clock, tokens)
        with client.store.transaction() as tx:
            migrations = [row["name"] for row in tx.all("SELECT name FROM schema_migrations ORDER BY name")]
            if "0003_compact_executions.sql" in migrations:
                sys.exit("run this with the code from before migration 0003 first on PYTHONPATH")
            rows = {table: tx.all(f"SELECT * FROM {table}") for table in TABLES}
        client.close()
    fixture = {"migrations": migrations, "clock": clock.now, "tokens": tokens, "rows": rows}
    target = Path(__file__).parent / "data" / "schema_0002.json"
    target.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}: " + ", ".join(f"{len(found)} {table}" for table, found in rows.items()))


if __name__ == "__main__":
    main()
