from tests.api.conftest import callers, case, client, person  # noqa: F401  (the same people and cases)
