"""Saved views: a signed-in user's named dashboard URLs. Each user sees, names and deletes only
their own; another user's view answers as if it did not exist (NotFound), so an id reveals
nothing. A machine client (API key) has no views: it has no dashboard."""

import unicodedata
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import SavedView
from app.models.base import is_public_id
from app.models.views import SAVED_VIEW_NAME_LENGTH, SAVED_VIEW_URL_LENGTH

MAX_VIEWS_PER_USER = 200  # a menu, not a store: enough for anyone, bounded for everyone


def _owner(principal: Principal) -> int:
    if principal.user_id is None:
        raise Forbidden("saved views belong to signed-in users; an API key has none")
    return principal.user_id


def clean_name(name: str) -> str:
    """The name as stored: trimmed, inner runs of spaces made one; refused when empty, too
    long or holding control characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid("name: give the view a name")
    if len(cleaned) > SAVED_VIEW_NAME_LENGTH:
        raise Invalid(f"name: at most {SAVED_VIEW_NAME_LENGTH} characters "
                      f"(this one has {len(cleaned)})")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise Invalid("name: control characters are not allowed")
    return cleaned


def clean_url(url: str, prefix: str) -> str:
    """A path of this site under `prefix` (the dashboard's) with its query: never another
    site's address, so opening a saved view cannot lead elsewhere."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith(prefix) or "\\" in url:
        raise Invalid(f"url: must be a dashboard page's path starting with {prefix}")
    if len(url) > SAVED_VIEW_URL_LENGTH:
        raise Invalid(f"url: at most {SAVED_VIEW_URL_LENGTH} characters")
    return url


def list_views(session: Session, principal: Principal) -> list[SavedView]:
    owner = _owner(principal)
    return list(session.scalars(select(SavedView).where(SavedView.user_id == owner)
                                .order_by(SavedView.name, SavedView.id)))


def save_view(session: Session, principal: Principal, name: str, url: str,
              prefix: str) -> SavedView:
    owner = _owner(principal)
    name, url = clean_name(name), clean_url(url, prefix)
    taken = Conflict(f"name: you already have a view called '{name}'; choose another name "
                     "or delete that one first")
    existing = session.scalars(select(SavedView.name).where(SavedView.user_id == owner)).all()
    if name in existing:
        raise taken
    if len(existing) >= MAX_VIEWS_PER_USER:
        raise Invalid(f"you have {MAX_VIEWS_PER_USER} saved views, the most one may keep; "
                      "delete one first")
    view = SavedView(user_id=owner, name=name, url=url)
    session.add(view)
    try:
        session.flush()
    except IntegrityError as exc:  # the same name saved at the same moment elsewhere
        session.rollback()
        raise taken from exc
    session.commit()
    return view


def delete_view(session: Session, principal: Principal, view_id: str) -> None:
    """By public id; another user's view, or none, is not found."""
    owner = _owner(principal)
    view = session.scalar(select(SavedView).where(
        SavedView.public_id == view_id, SavedView.user_id == owner)) \
        if is_public_id(view_id) else None
    if view is None:
        raise NotFound("no such saved view")
    session.delete(view)
    session.commit()
