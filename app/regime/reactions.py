"""The regime's reactions to changes below it (app.core.changes): a published rating is
announced to every member it rates and to the prime, with where to read the review status
and the review pack (DOMAIN.md section 11). Whoever publishes, the prime's button, the API or
the worker, the members hear of it the same way."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.complaints.notifications import queue_notification
from app.core import changes
from app.core.changes import Change, Kind
from app.core.timeutil import utcnow
from app.models import Contract, RatingPublication


def announce_rating(session: Session, change: Change) -> None:
    """In the publisher's transaction: the announcement commits with the publication."""
    publication = session.scalar(select(RatingPublication).where(
        RatingPublication.contract_id == change.contract_id)
        .order_by(RatingPublication.id.desc()).limit(1))
    if publication is None:
        return
    contract = session.get_one(Contract, change.contract_id)
    corrected = " (a correction: " + (publication.correction_reason or "") + ")" \
        if publication.supersedes_id is not None else ""
    where = (f"Your review status, your rating trend and your review pack for the quarter's "
             f"review are on the dashboard's Ratings page (/dashboard/ratings?contract="
             f"{contract.id}&quarter={publication.quarter}), or GET /api/v1/contracts/"
             f"{contract.id}/review-pack?provider_id=<your id>&quarter={publication.quarter}.")
    members = {row["provider_id"] for row in publication.table["rows"]
               if row.get("provider_id") is not None}
    for organisation in sorted(members | {contract.prime_id}):
        queue_notification(
            session, kind="rating", recipient_org_id=organisation,
            subject=f"The {publication.quarter} rating of {contract.cpa_code} is published",
            body=(f"The {publication.quarter} rating is published{corrected}. It rates the "
                  f"people referred from {publication.period_from} to {publication.period_to}, "
                  f"as of {publication.as_of}. {where}"),
            complaint_id=None, now=utcnow())


def register() -> None:
    changes.on(Kind.RATING, announce_rating)
