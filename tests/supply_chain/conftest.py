import pytest

from tests.helpers import add_user, login


@pytest.fixture()
def admin(client, db) -> dict[str, str]:
    """An admin's auth headers, for tests that need no world (validation happens before any
    record is looked up, so ids in their URLs need not exist)."""
    add_user(db, "admin", "admin")
    return login(client, "admin")
