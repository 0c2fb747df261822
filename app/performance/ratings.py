"""Published ratings (DOMAIN.md section 11): a quarter's league table frozen as published,
append-only, corrected only by a publication that names the one it supersedes.

Which referrals a quarter rates (docs/decisions.md): those referred in the quarter that began
`horizon` months before the rated quarter began, counted as of the rated quarter's last day.
Every one of them has had its whole horizon by then, so no provider is judged on referrals
still inside it, and consecutive quarters rate disjoint cohorts: a rating trend's points are
independent, as a control chart needs.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.core import changes
from app.core.changes import Kind
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.timeutil import today
from app.models import Contract, RatingPublication
from app.models.audit import record_audit
from app.performance import schemas, service
from app.performance.dates import add_months
from app.supply_chain.service import contract_settings, get_contract, get_managed_contract


def quarter_start(quarter: str) -> date:
    year, number = int(quarter[:4]), int(quarter[5])
    return date(year, 3 * number - 2, 1)


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def rated_window(quarter: str, horizon_months: int) -> tuple[date, date, date]:
    """(first referral day, last referral day, as_of) of the quarter's rating."""
    start = quarter_start(quarter)
    as_of = add_months(start, 3) - timedelta(days=1)
    return (add_months(start, -horizon_months),
            add_months(start, 3 - horizon_months) - timedelta(days=1), as_of)


def current_publication(session: Session, contract_id: int,
                        quarter: str) -> RatingPublication | None:
    """The quarter's rating in force: the last link of its chain (none supersedes it)."""
    superseded = select(RatingPublication.supersedes_id).where(
        RatingPublication.supersedes_id.is_not(None))
    return session.scalar(select(RatingPublication).where(
        RatingPublication.contract_id == contract_id, RatingPublication.quarter == quarter,
        RatingPublication.id.not_in(superseded)))


def publish(session: Session, principal: Principal | None, contract_id: int,
            rating: schemas.RatingIn) -> schemas.RatingOut:
    """Freeze the quarter's league table. The same quarter again is 409 unless it names the
    quarter's current publication in `supersedes`, with a reason. `principal` None: the
    scheduler (the worker), which publishes for every contract."""
    if principal is not None:
        authorize(principal, "ratings.publish")
        contract = get_managed_contract(session, principal, contract_id)
    else:
        found = session.get(Contract, contract_id)
        if found is None:
            raise NotFound(f"contract {contract_id} not found")
        contract = found
    horizon = contract_settings(contract).default_horizon_months
    period_from, period_to, as_of = rated_window(rating.quarter, horizon)
    if as_of >= today():
        raise Invalid(f"quarter: {rating.quarter} has not ended; it can be rated from "
                      f"{as_of + timedelta(days=1)}")
    current = current_publication(session, contract.id, rating.quarter)
    supersedes = None
    if rating.supersedes is not None:
        supersedes = session.scalar(select(RatingPublication).where(
            RatingPublication.public_id == rating.supersedes,
            RatingPublication.contract_id == contract.id))
        if supersedes is None or supersedes.quarter != rating.quarter:
            raise Invalid(f"supersedes: no publication {rating.supersedes} of "
                          f"{rating.quarter} in this contract")
        if current is None or supersedes.id != current.id:
            raise Conflict(f"supersedes: {rating.supersedes} was already corrected; the "
                           f"quarter's current publication is "
                           f"{current.public_id if current else None}")
        if not (rating.reason or "").strip():
            raise Invalid("reason: a correction says why it was needed")
    elif current is not None:
        raise Conflict(f"quarter: {rating.quarter} was published as {current.public_id}; "
                       "a correction names it in `supersedes`")
    table = service.named_league_table(session, contract, period_from=period_from,
                                       period_to=period_to, as_of=as_of,
                                       horizon_months=horizon)
    if table.eligible == 0:
        raise Invalid(f"quarter: nobody referred from {period_from} to {period_to} (the "
                      f"referrals {rating.quarter} rates) was eligible; nothing to rate")
    publication = RatingPublication(
        contract_id=contract.id, quarter=rating.quarter, period_from=period_from,
        period_to=period_to, as_of=as_of, horizon_months=horizon,
        table=table.model_dump(mode="json"),
        supersedes_id=supersedes.id if supersedes else None,
        correction_reason=rating.reason.strip() if supersedes and rating.reason else None,
        published_by_id=principal.user_id if principal else None)
    session.add(publication)
    try:
        session.flush()
    except IntegrityError as exc:  # another publication of the quarter won the race
        session.rollback()
        raise Conflict(f"quarter: {rating.quarter} was published meanwhile") from exc
    changes.publish(session, contract.id, Kind.RATING)  # the members are told (app.regime)
    record_audit(session, principal, "rating.publish", "rating_publication",
                 publication.public_id, contract_id=contract.id, quarter=rating.quarter,
                 supersedes=rating.supersedes)
    session.commit()
    return _out(session, principal, contract, publication, None)


def correct(session: Session, principal: Principal, contract_id: int, quarter: str,
            reason: str | None) -> schemas.RatingOut:
    """A correction of the quarter's publication in force, whichever it is (the dashboard's
    button; the API names it in `supersedes`)."""
    authorize(principal, "ratings.publish")
    contract = get_managed_contract(session, principal, contract_id)
    current = current_publication(session, contract.id, quarter)
    if current is None:
        raise Invalid(f"quarter: {quarter} is not published yet; publish it first")
    return publish(session, principal, contract.id, schemas.RatingIn(
        quarter=quarter, supersedes=current.public_id, reason=reason))


def list_ratings(session: Session, principal: Principal, contract_id: int, page: PageParams,
                 provider_id: int | None = None) -> schemas.RatingPage:
    """The contract's publications, oldest first, each as the principal may see it (a
    subcontractor's own row named, the others anonymised); with `provider_id`, each holds
    that provider's row only (its rating history)."""
    authorize(principal, "ratings.read")
    contract = get_contract(session, principal, contract_id)
    if provider_id is not None:
        service.check_provider(session, principal, contract, provider_id)
    found, cursor = paginate(session, select(RatingPublication).where(
        RatingPublication.contract_id == contract.id), RatingPublication.id, page)
    links = _links(session, contract.id)
    return schemas.RatingPage(rows=[_out(session, principal, contract, p, provider_id, links)
                                    for p in found], next_cursor=cursor)


@dataclass(frozen=True)
class _Links:
    """The correction chains of a contract's publications, by internal id."""

    public_ids: dict[int, str]
    superseded_by: dict[int, int]


def _links(session: Session, contract_id: int) -> _Links:
    rows = session.execute(select(RatingPublication.id, RatingPublication.public_id,
                                  RatingPublication.supersedes_id).where(
        RatingPublication.contract_id == contract_id)).all()
    return _Links(public_ids={r.id: r.public_id for r in rows},
                  superseded_by={r.supersedes_id: r.id for r in rows
                                 if r.supersedes_id is not None})


def _out(session: Session, principal: Principal | None, contract: Contract,
         publication: RatingPublication, provider_id: int | None,
         links: _Links | None = None) -> schemas.RatingOut:
    table = schemas.LeagueTableOut.model_validate(publication.table)
    if principal is not None:
        table = service.as_viewed(principal, contract, table)
    if provider_id is not None:
        table = table.model_copy(update={"rows": [r for r in table.rows
                                                  if r.provider_id == provider_id]})
    links = links or _links(session, contract.id)
    supersedes = (None if publication.supersedes_id is None
                  else links.public_ids[publication.supersedes_id])
    later = links.superseded_by.get(publication.id)
    superseded_by = None if later is None else links.public_ids[later]
    return schemas.RatingOut.model_validate({
        "id": publication.public_id, "contract_id": publication.contract_id,
        "quarter": publication.quarter, "from": publication.period_from,
        "to": publication.period_to, "as_of": publication.as_of,
        "horizon_months": publication.horizon_months,
        "published_at": publication.published_at, "supersedes": supersedes,
        "superseded_by": superseded_by, "correction_reason": publication.correction_reason,
        "table": table})


@dataclass(frozen=True)
class RatingPoint:
    """One quarter of a member's rating trend: its published performance index with the
    overdispersed limits around 1 (DOMAIN.md section 10), and the other members' indices as
    the reader may see them (anonymised for a subcontractor)."""
    quarter: str
    performance_index: float | None
    lower_95: float | None
    upper_95: float | None
    lower_998: float | None
    upper_998: float | None
    others: tuple[float, ...]


def in_force(session: Session, principal: Principal,
             contract_id: int) -> list[schemas.RatingOut]:
    """Each quarter's publication in force (corrections replace what they supersede), oldest
    quarter first, as the principal may see it."""
    rows: list[schemas.RatingOut] = []
    cursor = None
    while True:
        page = list_ratings(session, principal, contract_id, PageParams(limit=1000,
                                                                        cursor=cursor))
        rows += [r for r in page.rows if r.superseded_by is None]
        cursor = page.next_cursor
        if cursor is None:
            return sorted(rows, key=lambda r: r.quarter)


def rating_history(published: list[schemas.RatingOut], provider_id: int,
                   up_to: str | None = None) -> list[RatingPoint]:
    """The member's trend over the publications in force (`in_force`), to `up_to` if given:
    the one definition the dashboard's chart and the review pack draw."""
    points = []
    for rating in published:
        if up_to is not None and rating.quarter > up_to:
            continue
        mine = next((r for r in rating.table.rows if r.provider_id == provider_id), None)
        if mine is None:  # not a member when the quarter was published
            continue
        points.append(RatingPoint(
            rating.quarter, mine.performance_index, mine.pi_lower_95, mine.pi_upper_95,
            mine.pi_lower_998, mine.pi_upper_998,
            tuple(r.performance_index for r in rating.table.rows
                  if r is not mine and r.performance_index is not None)))
    return points
