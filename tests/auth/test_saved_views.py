"""Saved views: each user's own, named uniquely, deletable; another user's view is not found."""

import pytest
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.saved_views import delete_view, list_views, save_view
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from tests.helpers import add_user

PREFIX = "/dashboard/"
LEAGUE = "/dashboard/league?contract=1&horizon=6&sort=rate:desc"


def _admin(db: Session, username: str) -> Principal:
    return Principal(role="admin", organisation_id=None, user_id=add_user(db, username, "admin"),
                     username=username)


def test_a_user_sees_and_deletes_only_their_own_views(db: Session) -> None:
    ann, bob = _admin(db, "ann"), _admin(db, "bob")
    mine = save_view(db, ann, "  League,   6 months ", LEAGUE, PREFIX)
    save_view(db, bob, "League, 6 months", "/dashboard/milestones", PREFIX)

    assert [(v.name, v.url) for v in list_views(db, ann)] == [("League, 6 months", LEAGUE)]
    assert [v.url for v in list_views(db, bob)] == ["/dashboard/milestones"]
    # Bob cannot delete Ann's view by its id: it answers as if it did not exist.
    with pytest.raises(NotFound) as refused:
        delete_view(db, bob, mine.public_id)
    assert refused.value.detail == "no such saved view"
    with pytest.raises(NotFound):
        delete_view(db, bob, "not-an-id")
    assert len(list_views(db, ann)) == 1

    delete_view(db, ann, mine.public_id)
    assert list_views(db, ann) == []
    with pytest.raises(NotFound):
        delete_view(db, ann, mine.public_id)
    assert len(list_views(db, bob)) == 1


def test_names_are_unique_per_user_and_checked(db: Session) -> None:
    ann, bob = _admin(db, "ann"), _admin(db, "bob")
    save_view(db, ann, "Weekly", LEAGUE, PREFIX)
    with pytest.raises(Conflict, match="already have a view called 'Weekly'"):
        save_view(db, ann, " Weekly ", "/dashboard/milestones", PREFIX)
    save_view(db, bob, "Weekly", LEAGUE, PREFIX)  # another user's names are no obstacle
    with pytest.raises(Invalid, match="give the view a name"):
        save_view(db, ann, "   ", LEAGUE, PREFIX)
    with pytest.raises(Invalid, match="at most 100 characters"):
        save_view(db, ann, "x" * 101, LEAGUE, PREFIX)
    with pytest.raises(Invalid, match="control characters"):
        save_view(db, ann, "bad\x00name", LEAGUE, PREFIX)
    for elsewhere in ("https://evil.example/dashboard/", "//evil.example/dashboard/",
                      "/api/v1/auth/me", "/dashboard/\\evil"):
        with pytest.raises(Invalid, match="dashboard page's path"):
            save_view(db, ann, "Elsewhere", elsewhere, PREFIX)
    assert [v.name for v in list_views(db, ann)] == ["Weekly"]


def test_an_api_key_has_no_views(db: Session) -> None:
    key = Principal(role="admin", organisation_id=None, api_key_id=1)
    with pytest.raises(Forbidden):
        list_views(db, key)
    with pytest.raises(Forbidden):
        save_view(db, key, "Mine", LEAGUE, PREFIX)
