"""The demo's performance regime (DOMAIN.md section 11), through the services a user's clicks
call: the published ratings of the finished quarters but the last (which the worker, or the
prime's button, publishes), an agreed improvement plan for Aire Valley Training with a comment
from the member, and a reallocation that cuts Aire's share, held for the reviewer with its
override reason on record."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import Principal
from app.core.errors import Conflict, Invalid
from app.core.timeutil import today
from app.models import Membership, RatingPublication
from app.performance import ratings, review
from app.performance.schemas import RatingIn
from app.regime import plans, reallocation, schemas

QUARTERS = 6  # published before the last finished quarter


def load_demo_regime(session_factory: sessionmaker[Session], contract_id: int,
                     manager: Principal, member: Principal, calder_id: int) -> None:
    """Once: a contract with publications already has its regime."""
    with session_factory() as session:
        if session.scalar(select(RatingPublication.id).where(
                RatingPublication.contract_id == contract_id).limit(1)) is not None:
            return
        last = review.previous_quarter(ratings.quarter_of(today()))
        quarters = [review.previous_quarter(last)]
        while len(quarters) < QUARTERS:
            quarters.append(review.previous_quarter(quarters[-1]))
        for quarter in reversed(quarters):
            try:
                ratings.publish(session, manager, contract_id, RatingIn(quarter=quarter))
            except Invalid:  # nobody eligible yet: the contract is younger than that
                session.rollback()
        assert member.organisation_id is not None
        on = today()
        plan = plans.open_plan(session, manager, contract_id, member.organisation_id,
                               schemas.PlanCreate.model_validate({
                                   "targets": [
                                       {"metric": "check_compliance", "threshold": 0.9,
                                        "by_date": on + timedelta(days=70)},
                                       {"metric": "performance_index", "threshold": 0.85,
                                        "by_date": on + timedelta(days=160)}],
                                   "actions": [
                                       "A named caseworker makes every day-28 call by its "
                                       "due date",
                                       "Events are sent within five working days, checked "
                                       "each Friday"],
                                   "review_date": on + timedelta(days=70)}),
                               on=on - timedelta(days=20))
        plans.comment(session, member, plan.id, schemas.CommentIn(
            body="We agree the check target. Our participants are further from work than "
                 "the index allows for; we ask for the review to look at distance travelled."))
        plans.transition(session, member, plan.id,
                         schemas.TransitionIn(to="agreed", note="Agreed, with our comment."),
                         on=on - timedelta(days=14))
        aire = session.scalar(select(Membership.contracted_share).where(
            Membership.contract_id == contract_id,
            Membership.provider_id == member.organisation_id))
        calder = session.scalar(select(Membership.contracted_share).where(
            Membership.contract_id == contract_id, Membership.provider_id == calder_id))
        assert aire is not None and calder is not None
        cut = Decimal("0.03")
        proposal = {"shares": {member.organisation_id: aire - cut, calder_id: calder + cut},
                    "reason": "Quarterly review: part of Aire's share to Calder while Aire's "
                              "plan runs"}
        try:
            reallocation.apply(session, manager, contract_id,
                               schemas.ReallocationIn.model_validate(proposal))
        except Conflict:  # a guard-rail fails: the demo shows the override on record
            session.rollback()
            overridden = {**proposal, "override_reason": (
                "Aire's plan targets are not met; the cut is small and reviewed at the "
                "plan's review date")}
            reallocation.apply(session, manager, contract_id,
                               schemas.ReallocationIn.model_validate(overridden))
