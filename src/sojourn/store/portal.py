"""The approver portal's sign-in links and sessions (tables `portal_sign_in_links`, `portal_sessions`; ours).

Tokens are never stored: rows are keyed by their SHA-256, 32 raw bytes, handed in as hex. A link is used at
most once (`use_sign_in_link` takes it only while unused and unexpired, in one statement); a session lives
until its idle expiry, which each use moves on.
"""

from __future__ import annotations

from typing import Any

from sojourn.store.rows import PortalSessionRow, PortalSignInRow
from sojourn.store.sql import Statements


class PortalVerbs(Statements):
    """The verbs of the portal's sign-in links and sessions."""

    def add_sign_in_link(self, row: PortalSignInRow) -> None:
        """Record a sign-in link just emailed (by its token's hash, in hex)."""
        self._insert("portal_sign_in_links", {**row, "token_hash": bytes.fromhex(row["token_hash"])})

    def sign_in_link(self, token_hash: str) -> PortalSignInRow | None:
        """The sign-in link whose token's hash is `token_hash`, used or not, or None."""
        found: PortalSignInRow | None = _hex(
            self._one("SELECT * FROM portal_sign_in_links WHERE token_hash = ?", (bytes.fromhex(token_hash),))
        )
        return found

    def use_sign_in_link(self, token_hash: str, now: float) -> bool:
        """Mark the link used if it is unused and unexpired at `now`; whether it was (it signs in once)."""
        return bool(
            self._execute(
                "UPDATE portal_sign_in_links SET used_at = ? "
                "WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                (now, bytes.fromhex(token_hash), now),
            ).rowcount
        )

    def unused_sign_in_links(self, email: str, since: float, now: float) -> int:
        """How many links sent to `email` (as stored: casefolded) since `since` are still unused and valid."""
        row = self._one(
            "SELECT COUNT(*) AS n FROM portal_sign_in_links "
            "WHERE email = ? AND created_at >= ? AND used_at IS NULL AND expires_at > ?",
            (email, since, now),
        )
        return int(row["n"])

    def add_portal_session(self, row: PortalSessionRow) -> None:
        """Record a new session (by its token's hash, in hex)."""
        self._insert("portal_sessions", {**row, "token_hash": bytes.fromhex(row["token_hash"])})

    def portal_session(self, token_hash: str, now: float) -> PortalSessionRow | None:
        """The session whose token's hash is `token_hash`, if it has not expired at `now`."""
        found: PortalSessionRow | None = _hex(
            self._one(
                "SELECT * FROM portal_sessions WHERE token_hash = ? AND expires_at > ?",
                (bytes.fromhex(token_hash), now),
            )
        )
        return found

    def touch_portal_session(self, token_hash: str, seen_at: float, expires_at: float) -> None:
        """Move a session's idle expiry on: it was used at `seen_at`."""
        self._update(
            "portal_sessions",
            {"token_hash": bytes.fromhex(token_hash)},
            {"seen_at": seen_at, "expires_at": expires_at},
        )

    def end_portal_session(self, token_hash: str) -> None:
        """Forget a session (signed out)."""
        self._execute("DELETE FROM portal_sessions WHERE token_hash = ?", (bytes.fromhex(token_hash),))

    def forget_expired_portal_rows(self, before: float) -> None:
        """Delete the sign-in links and sessions that expired before `before`."""
        for table in ("portal_sign_in_links", "portal_sessions"):
            self._execute(f"DELETE FROM {table} WHERE expires_at < ?", (before,))

    def assignee_by_email(self, email: str) -> dict[str, str] | None:
        """The latest `{person, name, email}` asked on some task under the address `email` (any case), or
        None: someone from outside the directory may sign in to the portal to see what they are asked."""
        row: dict[str, str] | None = self._one(
            "SELECT person, name, email FROM human_task_assignees WHERE lower(email) = lower(?) "
            "ORDER BY asked_at DESC LIMIT 1",
            (email,),
        )
        return row


def _hex(row: Any) -> Any:
    """A row as the store's callers see it: the token's hash in hex."""
    if row is not None:
        row["token_hash"] = bytes(row["token_hash"]).hex()
    return row
