"""`Message`: one email as Sojourn queues it, checked when it is made; and its MIME form for SMTP."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses

__all__ = ["Message", "bare_address"]

# A practical addr-spec: a dot-atom local part and a domain of letters/digits/hyphens (IDN allowed).
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)*")


def _address(value: object, field: str) -> str:
    """`value` as one address, "Name <user@host>" or "user@host"; ValueError naming the field otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: an email address must be a non-empty string, got {value!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"{field}: an email address cannot contain a line break: {value!r}")
    parsed = getaddresses([value])
    if len(parsed) != 1 or not _ADDRESS.fullmatch(parsed[0][1]):
        raise ValueError(
            f"{field}: {value!r} is not one valid email address (expected user@host or 'Name <user@host>')"
        )
    name, address = parsed[0]
    return formataddr((name, address)) if name else address


def _addresses(values: Iterable[str] | str | None, field: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):  # one address given where a list is expected
        values = [values]
    if not isinstance(values, Iterable):
        raise ValueError(f"{field}: expected a list of email addresses, got {values!r}")
    return tuple(_address(value, field) for value in values)


def bare_address(address: str) -> str:
    """The addr-spec of "Name <user@host>", lower-cased (how the mailbox indexes recipients)."""
    return getaddresses([address])[0][1].lower()


@dataclass(frozen=True)
class Message:
    """An email: recipients, subject and an HTML and/or text body. `sender` None means the configured sender.

    Made with lists or single strings for the address fields; stored as tuples of checked addresses.
    """

    to: tuple[str, ...]
    subject: str
    html: str | None = None
    text: str | None = None
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    sender: str | None = None
    reply_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field in ("to", "cc", "bcc", "reply_to"):
            object.__setattr__(self, field, _addresses(getattr(self, field), field))
        if self.sender is not None:
            object.__setattr__(self, "sender", _address(self.sender, "sender"))
        if not (self.to or self.cc or self.bcc):
            raise ValueError("a message needs at least one recipient (to, cc or bcc)")
        if not isinstance(self.subject, str):
            raise ValueError(f"subject: expected a string, got {self.subject!r}")
        if "\r" in self.subject or "\n" in self.subject:
            raise ValueError("subject: cannot contain a line break")
        for field in ("html", "text"):
            if getattr(self, field) is not None and not isinstance(getattr(self, field), str):
                raise ValueError(f"{field}: expected a string, got {type(getattr(self, field)).__name__}")
        if not (self.html or self.text):
            raise ValueError("a message needs a body: html, text or both")

    @property
    def recipients(self) -> list[str]:
        """Every envelope recipient (To, Cc and Bcc), bare and lower-cased, without repeats."""
        return list(dict.fromkeys(bare_address(address) for address in (*self.to, *self.cc, *self.bcc)))

    def to_mime(self, message_id: str, sender: str, created: float) -> EmailMessage:
        """The message as SMTP sends it: text and HTML as alternatives, Bcc only in the envelope.

        The Message-ID header is derived from Sojourn's id, so a copy sent again after a crash carries the
        same one (mail clients and servers may then drop the duplicate)."""
        mime = EmailMessage()
        mime["From"] = sender
        if self.to:
            mime["To"] = ", ".join(self.to)
        if self.cc:
            mime["Cc"] = ", ".join(self.cc)
        if self.reply_to:
            mime["Reply-To"] = ", ".join(self.reply_to)
        mime["Subject"] = self.subject
        mime["Date"] = format_datetime(datetime.fromtimestamp(created, UTC))
        domain = bare_address(sender).rpartition("@")[2] or "sojourn.local"
        mime["Message-ID"] = f"<{message_id}@{domain}>"
        if self.text is not None:
            mime.set_content(self.text)
            if self.html is not None:
                mime.add_alternative(self.html, subtype="html")
        else:
            mime.set_content(self.html or "", subtype="html")
        return mime
