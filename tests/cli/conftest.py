"""The CLI's tests run against the API tests' real `sojourn serve` (one per module)."""

from api.conftest import server  # noqa: F401  (a fixture)
