"""Sojourn: durable, self-hosted workflows that wait for people.

The Amazon States Language and the Step Functions API in Python, on SQLite or PostgreSQL.
`sojourn.run` executes a definition in memory; `sojourn.Client` is the durable engine with
boto3's Step Functions interface.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Client", "Result", "VirtualClock", "__version__", "run"]


def __getattr__(name: str) -> Any:
    # Imported on first use so that `import sojourn` stays cheap for functions and the CLI.
    if name in ("run", "Result", "VirtualClock"):
        from sojourn import runner

        return getattr(runner, name)
    if name == "Client":
        from sojourn.client import Client

        return Client
    raise AttributeError(f"module 'sojourn' has no attribute {name!r}")
