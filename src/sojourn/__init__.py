"""Sojourn: durable, self-hosted workflows that wait for people.

The Amazon States Language and the Step Functions API in Python, on SQLite or PostgreSQL.
"""

__version__ = "0.1.0"
