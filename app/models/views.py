from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.models.base import Base, PublicId, UTCDateTime

SAVED_VIEW_NAME_LENGTH = 100
SAVED_VIEW_URL_LENGTH = 2000  # what a browser's address bar keeps without complaint


class SavedView(PublicId, Base):
    """A dashboard page's URL (path and query: its whole state) that a user saved under a
    name. Only that user ever sees it; outside the database it is named by its public id."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(SAVED_VIEW_NAME_LENGTH))
    url: Mapped[str] = mapped_column(String(SAVED_VIEW_URL_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
