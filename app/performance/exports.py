"""The performance tables as stand-alone files (app.core.export): the same rows the API
answers, for the same principal, with the filters they were drawn with. The header block names
only the contract (which `get_contract` has just let the principal see) and echoes the filters
asked for; it names no provider the rows do not already show."""

from dataclasses import asdict
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.export import Column, Filter, Kind, TableExport
from app.core.pagination import PageParams
from app.performance import schemas, service
from app.supply_chain.exports import contract_filter
from app.supply_chain.service import get_contract, list_organisations

_PERCENT = ("referral_share", "contracted_share", "rate", "adjusted_rate", "ci_low", "ci_high",
            "funnel_lower_95", "funnel_upper_95", "funnel_lower_998", "funnel_upper_998",
            "check_compliance", "data_timeliness")
_INTEGER = ("provider_id", "tier", "referrals", "eligible", "outcomes", "rank", "raw_rank",
            "job_starts")
_NUMBER = ("expected", "performance_index", "pi_lower_95", "pi_upper_95", "pi_lower_998",
           "pi_upper_998", "shrunk_pi", "shrunk_pi_low", "shrunk_pi_high")
_TITLES = {"rank": "Adjusted rank", "provider_name": "Provider", "expected": "Expected outcomes",
           "rate": "Outcome rate", "rag": "RAG", "high_outlier": "High outlier",
           "high_outlier_od": "High outlier (overdispersed)", "provider_id": "Provider ID"}


def _league_column(key: str) -> Column:
    kind: Kind = ("percent" if key in _PERCENT else "integer" if key in _INTEGER
            else "number" if key in _NUMBER else "money" if key == "payments_earned"
            else "boolean" if key.startswith("high_outlier") else "text")
    return Column(key, kind, _TITLES.get(key, ""))


LEAGUE_EXPORT_COLUMNS = tuple(_league_column(key) for key in schemas.LEAGUE_COLUMNS)
MILESTONE_EXPORT_COLUMNS = (
    Column("participant_ref", title="Participant"),
    Column("provider_id", "integer", "Provider ID"), Column("provider_name", title="Provider"),
    Column("milestone"), Column("due_date", "date"), Column("status"),
    Column("checked_on", "date"), Column("result"))
EARNED_EXPORT_COLUMNS = tuple(
    Column(key, "money" if key.endswith(("fees", "total")) else
           "integer" if key in ("provider_id", "attachments", "outcomes", "sustainments")
           else "text", _TITLES.get(key, ""))
    for key in schemas.EARNED_COLUMNS)
BY_PROVIDER_EXPORT_COLUMNS = (
    Column("provider_id", "integer", "Provider ID"), Column("provider_name", title="Provider"),
    Column("attachments", "integer"), Column("outcomes", "integer", "Job outcomes"),
    Column("sustainments", "integer"), Column("attachment_fees", "money"),
    Column("outcome_fees", "money"), Column("sustainment_fees", "money"),
    Column("total", "money", "Fees earned"),
    Column("in_work", "integer", "In work, outcome or sustainment to come"),
    Column("expected_total", "money", "Forecast still expected"))


def period_filters(label: str, period_from: date, period_to: date) -> list[Filter]:
    return [Filter(f"{label} from", period_from,
                   f"{period_from.isoformat()}_to_{period_to.isoformat()}"),
            Filter(f"{label} to", period_to)]


def model_filters(session: Session, principal: Principal, contract_id: int,
                  report: schemas.RiskModelOut) -> list[Filter]:
    """The risk model report's filters: the league table's period, as-of and horizon."""
    return [contract_filter(get_contract(session, principal, contract_id)),
            *period_filters("Referrals", report.period_from, report.period_to),
            Filter("As of", report.as_of, f"as-of_{report.as_of.isoformat()}"),
            Filter("Horizon (months)", report.horizon_months,
                   f"horizon-{report.horizon_months}-months")]


def league_export(session: Session, principal: Principal, contract_id: int, *,
                  period_from: date | None = None, period_to: date | None = None,
                  as_of: date | None = None, horizon_months: int | None = None,
                  min_n: int | None = None) -> TableExport:
    table = service.league_table(session, principal, contract_id, period_from=period_from,
                                 period_to=period_to, as_of=as_of,
                                 horizon_months=horizon_months, min_n=min_n)
    contract = get_contract(session, principal, contract_id)
    return TableExport("league-table", "League table", LEAGUE_EXPORT_COLUMNS,
                       [asdict(row) for row in table.rows], [
        contract_filter(contract),
        *period_filters("Referrals", table.period_from, table.period_to),
        Filter("As of", table.as_of, f"as-of_{table.as_of.isoformat()}"),
        Filter("Horizon (months)", table.horizon_months,
               f"horizon-{table.horizon_months}-months"),
        Filter("Minimum eligible (min n)", table.min_n),
        Filter("Pooled outcome rate", "" if table.pooled_rate is None
               else f"{table.pooled_rate:.1%}"),
    ])


def milestones_export(session: Session, principal: Principal, contract_id: int, *,
                      status: str | None = None, as_of: date | None = None,
                      provider_id: int | None = None, due_from: date | None = None,
                      due_to: date | None = None) -> TableExport:
    """Every check the filters select (all pages)."""
    rows: list[schemas.MilestoneRow] = []
    cursor = None
    while True:
        page = service.milestones(session, principal, contract_id,
                                  PageParams(limit=1000, cursor=cursor), status=status,
                                  as_of=as_of, provider_id=provider_id, due_from=due_from,
                                  due_to=due_to)
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    contract = get_contract(session, principal, contract_id)
    # The rows hold the principal's participants only; the names are those it may see.
    names = {org.id: org.name for org in list_organisations(
        session, principal, PageParams(limit=1000))[0]}
    filters = [contract_filter(contract)]
    if provider_id is not None:
        filters.append(Filter("Provider ID", provider_id, f"provider-{provider_id}"))
    filters.append(Filter("Status", status or "any", f"status-{status or 'any'}"))
    if due_from is not None:
        filters.append(Filter("Due on or after", due_from, f"due-from_{due_from.isoformat()}"))
    if due_to is not None:
        filters.append(Filter("Due on or before", due_to, f"due-to_{due_to.isoformat()}"))
    filters.append(Filter("As of", page.as_of, f"as-of_{page.as_of.isoformat()}"))
    return TableExport("milestones", "Milestones", MILESTONE_EXPORT_COLUMNS, [
        {**row.model_dump(), "provider_name": names.get(row.provider_id, "")} for row in rows],
        filters)


def payments_export(session: Session, principal: Principal, contract_id: int, *,
                    period_from: date | None = None, period_to: date | None = None,
                    as_of: date | None = None, provider_id: int | None = None) -> TableExport:
    earned = service.payments_earned(session, principal, contract_id, period_from=period_from,
                                     period_to=period_to, as_of=as_of, provider_id=provider_id)
    contract = get_contract(session, principal, contract_id)
    filters = [contract_filter(contract)]
    if provider_id is not None:
        filters.append(Filter("Provider ID", provider_id, f"provider-{provider_id}"))
    filters += [*period_filters("Events", earned.period_from, earned.period_to),
                Filter("As of", earned.as_of, f"as-of_{earned.as_of.isoformat()}")]
    return TableExport("payments-earned", "Payments earned", EARNED_EXPORT_COLUMNS,
                       [row.model_dump() for row in earned.rows], filters)


def payments_by_provider(earned: schemas.PaymentsOut) -> list[dict[str, object]]:
    """Each provider's fees earned over the period beside the forecast still expected from its
    participants in work (either may be missing: zero), by provider name."""
    rows: dict[int, dict[str, object]] = {}
    for total in earned.totals:
        rows[total.provider_id] = {**total.model_dump(), "in_work": 0,
                                   "expected_total": Decimal("0.00")}
    for expected in earned.forecast:
        row = rows.setdefault(expected.provider_id, {
            "provider_id": expected.provider_id, "provider_name": expected.provider_name,
            "attachments": 0, "outcomes": 0, "sustainments": 0,
            **{key: Decimal("0.00") for key in ("attachment_fees", "outcome_fees",
                                                "sustainment_fees", "total")}})
        row["in_work"] = expected.in_work_without_outcome + expected.with_outcome
        row["expected_total"] = expected.expected_total
    return sorted(rows.values(), key=lambda row: str(row["provider_name"]))


def payments_by_provider_export(session: Session, principal: Principal, contract_id: int, *,
                                period_from: date | None = None, period_to: date | None = None,
                                as_of: date | None = None) -> TableExport:
    earned = service.payments_earned(session, principal, contract_id, period_from=period_from,
                                     period_to=period_to, as_of=as_of)
    contract = get_contract(session, principal, contract_id)
    filters = [contract_filter(contract),
               *period_filters("Events", earned.period_from, earned.period_to),
               Filter("As of", earned.as_of, f"as-of_{earned.as_of.isoformat()}")]
    return TableExport("payments-by-provider", "Payments by provider",
                       BY_PROVIDER_EXPORT_COLUMNS, payments_by_provider(earned), filters)


REVIEW_STATUS_EXPORT_COLUMNS = (
    Column("provider_id", "integer", "Provider ID"), Column("provider_name", title="Member"),
    Column("status", title="Review status"), Column("performance_index", "number"),
    Column("minimum", "number", "Minimum performance index"),
    Column("significance_limit", "number"), Column("previous_quarter"),
    Column("previous_performance_index", "number"), Column("check_compliance", "percent"),
    Column("check_compliance_min", "percent", "Check compliance minimum"),
    Column("data_timeliness", "percent"),
    Column("data_timeliness_min", "percent", "Data timeliness minimum"),
    Column("reasons", title="Why"))


def review_status_export(status: schemas.ReviewStatusOut) -> TableExport:
    """Every member's review status for a published quarter, as the reader may see it."""
    return TableExport("review-status", "Review status", REVIEW_STATUS_EXPORT_COLUMNS, [
        {**row.model_dump(), "reasons": " ".join(row.reasons)} for row in status.rows], [
        Filter("Contract ID", status.contract_id, f"contract-{status.contract_id}"),
        Filter("Quarter", status.quarter, status.quarter),
        Filter("Publication", status.rating_id)])
