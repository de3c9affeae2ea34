"""Task tokens, in one place: made, hashed, recognised, hidden in stored parameters and redacted.

A token is 256 random bits (`new_token`); Sojourn keeps only its SHA-256 (`hash_token`). The token is
handed to the task once: stored parameters hold a placeholder for it (`hide_token` / `reveal_token`),
and wherever it could be read later (history, the inbox, sent mail) it shows as `REDACTED`. A definition
may also write a token's base64 (`States.Base64Encode`, JSONata's `$base64encode`): each form is handled.
This module imports nothing of Sojourn, so the runtime, mail and the client all may use it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from typing import Any

__all__ = [
    "PLACEHOLDER",
    "PLACEHOLDER_BASE64",
    "REDACTED",
    "hash_token",
    "hide_token",
    "is_token_form",
    "mask_placeholders",
    "new_token",
    "redact_known",
    "redact_token",
    "redact_tokens",
    "reveal_token",
    "token_candidates",
]

PLACEHOLDER = "\x00sojourn:task-token\x00"  # stands for the token in stored parameters
PLACEHOLDER_BASE64 = "\x00sojourn:task-token:base64\x00"  # stands for the token's base64
REDACTED = "<task token: redacted>"  # what history, the inbox and sent mail show where a token was

_FORM = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) makes
_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"
)  # a token's form inside a longer text


def new_token() -> str:
    """An unguessable task token: 256 random bits, never beginning with '-' (a command line would read
    such a token as an option: `sojourn send-task-success <token>`)."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def is_token_form(text: object) -> bool:
    """True when `text` could be a token `new_token` made
    (AWS answers InvalidToken to one it never could have)."""
    return isinstance(text, str) and _FORM.fullmatch(text) is not None


def hash_token(token: str) -> str:
    """The token's SHA-256 in hex: what the store keeps and looks tokens up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_candidates(text: str) -> set[str]:
    """Every substring of `text` shaped like a token
    (an approval link in a mail body); most are not tokens."""
    return set(_IN_TEXT.findall(text))


def _replace(value: Any, old: str, new: str) -> Any:
    """`value` with `old` replaced by `new` in every string (task tokens inside parameters, also where
    `States.Format` wrote one into a longer string such as a link)."""
    if isinstance(value, str):
        return value.replace(old, new) if old in value else value
    if isinstance(value, dict):
        return {key: _replace(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, old, new) for item in value]
    return value


def _forms(token: str) -> list[tuple[str, str]]:
    """The forms a definition can write a token in (as is; its base64), each with the placeholder that
    stands for it in stored parameters."""
    return [(token, PLACEHOLDER), (base64.b64encode(token.encode()).decode(), PLACEHOLDER_BASE64)]


def hide_token(value: Any, token: str) -> Any:
    """`value` with every form of `token` replaced by its placeholder (parameters about to be stored)."""
    for form, placeholder in _forms(token):
        value = _replace(value, form, placeholder)
    return value


def reveal_token(value: Any, token: str) -> Any:
    """`hide_token` undone: the parameters a task is invoked with."""
    for form, placeholder in _forms(token):
        value = _replace(value, placeholder, form)
    return value


def mask_placeholders(value: Any) -> Any:
    """Stored parameters as people may see them (the inbox): each placeholder shown as `REDACTED`."""
    for placeholder in (PLACEHOLDER, PLACEHOLDER_BASE64):
        value = _replace(value, placeholder, REDACTED)
    return value


def redact_token(value: Any, token: str) -> Any:
    """`value` with every form of `token` shown redacted
    (what an answer to that token carries into history)."""
    for form, _ in _forms(token):
        value = _replace(value, form, REDACTED)
    return value


def redact_tokens(details: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    """Event details with each of `tokens` redacted, in each form: history is stored, and tokens are kept
    only as hashes. Tokens and their base64 are JSON-safe, so they cannot straddle escapes in strings."""
    text = json.dumps(details)
    forms = [form for token in tokens for form, _ in _forms(token)]
    if not any(form in text for form in forms):
        return details
    for form in forms:
        text = text.replace(form, REDACTED)
    redacted: dict[str, Any] = json.loads(text)
    return redacted


def redact_known(text: str | None, tokens: list[str]) -> str | None:
    """`text` (a mail body) with each of `tokens` shown as `REDACTED`."""
    for token in tokens:
        text = text.replace(token, REDACTED) if text else text
    return text
