"""The approver portal's sign-in (Sojourn's own; issue 14): one-time links emailed to people, no passwords.

Asking for a link always answers the same (nobody learns from it whether an address may sign in); a link is
emailed only to a person of the directory or an address asked on some task, at most `SIGN_IN_LIMIT` unused
ones per address in `SIGN_IN_SECONDS`. A link signs in once, within `SIGN_IN_SECONDS`, and only through
`start_portal_session` (the page's POST): opening it changes nothing, so mail scanners sign no one in. A
session lasts until it has been idle `SESSION_IDLE_SECONDS`. Links and sessions are 256 random bits, kept
only as their SHA-256; the clock is the context's, so expiry follows a test's virtual clock.
"""

from __future__ import annotations

import re
from typing import Any

from sojourn import errors as E
from sojourn.backend.common import Context, date
from sojourn.directory import Directory
from sojourn.humantasks import notices, tasks
from sojourn.mail.outbox import enqueue_in
from sojourn.store.base import Tx
from sojourn.store.rows import PortalSessionRow
from sojourn.tokens import hash_token, is_token_form, new_token

__all__ = ["SESSION_IDLE_SECONDS", "SIGN_IN_LIMIT", "SIGN_IN_PATH", "SIGN_IN_SECONDS", "Portal"]

SIGN_IN_PATH = "/signin/"  # under the portal: /tasks/signin/<token>
SIGN_IN_SECONDS = 15 * 60
SIGN_IN_LIMIT = 5  # unused links per address within SIGN_IN_SECONDS
SESSION_IDLE_SECONDS = 12 * 3600
TOUCH_SECONDS = 60  # a session's use is recorded at most this often
LINK_GONE = "This sign-in link has expired or was already used: ask for a new one."
SIGNED_OUT = "You are not signed in, or your session has expired."
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


class Portal:
    """Sign-in links and sessions of the approver portal."""

    def __init__(self, ctx: Context, directory: Directory):
        self.ctx = ctx
        self.directory = directory

    def request_portal_sign_in(self, *, email: str) -> dict[str, Any]:
        """Email a sign-in link to `email` if it may sign in and has not asked too often; `{}` whatever
        happened (the answer never tells which)."""
        address = email.strip() if isinstance(email, str) else ""
        if len(address) > 254 or not _EMAIL.fullmatch(address):
            return {}
        now = self.ctx.clock()
        with self.ctx.store.transaction() as tx:
            who = self._who(tx, address)
            if who is None:
                return {}
            tx.forget_expired_portal_rows(now)
            key = who["email"].casefold()
            if tx.unused_sign_in_links(key, now - SIGN_IN_SECONDS, now) >= SIGN_IN_LIMIT:
                return {}
            token = new_token()
            tx.add_sign_in_link(
                {
                    "token_hash": hash_token(token),
                    "person": who["person"],
                    "email": key,
                    "name": who["name"],
                    "created_at": now,
                    "expires_at": now + SIGN_IN_SECONDS,
                    "used_at": None,
                }
            )
            url = tasks.portal_url(self.ctx.settings.public_base_url, SIGN_IN_PATH + token)
            message = notices.sign_in(who["email"], who["name"], url, SIGN_IN_SECONDS // 60)
            enqueue_in(tx, message, now=now)
        return {}

    def describe_portal_sign_in(self, *, token: str) -> dict[str, Any]:
        """Whom a sign-in link would sign in (`person`, `name`, `email`, `expiryDate`); nothing changes.
        InvalidToken when it is unknown, used or expired."""
        with self.ctx.store.transaction(write=False) as tx:
            link = tx.sign_in_link(hash_token(token)) if is_token_form(token) else None
        if link is None or link["used_at"] is not None or link["expires_at"] <= self.ctx.clock():
            raise E.InvalidToken(LINK_GONE)
        return {
            "person": link["person"],
            "name": link["name"],
            "email": link["email"],
            "expiryDate": date(link["expires_at"]),
        }

    def start_portal_session(self, *, token: str) -> dict[str, Any]:
        """Use a sign-in link (once) to open a session: `{"sessionToken", "person", "name", "email",
        "expiryDate"}`; the session token is handed out here only. InvalidToken when the link cannot."""
        now = self.ctx.clock()
        session = new_token()
        with self.ctx.store.transaction() as tx:
            link = tx.sign_in_link(hash_token(token)) if is_token_form(token) else None
            if link is None or not tx.use_sign_in_link(link["token_hash"], now):
                raise E.InvalidToken(LINK_GONE)
            row: PortalSessionRow = {
                "token_hash": hash_token(session),
                "person": link["person"],
                "email": link["email"],
                "name": link["name"],
                "created_at": now,
                "seen_at": now,
                "expires_at": now + SESSION_IDLE_SECONDS,
            }
            tx.add_portal_session(row)
        return {"sessionToken": session, **_described(row)}

    def check_portal_session(self, *, sessionToken: str) -> dict[str, Any]:
        """The person a session signs in (`person`, `name`, `email`, `expiryDate`), its idle expiry moved
        on; InvalidToken when it is unknown, ended or expired."""
        now = self.ctx.clock()
        wanted = hash_token(sessionToken) if is_token_form(sessionToken) else None
        with self.ctx.store.transaction(write=False) as tx:
            row = tx.portal_session(wanted, now) if wanted else None
        if row is None:
            raise E.InvalidToken(SIGNED_OUT)
        if now - row["seen_at"] >= TOUCH_SECONDS:
            row = {**row, "seen_at": now, "expires_at": now + SESSION_IDLE_SECONDS}
            with self.ctx.store.transaction() as tx:
                tx.touch_portal_session(row["token_hash"], row["seen_at"], row["expires_at"])
        return _described(row)

    def end_portal_session(self, *, sessionToken: str) -> dict[str, Any]:
        """Sign out: the session stops working at once. `{}`, also for a session already gone."""
        if is_token_form(sessionToken):
            with self.ctx.store.transaction() as tx:
                tx.end_portal_session(hash_token(sessionToken))
        return {}

    def _who(self, tx: Tx, address: str) -> dict[str, str] | None:
        """Who signs in with `address`: the directory's person with that email, else the latest assignee
        asked under it; None for anyone else."""
        wanted = address.casefold()
        known = next((p for p in self.directory.people.values() if p.email.casefold() == wanted), None)
        if known is not None:
            return {"person": known.id, "name": known.display, "email": known.email}
        asked = tx.assignee_by_email(address)
        if asked is None:
            return None
        return {"person": asked["person"], "name": asked["name"] or asked["email"], "email": asked["email"]}


def _described(row: PortalSessionRow) -> dict[str, Any]:
    return {
        "person": row["person"],
        "name": row["name"],
        "email": row["email"],
        "expiryDate": date(row["expires_at"]),
    }
