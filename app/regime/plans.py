"""Improvement plans (DOMAIN.md section 11): opened by the prime for a member with measurable
targets, agreed actions, a review date and a remedy period, then

    proposed -> agreed -> in_review -> met | extended | failed;  extended -> in_review

The member agrees (the prime cannot agree on its behalf), the prime reviews and decides. Two
guard-rails protect the member: a plan is not reviewed before its review date, and it cannot
fail before its remedy period (from the day it was agreed) has run, so a member always has
the time it was given. Both sides comment; the member may contest (on record for the
reviewer; a contest may also be raised as a complaint). Every step is notified to the other
side through the outbox (app.complaints.notifications).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.complaints.notifications import queue_notification
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.timeutil import today, utcnow
from app.models import Contract, ImprovementPlan, ImprovementPlanEntry, Membership, Organisation
from app.models.audit import record_audit
from app.performance import service as performance
from app.regime import schemas
from app.supply_chain.service import contract_settings, get_contract, get_managed_contract

OPEN_STATES = ("proposed", "agreed", "in_review", "extended")
# (from, to) -> who may make the move
MOVES: dict[tuple[str, str], frozenset[str]] = {
    ("proposed", "agreed"): frozenset({"member", "admin"}),
    ("agreed", "in_review"): frozenset({"prime", "admin"}),
    ("extended", "in_review"): frozenset({"prime", "admin"}),
    ("in_review", "met"): frozenset({"prime", "admin"}),
    ("in_review", "extended"): frozenset({"prime", "admin"}),
    ("in_review", "failed"): frozenset({"prime", "admin"}),
}


@dataclass(frozen=True)
class Refusal:
    reason: str
    forbidden: bool  # the party may never make this move (403), rather than not now (409)


def remedy_ends(plan: ImprovementPlan) -> date | None:
    return None if plan.agreed_on is None else plan.agreed_on + timedelta(days=plan.remedy_days)


def refusal(plan: ImprovementPlan, to: str, party: str, on: date,
            review_date: date | None = None) -> Refusal | None:
    """Why `party` may not move the plan to `to` on `on`; None when it may."""
    movers = MOVES.get((plan.state, to))
    if movers is None:
        return Refusal(f"to: a plan cannot go from {plan.state} to {to}", False)
    if party not in movers:
        return Refusal(f"to: only the {' or the '.join(sorted(movers))} may move a plan "
                       f"from {plan.state} to {to}", True)
    if to == "in_review" and on < plan.review_date:
        return Refusal(f"to: the plan's review date is {plan.review_date}", False)
    ends = remedy_ends(plan)
    if to == "failed" and ends is not None and on < ends:
        return Refusal(f"to: the remedy period runs to {ends}; a plan cannot fail before the "
                       "member has had it", False)
    if to == "extended" and (review_date is None or review_date <= on):
        return Refusal("review_date: an extension needs a new review date after today",
                       False)
    return None


def allowed_transitions(plan: ImprovementPlan, party: str, on: date) -> list[str]:
    return [to for (start, to) in MOVES if start == plan.state
            and (to == "extended" or refusal(plan, to, party, on) is None)
            and party in MOVES[(start, to)]]


# -- who --------------------------------------------------------------------------------------
def _party(principal: Principal, plan: ImprovementPlan, contract: Contract) -> str | None:
    if principal.role == "admin":
        return "admin"
    if principal.role == "prime_manager" and principal.organisation_id == contract.prime_id:
        return "prime"
    if principal.role == "provider_user" and principal.organisation_id == plan.provider_id:
        return "member"
    if principal.role == "reviewer":
        return "reviewer"
    return None


def _visible(principal: Principal) -> ColumnElement[bool]:
    """The plans a principal may read: the admin's and reviewers' all, a prime's of its
    contracts, a member's of its own organisation."""
    if principal.role in ("admin", "reviewer"):
        return true()
    if principal.role == "prime_manager":
        return ImprovementPlan.contract_id.in_(
            select(Contract.id).where(Contract.prime_id == principal.organisation_id))
    return ImprovementPlan.provider_id == principal.organisation_id


def _get(session: Session, principal: Principal, plan_id: str) -> ImprovementPlan:
    authorize(principal, "plans.read")
    plan = session.scalar(select(ImprovementPlan).where(
        ImprovementPlan.public_id == plan_id, _visible(principal)))
    if plan is None:
        raise NotFound(f"improvement plan {plan_id} not found")
    return plan


def _notify(session: Session, plan: ImprovementPlan, contract: Contract, party: str,
            subject: str, body: str) -> None:
    """The other side hears of each step (both, when the admin acts)."""
    recipients = {"prime": [plan.provider_id], "member": [contract.prime_id],
                  "admin": [plan.provider_id, contract.prime_id]}[party]
    for org in recipients:
        queue_notification(session, kind="improvement_plan", recipient_org_id=org,
                           subject=subject, body=body, complaint_id=None, now=utcnow())


def _entry(session: Session, principal: Principal, plan: ImprovementPlan, kind: str,
           body: str | None, from_state: str | None = None,
           to_state: str | None = None) -> None:
    session.add(ImprovementPlanEntry(
        plan_id=plan.id, kind=kind, from_state=from_state, to_state=to_state, body=body,
        author_user_id=principal.user_id, author_org_id=principal.organisation_id))


# -- the steps ----------------------------------------------------------------------------------
def open_plan(session: Session, principal: Principal, contract_id: int, provider_id: int,
              payload: schemas.PlanCreate, on: date | None = None) -> schemas.PlanOut:
    """The prime proposes a plan to a member (one open plan per member at a time)."""
    authorize(principal, "plans.open")
    on = on or today()
    contract = get_managed_contract(session, principal, contract_id, lock=True)
    membership = session.scalar(select(Membership).where(
        Membership.contract_id == contract.id, Membership.provider_id == provider_id))
    if membership is None:
        raise NotFound(f"provider {provider_id} is not a member of contract {contract_id}")
    if payload.review_date <= on:
        raise Invalid("review_date: must be after today")
    for index, target in enumerate(payload.targets):
        if target.by_date <= on:
            raise Invalid(f"targets.{index}.by_date: must be after today")
    if any(not action.strip() for action in payload.actions):
        raise Invalid("actions: an action cannot be empty")
    open_already = session.scalar(select(ImprovementPlan.public_id).where(
        ImprovementPlan.contract_id == contract.id, ImprovementPlan.provider_id == provider_id,
        ImprovementPlan.state.in_(OPEN_STATES)))
    if open_already is not None:
        raise Conflict(f"provider_id: the member has an open plan already ({open_already})")
    plan = ImprovementPlan(
        contract_id=contract.id, provider_id=provider_id, state="proposed",
        targets=[t.model_dump(mode="json") for t in payload.targets],
        actions=[a.strip() for a in payload.actions], review_date=payload.review_date,
        remedy_days=payload.remedy_days or contract_settings(contract).improvement_plan_min_days,
        opened_by_id=principal.user_id)
    session.add(plan)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("the plan could not be stored; try again") from exc
    _entry(session, principal, plan, "transition", None, None, "proposed")
    _notify(session, plan, contract, "prime", "An improvement plan is proposed",
            f"Your prime proposes an improvement plan (review date {plan.review_date}). "
            "Read its targets and actions, comment, and agree it or contest it.")
    record_audit(session, principal, "plan.open", "improvement_plan", plan.public_id,
                 contract_id=contract.id, provider_id=provider_id)
    session.commit()
    return plan_out(session, principal, plan, on)


def transition(session: Session, principal: Principal, plan_id: str,
               payload: schemas.TransitionIn, on: date | None = None) -> schemas.PlanOut:
    authorize(principal, "plans.act")
    on = on or today()
    plan = _get(session, principal, plan_id)
    contract = session.get_one(Contract, plan.contract_id)
    party = _party(principal, plan, contract)
    if party is None or party == "reviewer":
        raise Forbidden("reviewers read plans; the prime and the member move them")
    refused = refusal(plan, payload.to, party, on, payload.review_date)
    if refused is not None:
        error = Forbidden if refused.forbidden else Conflict
        raise error(refused.reason, allowed=allowed_transitions(plan, party, on))
    before = plan.state
    plan.state = payload.to
    if payload.to == "agreed":
        plan.agreed_on = on
    elif payload.to in ("met", "failed"):
        plan.decided_on = on
    elif payload.to == "extended":
        assert payload.review_date is not None  # refusal() checked it
        plan.review_date = payload.review_date
    _entry(session, principal, plan, "transition", payload.note, before, payload.to)
    _notify(session, plan, contract, party, f"Improvement plan: {payload.to.replace('_', ' ')}",
            f"The plan moved from {before} to {payload.to} on {on}."
            + (f" Note: {payload.note}" if payload.note else ""))
    record_audit(session, principal, "plan.transition", "improvement_plan", plan.public_id,
                 from_state=before, to_state=payload.to)
    session.commit()
    return plan_out(session, principal, plan, on)


def comment(session: Session, principal: Principal, plan_id: str, payload: schemas.CommentIn,
            contest: bool = False) -> schemas.PlanOut:
    """A comment by either side; with `contest`, the member disputes the plan (on record for
    the reviewer, who reads every plan)."""
    authorize(principal, "plans.act")
    plan = _get(session, principal, plan_id)
    contract = session.get_one(Contract, plan.contract_id)
    party = _party(principal, plan, contract)
    if party is None or party == "reviewer":
        raise Forbidden("reviewers read plans; the prime and the member comment on them")
    if contest:
        if party != "member":
            raise Forbidden("only the member may contest its plan")
        if plan.state not in OPEN_STATES:
            raise Conflict(f"the plan is {plan.state}: raise a complaint to dispute it")
        plan.contested_at = utcnow()
    _entry(session, principal, plan, "contest" if contest else "comment", payload.body)
    _notify(session, plan, contract, party,
            "Improvement plan contested" if contest else "Improvement plan: a comment",
            payload.body)
    record_audit(session, principal, "plan.contest" if contest else "plan.comment",
                 "improvement_plan", plan.public_id)
    session.commit()
    return plan_out(session, principal, plan, today())


# -- reading ------------------------------------------------------------------------------------
def get_plan(session: Session, principal: Principal, plan_id: str) -> schemas.PlanOut:
    return plan_out(session, principal, _get(session, principal, plan_id), today())


def list_plans(session: Session, principal: Principal, contract_id: int, page: PageParams,
               provider_id: int | None = None) -> schemas.PlanPage:
    authorize(principal, "plans.read")
    get_contract(session, principal, contract_id)
    stmt = select(ImprovementPlan).where(ImprovementPlan.contract_id == contract_id,
                                         _visible(principal))
    if provider_id is not None:
        stmt = stmt.where(ImprovementPlan.provider_id == provider_id)
    found, cursor = paginate(session, stmt, ImprovementPlan.id, page)
    tables: LeagueTables = {}  # the plans of a page share their league tables
    return schemas.PlanPage(rows=[plan_out(session, principal, p, today(), tables)
                                  for p in found], next_cursor=cursor)


# The contract's league table rows by provider, per as-of date (a plan's targets are judged on
# the rows of their by-dates).
LeagueTables = dict[date, dict[int | None, performance.schemas.LeagueRowOut]]


def progress(session: Session, plan: ImprovementPlan, on: date,
             tables: LeagueTables | None = None) -> list[schemas.TargetProgressOut]:
    """Each target against the member's league-table figure as of its by-date (today until
    then), from the contract's default window: the figures the league table shows. `tables`
    keeps the tables computed for the plans of one contract."""
    contract = session.get_one(Contract, plan.contract_id)
    tables = {} if tables is None else tables
    out = []
    for target in plan.targets:
        by_date = date.fromisoformat(target["by_date"])
        as_of = min(on, by_date)
        if as_of not in tables:
            table = performance.contract_league_table(session, contract, as_of=as_of)
            tables[as_of] = {row.provider_id: row for row in table.rows}
        row = tables[as_of].get(plan.provider_id)
        value = getattr(row, target["metric"]) if row is not None else None
        out.append(schemas.TargetProgressOut(
            metric=target["metric"], threshold=target["threshold"], by_date=by_date,
            value=value, as_of=as_of,
            met=None if value is None else value >= target["threshold"]))
    return out


def plan_out(session: Session, principal: Principal, plan: ImprovementPlan,
             on: date, tables: LeagueTables | None = None) -> schemas.PlanOut:
    contract = session.get_one(Contract, plan.contract_id)
    party = _party(principal, plan, contract)
    name = session.scalar(select(Organisation.name).where(Organisation.id == plan.provider_id))
    entries = session.scalars(select(ImprovementPlanEntry).where(
        ImprovementPlanEntry.plan_id == plan.id).order_by(ImprovementPlanEntry.id))
    return schemas.PlanOut(
        id=plan.public_id, contract_id=plan.contract_id, provider_id=plan.provider_id,
        provider_name=name or "", state=plan.state,  # type: ignore[arg-type]
        targets=progress(session, plan, on, tables), actions=plan.actions,
        review_date=plan.review_date, remedy_days=plan.remedy_days,
        remedy_ends=remedy_ends(plan), agreed_on=plan.agreed_on, decided_on=plan.decided_on,
        contested=plan.contested_at is not None,
        allowed_transitions=(allowed_transitions(plan, party, on)  # type: ignore[arg-type]
                             if party not in (None, "reviewer") else []),
        history=[schemas.PlanEntryOut(
            kind=e.kind, from_state=e.from_state, to_state=e.to_state,  # type: ignore[arg-type]
            body=e.body, by=_author(e, plan, contract), at=e.created_at) for e in entries])


def _author(entry: ImprovementPlanEntry, plan: ImprovementPlan,
            contract: Contract) -> Literal["prime", "member", "admin"]:
    if entry.author_org_id == plan.provider_id:
        return "member"
    if entry.author_org_id == contract.prime_id:
        return "prime"
    return "admin"
