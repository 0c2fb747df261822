"""The dashboard's test fixtures: a signed-in TestClient for any role, and flags with nested
evidence (defined beside the flag-page tests that introduced them)."""

from tests.dashboard.test_flag_pages import dashboard, nested_flags  # noqa: F401
