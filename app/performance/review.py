"""Each member's review status for a published quarter (DOMAIN.md section 11): whether it
met its expectations, fell short by no more than chance, or fell below expectation.

A shortfall is significant when PI < m x exp(-1.959964 sqrt(s_p^2 + tau2)): the overdispersed
95% lower limit drawn around the member's minimum m instead of 1. The published row carries
exp(-1.959964 sqrt(s_p^2 + tau2)) as `pi_lower_95` (the limit around 1), so the threshold is
m x pi_lower_95. Below expectation: a significant shortfall, or below m two published quarters
running (the previous quarter judged against today's minimum); below but neither: not
significant; else meets.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.core.errors import NotFound
from app.models import Membership, Organisation
from app.performance import schemas
from app.performance.dates import add_months
from app.performance.ratings import current_publication, quarter_of, quarter_start
from app.supply_chain.service import effective_expectations, get_contract


@dataclass(frozen=True)
class Judgement:
    status: schemas.ReviewStatus | None
    significance_limit: float | None
    words: str


def previous_quarter(quarter: str) -> str:
    return quarter_of(add_months(quarter_start(quarter), -3))


def judge(performance_index: float | None, pi_lower_95: float | None, minimum: float,
          previous_index: float | None, previous_quarter: str) -> Judgement:
    """The status of one member for one quarter, with the reason in words."""
    if performance_index is None:
        return Judgement(None, None, "Not rated: none of the referrals this quarter rates "
                                     "was eligible.")
    limit = None if pi_lower_95 is None else minimum * pi_lower_95
    # Two places, or three where two would print an index below its minimum as equal to it.
    places = 3 if f"{performance_index:.2f}" == f"{minimum:.2f}" else 2
    index = f"Performance index {performance_index:.{places}f}"
    if performance_index >= minimum:
        return Judgement("meets", limit, f"{index} meets the minimum of {minimum:.2f}.")
    if limit is not None and performance_index < limit:
        return Judgement("below_expectation", limit,
                         f"{index} is below the minimum of {minimum:.2f} and below "
                         f"{limit:.2f}, the overdispersed 95% limit under it: the shortfall "
                         "is more than chance.")
    if previous_index is not None and previous_index < minimum:
        return Judgement("below_expectation", limit,
                         f"{index} is below the minimum of {minimum:.2f} for the second "
                         f"published quarter running ({previous_quarter}: "
                         f"{previous_index:.2f}).")
    chance = (f"within {limit:.2f}, the overdispersed 95% limit under it, so it may be chance"
              if limit is not None else "with too few participants to tell it from chance")
    return Judgement("below_not_significant", limit,
                     f"{index} is below the minimum of {minimum:.2f}, {chance}.")


def _shortfall(name: str, value: float | None, minimum: float) -> list[str]:
    if value is None or value >= minimum:
        return []
    return [f"{name} {value:.0%} is below the expected {minimum:.0%}."]


def review_status(session: Session, principal: Principal, contract_id: int,
                  quarter: str) -> schemas.ReviewStatusOut:
    """Every member's status for the quarter's publication in force; a subcontractor's users
    read their own organisation's only."""
    authorize(principal, "ratings.read")
    contract = get_contract(session, principal, contract_id)
    publication = current_publication(session, contract.id, quarter)
    if publication is None:
        raise NotFound(f"quarter {quarter} of contract {contract.id} is not published")
    before = previous_quarter(quarter)
    earlier = current_publication(session, contract.id, before)
    table = schemas.LeagueTableOut.model_validate(publication.table)
    previous = ({} if earlier is None else
                {r.provider_id: r for r in schemas.LeagueTableOut.model_validate(
                    earlier.table).rows})
    rows = {r.provider_id: r for r in table.rows}
    members = session.execute(
        select(Membership, Organisation.name)
        .join(Organisation, Organisation.id == Membership.provider_id)
        .where(Membership.contract_id == contract.id).order_by(Organisation.name))
    out = []
    for membership, name in members:
        if principal.role == "provider_user" and \
                membership.provider_id != principal.organisation_id:
            continue
        row = rows.get(membership.provider_id)
        if row is None:  # not a member yet when the quarter was published
            continue
        expected = effective_expectations(contract, membership)
        prior = previous.get(membership.provider_id)
        prior_index = prior.performance_index if prior else None
        verdict = judge(row.performance_index, row.pi_lower_95,
                        expected.min_performance_index, prior_index, before)
        out.append(schemas.MemberReviewOut(
            provider_id=membership.provider_id, provider_name=name, status=verdict.status,
            performance_index=row.performance_index, minimum=expected.min_performance_index,
            significance_limit=verdict.significance_limit, previous_quarter=before,
            previous_performance_index=prior_index, check_compliance=row.check_compliance,
            check_compliance_min=expected.check_compliance_min,
            data_timeliness=row.data_timeliness,
            data_timeliness_min=expected.data_timeliness_min,
            reasons=[verdict.words,
                     *_shortfall("Check compliance", row.check_compliance,
                                 expected.check_compliance_min),
                     *_shortfall("Data timeliness", row.data_timeliness,
                                 expected.data_timeliness_min)]))
    return schemas.ReviewStatusOut(contract_id=contract.id, quarter=quarter,
                                   rating_id=publication.public_id, rows=out)
