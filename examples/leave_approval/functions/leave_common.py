"""Shared by the leave approval functions: the employee directory, the app's own records, the pages.

The directory is a JSON file users edit (`EMPLOYEES_FILE`). The app keeps what Step Functions does
not: which request is pending, which decision link was sent to whom, and the decision taken, in a
small SQLite file (`LEAVE_DB`). Task tokens are kept only as SHA-256 hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class LeaveError(Exception):
    """A request the app refuses: `status` is the HTTP status the route answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def employees() -> dict[str, dict[str, Any]]:
    path = Path(os.environ.get("EMPLOYEES_FILE", HERE.parent / "data" / "employees.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def employee(employee_id: str) -> dict[str, Any]:
    found = employees().get(employee_id)
    if found is None:
        raise LeaveError(404, f"Unknown employee '{employee_id}'")
    return {"id": employee_id, **found}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> date:
    override = os.environ.get("LEAVE_TODAY")  # lets the tests pin the calendar
    return date.fromisoformat(override) if override else datetime.now(UTC).date()


@contextlib.contextmanager
def records() -> Iterator[sqlite3.Connection]:
    path = Path(os.environ.get("LEAVE_DB", ".sojourn/leave.db"))
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        db.executescript(
            """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS requests (
                execution_arn TEXT PRIMARY KEY, employee_id TEXT NOT NULL, date TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS requests_by_day ON requests (employee_id, date);
            CREATE TABLE IF NOT EXISTS links (
                token_hash TEXT PRIMARY KEY, execution_arn TEXT, employee_id TEXT NOT NULL, date TEXT NOT NULL,
                approver_id TEXT NOT NULL, stage TEXT NOT NULL, sent_at TEXT NOT NULL,
                decision TEXT, decided_by TEXT, decided_at TEXT);
            """
        )
        with db:
            yield db
    finally:
        db.close()


def page(title: str, body: str, status: int = 200) -> dict[str, Any]:
    """An API Gateway proxy response carrying a small HTML page."""
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
 body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1f2933; }}
 h1 {{ font-size: 1.4rem; }} dl {{ display: grid; grid-template-columns: max-content auto; gap: .3rem 1rem; }}
 dt {{ color: #52606d; }} button {{ font-size: 1rem; padding: .6rem 1.4rem; border: 0; border-radius: .3rem; color: white; cursor: pointer; }}
 .approved {{ background: #2f855a; }} .denied {{ background: #c53030; }} .note {{ color: #52606d; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{body}
</body></html>"""
    return {"statusCode": status, "headers": {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, "body": document}


def json_response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
