"""Packed JSON columns: what is stored reads back exactly, and the format never changes under stored data."""

from __future__ import annotations

import hashlib

import pytest

from sojourn.store import packing
from sojourn.store.packing import pack, unpack

TASK_SCHEDULED = (
    '{"resourceType":"lambda","resource":"invoke.waitForTaskToken","region":"us-east-1","parameters":'
    '"{\\"FunctionName\\":\\"ask\\",\\"Payload\\":{\\"token\\":\\"<task token: redacted>\\",\\"n\\":299}}",'
    '"timeoutInSeconds":99999999}'
)


@pytest.mark.parametrize(
    "text", ["", "1", "null", '{"name":"Ask"}', TASK_SCHEDULED, '{"é":"日本"}' * 50, "x" * 100_000]
)
def test_a_packed_text_unpacks_to_itself(text):
    assert unpack(pack(text)) == text
    assert unpack(memoryview(pack(text))) == text  # as a driver may hand back bytea


def test_a_history_event_is_stored_in_a_fraction_of_its_text():
    assert len(pack(TASK_SCHEDULED)) * 4 < len(TASK_SCHEDULED)


def test_a_text_that_does_not_shrink_is_stored_as_its_utf8():
    assert pack("{}") == b"{}"


def test_text_stored_before_packing_reads_as_it_is():
    assert unpack('{"a":1}') == '{"a":1}'
    assert unpack(None) is None


def test_the_dictionary_stored_values_depend_on_is_unchanged():
    assert hashlib.sha256(packing._DICTIONARY).hexdigest() == (
        "98d919a0f9f33634ce6906858cd352a26ff425ce70601b2276065820f2d36ffe"
    )
