"""The performance engine's scoped entry points: what the API and the dashboard call."""

import base64
from datetime import date

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.errors import Invalid
from app.core.pagination import PageParams
from app.core.timeutil import today
from app.models import Milestone, Participant
from app.performance import queries, schemas
from app.supply_chain.service import get_contract


def _decode_milestone_cursor(cursor: str) -> tuple[date, int]:
    try:
        due, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return date.fromisoformat(due), int(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor: not a cursor this service gave out") from exc


def milestones(session: Session, principal: Principal, contract_id: int, page: PageParams, *,
               status: str | None = None, as_of: date | None = None,
               provider_id: int | None = None) -> schemas.MilestonePage:
    """Scheduled checks by due date, with their status on `as_of` (default today): the
    overdue list is who a provider's staff must call today."""
    get_contract(session, principal, contract_id)
    as_of = as_of or today()
    status_expr = queries.status_case(as_of)
    scope = Scope(principal).participant_condition(Milestone.contract_id, Milestone.provider_id)
    where = [Milestone.contract_id == contract_id, scope]
    if provider_id is not None:
        where.append(Milestone.provider_id == provider_id)
    counts = {s: 0 for s in schemas.MilestoneStatus.__args__}  # type: ignore[attr-defined]
    for name, n in session.execute(select(status_expr, func.count()).where(*where)
                                   .group_by(status_expr)):
        counts[name] = n
    if status is not None:
        where.append(status_expr == status)
    if page.cursor:
        due, row_id = _decode_milestone_cursor(page.cursor)
        where.append(tuple_(Milestone.due_date, Milestone.id) > tuple_(due, row_id))
    found = session.execute(
        select(Milestone, Participant.participant_ref, status_expr.label("status"))
        .join(Participant, Participant.id == Milestone.participant_id).where(*where)
        .order_by(Milestone.due_date, Milestone.id).limit(page.limit + 1)).all()
    next_cursor = None
    if len(found) > page.limit:
        found = found[: page.limit]
        last = found[-1][0]
        next_cursor = base64.urlsafe_b64encode(f"{last.due_date}|{last.id}".encode()).decode()
    rows = [schemas.MilestoneRow(participant_ref=ref, provider_id=m.provider_id,
                                 milestone=m.milestone, due_date=m.due_date, status=st,
                                 checked_on=m.checked_on if st not in ("pending", "overdue")
                                 else None, result=m.result if st not in ("pending", "overdue")
                                 else None)
            for m, ref, st in found]
    return schemas.MilestonePage(contract_id=contract_id, as_of=as_of, counts=counts, rows=rows,
                                 next_cursor=next_cursor)
