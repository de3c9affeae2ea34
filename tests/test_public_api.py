"""The public surface of `sojourn` is pinned: what users import must keep working."""

from __future__ import annotations

import sojourn


def test_the_public_names_are_exactly_these_and_all_resolve():
    assert sorted(sojourn.__all__) == ["Client", "Result", "VirtualClock", "__version__", "run"]
    for name in sojourn.__all__:
        assert getattr(sojourn, name) is not None
