"""The performance engine's scoped entry points: what the API and the dashboard call."""

import base64
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, select, true, tuple_
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.errors import Invalid, NotFound
from app.core.pagination import PageParams
from app.core.timeutil import today
from app.models import Contract, Membership, Milestone, Organisation, Participant
from app.performance import cohorts as cohort_maths
from app.performance import (
    daily_totals,
    fit_cache,
    league,
    overdispersion,
    payments,
    queries,
    risk_model,
    schemas,
)
from app.performance.dates import add_months, horizon_cutoff
from app.supply_chain.schemas import MilestoneSchedule
from app.supply_chain.service import contract_settings, get_contract


def _decode_milestone_cursor(cursor: str) -> tuple[date, int]:
    try:
        due, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return date.fromisoformat(due), int(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor: not a cursor this service gave out") from exc


def milestones(session: Session, principal: Principal, contract_id: int, page: PageParams, *,
               status: str | None = None, as_of: date | None = None,
               provider_id: int | None = None, due_from: date | None = None,
               due_to: date | None = None) -> schemas.MilestonePage:
    """Scheduled checks by due date, with their status on `as_of` (default today): the
    overdue list is who a provider's staff must call today; `due_from` and `due_to` keep
    checks due on or after / on or before those days (the dashboard's "due this week", and a
    month of the provider page's check compliance)."""
    get_contract(session, principal, contract_id)
    if due_from is not None and due_to is not None and due_to < due_from:
        raise Invalid("due_to: before due_from")
    as_of = as_of or today()
    status_expr = queries.status_case(as_of)
    scope = Scope(principal).participant_condition(Milestone.contract_id, Milestone.provider_id)
    where = [Milestone.contract_id == contract_id, scope]
    if provider_id is not None:
        where.append(Milestone.provider_id == provider_id)
    if due_from is not None:
        where.append(Milestone.due_date >= due_from)
    if due_to is not None:
        where.append(Milestone.due_date <= due_to)
    counts = None
    if not page.cursor:  # the tallies once, on the first page: they cost a pass over them all
        counts = {s: 0 for s in schemas.MilestoneStatus.__args__}  # type: ignore[attr-defined]
        for name, n in session.execute(select(status_expr, func.count()).where(*where)
                                       .group_by(status_expr)):
            counts[name] = n
    if status is not None:
        where.append(queries.status_condition(status, as_of))
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


def milestone_count(session: Session, principal: Principal, contract_id: int, status: str,
                    *, as_of: date | None = None) -> int:
    """How many of the contract's checks the principal may see have `status` on as_of: the
    tally `milestones` gives for that status, from the covering index alone (the Overview's
    overdue tile, which must not tally every status of every check)."""
    get_contract(session, principal, contract_id)
    scope = Scope(principal).participant_condition(Milestone.contract_id, Milestone.provider_id)
    return session.scalar(select(func.count()).select_from(Milestone).where(
        Milestone.contract_id == contract_id, scope,
        queries.status_condition(status, as_of or today()))) or 0


def league_table(session: Session, principal: Principal, contract_id: int, *,
                 period_from: date | None = None, period_to: date | None = None,
                 as_of: date | None = None, horizon_months: int | None = None,
                 min_n: int | None = None) -> schemas.LeagueTableOut:
    """The league table of DOMAIN.md sections 5 and 10 for the principal: anonymised for a
    subcontractor's users unless the contract shows it named."""
    contract = get_contract(session, principal, contract_id)
    request = _request(contract, period_from, period_to, as_of, horizon_months, min_n)
    return _league_table(session, contract, request, _viewer(principal, contract))[0]


def provider_league_row(session: Session, principal: Principal, contract_id: int,
                        provider_id: int, *, period_from: date | None = None,
                        period_to: date | None = None, as_of: date | None = None,
                        horizon_months: int | None = None
                        ) -> tuple[schemas.LeagueTableOut, schemas.LeagueRowOut]:
    """One provider's row of the league table `league_table` gives the principal for the
    same filters (a provider's page shows it, so it cannot disagree with the table); not
    found when that table does not show the provider by name."""
    table = league_table(session, principal, contract_id, period_from=period_from,
                         period_to=period_to, as_of=as_of, horizon_months=horizon_months)
    row = next((r for r in table.rows if r.provider_id == provider_id), None)
    if row is None:
        raise NotFound(f"provider {provider_id} not found in contract {contract_id}")
    return table, row


def contract_league_table(session: Session, contract: Contract, *,
                          as_of: date | None = None) -> schemas.LeagueTableOut:
    """The whole contract's league table with its defaults (referrals from the contract's
    start to as_of, the default horizon and min_n), every provider named: for the engine's
    own readers (the compliance rules), never shown to a principal as it is."""
    return _league_table(session, contract, _request(contract, None, None, as_of, None, None),
                         _Viewer(anonymised=False, provider_id=None))[0]


@dataclass(frozen=True)
class _Request:
    """A league table's or model report's arguments with the contract's defaults applied."""

    period_from: date
    period_to: date
    as_of: date
    horizon: int
    min_n: int

    @property
    def cutoff(self) -> date:
        return horizon_cutoff(self.as_of, self.horizon)


@dataclass(frozen=True)
class _Viewer:
    anonymised: bool
    provider_id: int | None  # the subcontractor whose own row stays named


def _request(contract: Contract, period_from: date | None, period_to: date | None,
             as_of: date | None, horizon_months: int | None, min_n: int | None) -> _Request:
    settings = contract_settings(contract)
    as_of = as_of or today()
    request = _Request(period_from or contract.start_date, period_to or as_of, as_of,
                       horizon_months or settings.default_horizon_months,
                       min_n or settings.min_n)
    if request.period_to < request.period_from:
        raise Invalid("to: before from")
    if not 3 <= request.horizon <= 24:
        raise Invalid("horizon_months: must be between 3 and 24")
    return request


def _viewer(principal: Principal, contract: Contract) -> _Viewer:
    anonymised = _sees_anonymised(principal, contract,
                                  contract_settings(contract).league_visibility)
    return _Viewer(anonymised, principal.organisation_id if anonymised else None)


@dataclass(frozen=True)
class _Fitted:
    """The counts per provider, payment group and covariate levels (the model's cells) of the
    table's providers, and the risk model fitted on them."""

    covariates: tuple[str, ...]
    counts: tuple[queries.ProviderGroupCounts, ...]
    model: risk_model.RiskModel


def _fitted(session: Session, contract: Contract, request: _Request,
            known: frozenset[int]) -> _Fitted:
    """One GROUP BY and the fit, cached per data version (app.performance.fit_cache)."""
    settings = contract_settings(contract)
    covariates = tuple(settings.risk_covariates)

    def compute() -> _Fitted:
        counts = tuple(c for c in queries.provider_group_counts(
            session, contract.id, request.period_from, request.period_to, request.as_of,
            request.cutoff, request.horizon, covariates) if c.provider_id in known)
        # One mapping per distinct set of levels (a few hundred for thousands of cells).
        named: dict[tuple[str | None, ...], dict[str, str | None]] = {}
        for c in counts:
            if c.characteristics not in named:
                named[c.characteristics] = dict(zip(covariates, c.characteristics, strict=True))
        cells = [risk_model.RiskCell(c.provider_id, c.payment_group, named[c.characteristics],
                                     c.eligible, c.outcomes) for c in counts]
        return _Fitted(covariates, counts, risk_model.fit_risk_model(
            cells, risk_model.RiskModelParameters(covariates, settings.risk_min_level_n)))

    key = (request.period_from, request.period_to, request.as_of, request.horizon, covariates,
           settings.risk_min_level_n, known)
    return fit_cache.cached(session, contract.id, key, compute)


def _league_table(session: Session, contract: Contract, request: _Request, viewer: _Viewer
                  ) -> tuple[schemas.LeagueTableOut, _Fitted]:
    settings = contract_settings(contract)
    members = _providers(session, contract)
    fitted = _fitted(session, contract, request, frozenset(org.id for org, _ in members))
    totals = daily_totals.period_totals(session, contract.id, request.period_from,
                                        request.period_to, request.as_of)
    nothing = daily_totals.PeriodTotals(None, None, Decimal("0.00"))
    by_provider: dict[int, list[queries.ProviderGroupCounts]] = defaultdict(list)
    by_group: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for c in fitted.counts:
        by_provider[c.provider_id].append(c)
        by_group[c.provider_id, c.payment_group][0] += c.eligible
        by_group[c.provider_id, c.payment_group][1] += c.outcomes
    providers = []
    for org, membership in members:
        mine = by_provider[org.id]
        providers.append(league.ProviderFacts(
            provider_id=org.id, name=org.name, sector=org.sector,
            tier=membership.tier if membership else None,
            referrals=sum(c.referrals for c in mine),
            contracted_share=membership.contracted_share if membership else None,
            job_starts=sum(c.job_starts for c in mine),
            check_compliance=totals.get(org.id, nothing).check_compliance,
            data_timeliness=totals.get(org.id, nothing).data_timeliness,
            payments_earned=totals.get(org.id, nothing).payments_earned))
    model = fitted.model
    # With payment group alone the model is saturated and X_p is section 5's: its exact
    # path is kept so that equal indices tie exactly (app.performance.league's docstring).
    saturated = model.report.covariates == (risk_model.PAYMENT_GROUP,)
    table = league.build_league_table(
        providers,
        [league.GroupCounts(pid, group, e, o) for (pid, group), (e, o) in by_group.items()],
        league.LeagueParameters(min_n=request.min_n),
        None if saturated else {p.provider_id: p.expected for p in model.providers})
    dispersion = overdispersion.overdispersion(model.providers, overdispersion.
                                               OverdispersionParameters(request.min_n,
                                                                        settings.od_min_units))
    rows = overdispersion.with_limits(table.rows, dispersion)
    if viewer.anonymised:
        rows = league.anonymise(rows, viewer.provider_id, settings.league_k_anonymity)
    return schemas.LeagueTableOut.model_validate({
        "contract_id": contract.id, "from": request.period_from, "to": request.period_to,
        "as_of": request.as_of, "horizon_months": request.horizon, "min_n": request.min_n,
        "pooled_rate": table.pooled_rate,
        "eligible": sum(row.eligible for row in table.rows),
        "outcomes": sum(row.outcomes for row in table.rows),
        "overdispersion": {"units": dispersion.units, "phi": dispersion.phi,
                           "tau2": dispersion.tau2},
        "risk_model": {"covariates": list(model.report.covariates), "n": model.report.n,
                       "c_statistic": model.report.c_statistic},
        "rag_basis": overdispersion.rag_basis(settings.flag_rag_basis, dispersion.phi),
        "rows": [schemas.LeagueRowOut(**asdict(row)) for row in rows]}), fitted


def risk_model_report(session: Session, principal: Principal, contract_id: int, *,
                      period_from: date | None = None, period_to: date | None = None,
                      as_of: date | None = None,
                      horizon_months: int | None = None) -> schemas.RiskModelOut:
    """The risk model behind the league table's expected outcomes (DOMAIN.md section 10),
    with what it does for each provider; scoped and anonymised as the league table."""
    contract = get_contract(session, principal, contract_id)
    request = _request(contract, period_from, period_to, as_of, horizon_months, None)
    table, fitted = _league_table(session, contract, request, _viewer(principal, contract))
    report = fitted.model.report

    def refs_for(cells: Sequence[risk_model.RiskCell]
                 ) -> list[tuple[list[str], list[str]]]:
        keys = [(c.provider_id, c.payment_group,
                 *(c.characteristics.get(name) for name in fitted.covariates)) for c in cells]
        found = queries.cell_refs(session, contract.id, request.period_from, request.period_to,
                                  request.as_of, request.cutoff, request.horizon,
                                  fitted.covariates, keys)
        return [found[key] for key in keys]

    return schemas.RiskModelOut.model_validate({
        "contract_id": contract.id, "from": request.period_from, "to": request.period_to,
        "as_of": request.as_of, "horizon_months": request.horizon,
        "covariates": list(report.covariates),
        "reference_levels": [{"covariate": c, "level": level}
                             for c, level in report.reference_levels],
        "dropped_characteristics": list(report.dropped_characteristics),
        "merged_levels": [asdict(m) for m in report.merged_levels],
        "n": report.n, "outcomes": report.outcomes, "deviance": report.deviance,
        "c_statistic": report.c_statistic, "converged": report.converged,
        "overdispersion": table.overdispersion,
        "calibration": [{"decile": g.group, "n": g.n, "observed": g.observed,
                         "expected": g.expected}
                        for g in risk_model.calibration(fitted.model.cells, refs_for)],
        "coefficients": [asdict(c) for c in report.coefficients],
        "providers": [schemas.ProviderAdjustmentOut.model_validate(row, from_attributes=True)
                      for row in table.rows],
    })


@dataclass(frozen=True)
class Funnel:
    table: schemas.LeagueTableOut
    curves: overdispersion.FunnelCurves


def funnel(session: Session, principal: Principal, contract_id: int, *,
           period_from: date | None = None, period_to: date | None = None,
           as_of: date | None = None, horizon_months: int | None = None) -> Funnel:
    """The league table (as `league_table`) with the binomial and overdispersed limits drawn
    across X for its funnel plot: the curves need every provider's V_p, which the rows do not
    carry, so they are worked out here from the same fit (cached) and the same functions as
    the rows' limits."""
    contract = get_contract(session, principal, contract_id)
    request = _request(contract, period_from, period_to, as_of, horizon_months, None)
    table, fitted = _league_table(session, contract, request, _viewer(principal, contract))
    return Funnel(table, overdispersion.funnel_curves(
        [(p.expected, p.eligible, p.variance) for p in fitted.model.providers],
        table.overdispersion.tau2))


def _providers(session: Session, contract: Contract
               ) -> list[tuple[Organisation, Membership | None]]:
    """The prime (delivering in-house) and every member, whatever its status: a suspended
    member's past results still count."""
    prime = session.get_one(Organisation, contract.prime_id)
    members = session.execute(
        select(Organisation, Membership)
        .join(Membership, Membership.provider_id == Organisation.id)
        .where(Membership.contract_id == contract.id).order_by(Organisation.id))
    return [(prime, None), *((org, membership) for org, membership in members)]


def named_league_table(session: Session, contract: Contract, *, period_from: date,
                       period_to: date, as_of: date,
                       horizon_months: int) -> schemas.LeagueTableOut:
    """The league table with every row named, for a record kept for every reader (a published
    rating); `as_viewed` gives each reader what `league_table` would have shown it."""
    request = _request(contract, period_from, period_to, as_of, horizon_months, None)
    return _league_table(session, contract, request, _Viewer(False, None))[0]


def as_viewed(principal: Principal, contract: Contract,
              table: schemas.LeagueTableOut) -> schemas.LeagueTableOut:
    """A named league table as the principal may see it: anonymised for a subcontractor's
    users unless the contract shows it named (the same rule and function as `league_table`)."""
    viewer = _viewer(principal, contract)
    if not viewer.anonymised:
        return table
    rows = league.anonymise([league.LeagueRow(**asdict(row)) for row in table.rows],
                            viewer.provider_id,
                            contract_settings(contract).league_k_anonymity)
    return table.model_copy(update={"rows": [schemas.LeagueRowOut(**asdict(row))
                                             for row in rows]})


def _sees_anonymised(principal: Principal, contract: Contract, visibility: str) -> bool:
    return (principal.role == "provider_user" and principal.organisation_id != contract.prime_id
            and visibility == "anonymised")


# -- cohorts and payments --------------------------------------------------------------------------
def _aggregate_scope(principal: Principal) -> payments.ProviderScope:
    """Per-provider aggregates the principal may read: what participant-level scoping allows
    (a provider its own, a prime its contracts', an admin all); a reviewer reads aggregates
    of any provider (DOMAIN.md section 9), never participants."""
    scope = Scope(principal)

    def condition(contract_id: Any, provider_id: Any) -> ColumnElement[bool]:
        if principal.role == "reviewer":
            return true()
        return scope.participant_condition(contract_id, provider_id)

    return condition


def check_provider(session: Session, principal: Principal, contract: Contract,
                    provider_id: int) -> None:
    """A provider of the contract (its prime or a member, whatever the status) whose
    aggregates the principal may read; 404 otherwise, as if it did not exist."""
    in_contract = or_(Organisation.id == contract.prime_id, Organisation.id.in_(
        select(Membership.provider_id).where(Membership.contract_id == contract.id)))
    found = session.scalar(select(Organisation.id).where(
        Organisation.id == provider_id, in_contract,
        _aggregate_scope(principal)(literal(contract.id), Organisation.id)))
    if found is None:
        raise NotFound(f"provider {provider_id} not found in contract {contract.id}")


def cohorts(session: Session, principal: Principal, contract_id: int, *,
            provider_id: int | None = None, horizon_months: int | None = None,
            as_of: date | None = None) -> schemas.CohortsOut:
    """Monthly referral cohorts with their cumulative job-outcome rate at each month since
    referral (docs/metrics.md, Cohorts): a provider's beside the contract's, or the
    contract's. The contract-wide curve is an aggregate every viewer of the contract may see."""
    contract = get_contract(session, principal, contract_id)
    as_of = as_of or today()
    horizon = horizon_months or cohort_maths.MAX_HORIZON_MONTHS
    if not 1 <= horizon <= cohort_maths.MAX_HORIZON_MONTHS:
        raise Invalid("horizon_months: must be between 1 and 24")
    if provider_id is not None:
        check_provider(session, principal, contract, provider_id)
    by_provider = _cohort_counts(session, contract.id, as_of)
    whole_counts = [c for counts in by_provider.values() for c in counts]
    whole = cohort_maths.cohort_curves(whole_counts, as_of, horizon)
    my_counts = whole_counts if provider_id is None else list(by_provider.get(provider_id, ()))
    mine = whole if provider_id is None else cohort_maths.cohort_curves(my_counts, as_of,
                                                                        horizon)
    return schemas.CohortsOut.model_validate({
        "contract_id": contract.id, "provider_id": provider_id, "as_of": as_of,
        "horizon_months": horizon, "rows": mine,
        "overall": cohort_maths.overall_curve(mine, horizon),
        "contract_rows": None if provider_id is None else whole,
        "contract_overall": (None if provider_id is None
                             else cohort_maths.overall_curve(whole, horizon)),
        "life_table": cohort_maths.life_table(my_counts, as_of, horizon),
        "contract_life_table": (None if provider_id is None
                                else cohort_maths.life_table(whole_counts, as_of, horizon)),
    }, from_attributes=True)


def _cohort_counts(session: Session, contract_id: int, as_of: date
                   ) -> dict[int, tuple[cohort_maths.CohortCount, ...]]:
    """The whole contract's cohort counts per provider, one GROUP BY cached per data version
    (app.performance.fit_cache) like the league table's counts: a provider page asks for the
    contract's and its provider's, and every provider page of the contract for the same.
    Only counts are cached; who may see which provider is checked on every call
    (`check_provider`), and the contract's curve is an aggregate every viewer may see."""
    return fit_cache.cached(session, contract_id, ("cohort counts", as_of),
                            lambda: cohort_maths.cohort_counts(session, contract_id, as_of))


def payments_earned(session: Session, principal: Principal, contract_id: int, *,
                    period_from: date | None = None, period_to: date | None = None,
                    as_of: date | None = None,
                    provider_id: int | None = None) -> schemas.PaymentsOut:
    """Fees earned per provider and month by event date, with running totals, and the
    forecast of fees still expected from participants in work on as_of (docs/metrics.md,
    Payments and forecast). A provider's users see their own rows only."""
    contract = get_contract(session, principal, contract_id)
    as_of = as_of or today()
    period_from = period_from or contract.start_date
    period_to = period_to or as_of
    if period_to < period_from:
        raise Invalid("to: before from")
    if provider_id is not None:
        check_provider(session, principal, contract, provider_id)
    scope = _aggregate_scope(principal)
    tariff = payments.load_tariff(session, contract.id)
    last_day = min(period_to, as_of)
    counts = (payments.earned_event_counts(session, contract.id, period_from, last_day, tariff,
                                           scope, provider_id)
              if period_from <= last_day else [])
    months = payments.earned_by_month(
        counts, tariff, cohort_maths.month_index(max(last_day, period_from)),
        [provider_id] if provider_id is not None else [])
    interval = MilestoneSchedule.model_validate(
        contract.milestone_schedule).sustainment_interval_days
    outlook = payments.contract_forecast(session, contract.id, as_of, tariff, interval, scope,
                                         provider_id)
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({m.provider_id for m in months} | set(outlook.providers)))).all())
    rows = [schemas.EarnedRowOut(provider_name=names[m.provider_id], total=m.total,
                                 **asdict(m)) for m in months]
    totals = [schemas.EarnedTotalOut(provider_name=names[t.provider_id], total=t.total,
                                     **asdict(t)) for t in payments.totals_by_provider(months)]
    forecast = []
    for provider, expected in sorted(outlook.providers.items()):
        outcome_fees = payments.pennies(expected.expected_outcome_fees)
        sustainment_fees = payments.pennies(expected.expected_sustainment_fees)
        forecast.append(schemas.ForecastRowOut(
            provider_id=provider, provider_name=names[provider],
            in_work_without_outcome=expected.in_work_without_outcome,
            with_outcome=expected.with_outcome,
            expected_outcomes=float(expected.expected_outcomes),
            expected_sustainments=float(expected.expected_sustainments),
            expected_outcome_fees=outcome_fees, expected_sustainment_fees=sustainment_fees,
            expected_total=outcome_fees + sustainment_fees))
    return schemas.PaymentsOut.model_validate({
        "contract_id": contract.id, "provider_id": provider_id, "from": period_from,
        "to": period_to, "as_of": as_of, "rows": rows, "totals": totals,
        "forecast": forecast,
        "forecast_total": sum((f.expected_total for f in forecast), start=Decimal("0.00")),
        "estimates": [schemas.GroupEstimateOut(
            payment_group=e.payment_group, outcome_weeks=e.outcome_weeks,
            max_sustainments=e.max_sustainments,
            outcome_probability=[float(e.outcome_probability(w))
                                 for w in range(e.outcome_weeks)],
            sustainment_continuation=[float(p) for p in e.sustainment_continuation])
            for e in outlook.estimates.values()],
    })


def check_compliance_trend(session: Session, principal: Principal, contract_id: int,
                           provider_id: int, *, as_of: date | None = None
                           ) -> list[schemas.ComplianceMonthOut]:
    """A provider's check compliance (DOMAIN.md section 4) per month of the checks' due dates,
    from the contract's start to as_of: the trend behind the league table's figure."""
    contract = get_contract(session, principal, contract_id)
    check_provider(session, principal, contract, provider_id)
    as_of = as_of or today()
    return [schemas.ComplianceMonthOut(
        month=cohort_maths.month_label(m), checks_due=total, on_time=hits,
        check_compliance=hits / total if total else None)
        for m, total, hits in queries.check_compliance_by_month(
            session, contract.id, provider_id, contract.start_date, as_of)]


def national_benchmark(session: Session, principal: Principal, contract_id: int, *,
                       period_from: date, period_to: date, as_of: date,
                       horizon_months: int, provider_id: int | None = None) -> float | None:
    """The contract's national job-outcome rates (settings.national_rates, 2-year rates per
    payment group) weighted by the payment groups of the eligible participants referred in the
    period: what the national programme achieved with the same case mix. One provider's mix
    when provider_id is given, the whole contract's otherwise. None when nobody is eligible."""
    contract = get_contract(session, principal, contract_id)
    if provider_id is not None:
        check_provider(session, principal, contract, provider_id)
    counts = queries.provider_group_counts(session, contract.id, period_from, period_to, as_of,
                                           horizon_cutoff(as_of, horizon_months),
                                           horizon_months)
    return _national_rate(contract, counts, provider_id)


def _national_rate(contract: Contract, counts: Sequence[queries.ProviderGroupCounts],
                   provider_id: int | None) -> float | None:
    rates = {str(group): rate for group, rate in contract_settings(contract).national_rates.items()}
    mine = [c for c in counts if provider_id is None or c.provider_id == provider_id]
    eligible = sum(c.eligible for c in mine)
    if not eligible:
        return None
    return sum(c.eligible * rates.get(c.payment_group, 0.0) for c in mine) / eligible


# -- the overview: the league table's figures, a like-for-like trend, the national benchmark --
TREND_MONTHS = 6  # the length of each of the outcome trend's two referral windows


@dataclass(frozen=True)
class TrendWindow:
    """Participants referred period_from..period_to, every one of them past the horizon on
    as_of: outcomes within the horizon, counted as the league table counts them."""

    period_from: date
    period_to: date
    eligible: int
    outcomes: int

    @property
    def rate(self) -> float | None:
        return self.outcomes / self.eligible if self.eligible else None


@dataclass(frozen=True)
class Overview:
    """The Overview's figures: the league table of the same request and, for a provider's
    users, their own row of it (`own`); otherwise the whole contract's."""

    table: schemas.LeagueTableOut
    own: schemas.LeagueRowOut | None
    referrals: int
    job_starts: int
    eligible: int
    outcomes: int
    rate: float | None
    payments_earned: Decimal
    national_rate: float | None  # national 2-year rates, weighted by the same eligible mix
    trend: tuple[TrendWindow, TrendWindow] | None  # (earlier, recent), equally mature


def overview(session: Session, principal: Principal, contract_id: int, *,
             period_from: date | None = None, period_to: date | None = None,
             as_of: date | None = None, horizon_months: int | None = None) -> Overview:
    """The league table's figures for the Overview, from the same request (the league table's
    defaults when none is given): a provider's users see their own row, everyone else the
    whole contract's totals (its pooled rate, eligible and outcomes). With the national
    benchmark of the same eligible case mix and the like-for-like outcome trend (`_trend`)."""
    contract = get_contract(session, principal, contract_id)
    request = _request(contract, period_from, period_to, as_of, horizon_months, None)
    table, fitted = _league_table(session, contract, request, _viewer(principal, contract))
    own_id = principal.organisation_id if principal.role == "provider_user" else None
    own = None
    if own_id is not None:
        own = next((row for row in table.rows if row.provider_id == own_id), None)
        if own is None:
            raise NotFound(f"provider {own_id} not found in contract {contract.id}")
    rows = table.rows if own is None else [own]  # every row is exact for these viewers
    return Overview(
        table=table, own=own,
        referrals=sum(r.referrals or 0 for r in rows),
        job_starts=sum(r.job_starts or 0 for r in rows),
        eligible=table.eligible if own is None else own.eligible,
        outcomes=table.outcomes if own is None else own.outcomes,
        rate=table.pooled_rate if own is None else own.rate,
        payments_earned=sum((r.payments_earned or Decimal(0) for r in rows), Decimal(0)),
        national_rate=_national_rate(contract, fitted.counts, own_id),
        trend=_trend(session, contract, request, own_id))


def _trend(session: Session, contract: Contract, request: _Request,
           provider_id: int | None) -> tuple[TrendWindow, TrendWindow] | None:
    """Like with like: the latest TREND_MONTHS months of the period's referrals whose whole
    horizon has passed on as_of, against the TREND_MONTHS months before them, each counted
    with outcomes within the same horizon (the league table's query), so neither had longer
    to reach an outcome. None when the period does not hold both windows."""
    windows: list[tuple[date, date]] = []
    end = min(request.period_to, request.cutoff)
    for _ in range(2):
        start = add_months(end, -TREND_MONTHS) + timedelta(days=1)
        if start < request.period_from:
            return None
        windows.append((start, end))
        end = start - timedelta(days=1)
    found = []
    for start, end in reversed(windows):
        by_provider = _window_counts(session, contract.id, start, end, request)
        mine = [n for p, n in by_provider.items() if provider_id is None or p == provider_id]
        found.append(TrendWindow(start, end, sum(e for e, _ in mine), sum(o for _, o in mine)))
    return found[0], found[1]


def _window_counts(session: Session, contract_id: int, start: date, end: date,
                   request: _Request) -> dict[int, tuple[int, int]]:
    """(eligible, outcomes) per provider for referrals in [start, end], cached per data
    version like the league table's counts."""

    def compute() -> dict[int, tuple[int, int]]:
        totals: dict[int, tuple[int, int]] = {}
        for c in queries.provider_group_counts(session, contract_id, start, end,
                                               request.as_of, request.cutoff, request.horizon):
            eligible, outcomes = totals.get(c.provider_id, (0, 0))
            totals[c.provider_id] = (eligible + c.eligible, outcomes + c.outcomes)
        return totals

    key = ("trend window", start, end, request.as_of, request.cutoff, request.horizon)
    return fit_cache.cached(session, contract_id, key, compute)
