"""How the store keeps JSON columns small: deflated against a preset dictionary when that is shorter.

An execution's history details, interpreter frames and token parameters are short JSON texts that
repeat the same keys (`resourceType`, `inputDetails`, `"truncated":false`...). Deflate alone gains
little on a hundred bytes; primed with a dictionary of those keys it stores a fifth of them
(a TaskScheduled event: 214 -> 42 bytes). A stored value is bytes: a 0x00 byte then raw deflate
(JSON text never begins with 0x00), or else the text's UTF-8. Text written before this (SQLite
columns kept their text) reads as it is.
"""

from __future__ import annotations

import zlib

__all__ = ["pack", "unpack"]

_DEFLATED = b"\x00"  # followed by raw deflate (no zlib header) primed with _DICTIONARY
# Stored values depend on these bytes: never change them (a new dictionary needs a new marker byte).
# Deflate codes matches nearest the dictionary's end in the fewest bits: the most common go last.
_DICTIONARY = (
    b'"error":"States.","cause":"","heartbeatInSeconds":"timeoutInSeconds":99999999,'
    b'"resourceType":"lambda","resource":"arn:aws:states:::","region":"us-east-1",'
    b'"Payload":{"token":"\\u0000sojourn:task-token\\u0000","\\"<task token: redacted>\\"'
    b'"m":"","state":"","input":{"vars":{},"entered":"2026-01-01T00:00:00.000Z",'
    b'"retries":{},"retry_count":0,"entered_id":"phase":"task"}'
    b'"name":"","input":"{\\"","inputDetails":{"truncated":false}}'
    b'"output":"null","outputDetails":{"truncated":false}}'
    b'{"resourceType":"lambda","resource":"invoke.waitForTaskToken","parameters":"{\\"FunctionName\\":\\"'
)


def pack(text: str) -> bytes:
    """`text` as stored: deflated when that is shorter."""
    raw = text.encode()
    # A 1 KB window holds the dictionary and a short text;
    # the default 32 KB one costs 70 us to set up, this 3 us
    deflater = zlib.compressobj(9, zlib.DEFLATED, -10, 1, zlib.Z_DEFAULT_STRATEGY, _DICTIONARY)
    deflated = deflater.compress(raw) + deflater.flush()
    return _DEFLATED + deflated if len(deflated) + 1 < len(raw) else raw


def unpack(stored: bytes | memoryview | str | None) -> str | None:
    """The text `pack` stored (or text stored before packing)."""
    if stored is None or isinstance(stored, str):
        return stored
    stored = bytes(stored)
    if stored[:1] == _DEFLATED:
        inflater = zlib.decompressobj(-15, _DICTIONARY)
        return (inflater.decompress(stored[1:]) + inflater.flush()).decode()
    return stored.decode()
