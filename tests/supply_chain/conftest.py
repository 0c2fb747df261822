from datetime import date

import pytest

from tests.helpers import add_user, login
from tests.world import World, make_world


@pytest.fixture()
def admin(client, db) -> dict[str, str]:
    """An admin's auth headers, for tests that need no world (validation happens before any
    record is looked up, so ids in their URLs need not exist)."""
    add_user(db, "admin", "admin")
    return login(client, "admin")


@pytest.fixture()
def world(client, db) -> World:
    """The world without its suspended member, contract A from 2024-04-01 to 2029-03-31: the
    set-up's own tests list every organisation, member and status change it holds."""
    return make_world(client, db, contract_a_dates=(date(2024, 4, 1), date(2029, 3, 31)),
                      suspended_member=False)
