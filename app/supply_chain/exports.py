"""Supply-chain tables as stand-alone files (app.core.export): organisations, contracts and
a contract's members (the rows the principal may list, with the API's field names), and the
prime's payments to its members (their invoices) with the days beyond terms and a status in
words, for the payments page and its downloads (the rows `list_payments` gives the principal).
Also the header line naming a contract that every domain's exports start with."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.export import Column, Filter, TableExport
from app.core.pagination import PageParams
from app.models import Contract, Organisation
from app.supply_chain import schemas
from app.supply_chain.service import (
    contract_settings,
    days_beyond_terms,
    get_contract,
    list_organisations,
    list_payments,
)

ORGANISATION_EXPORT_COLUMNS = (Column("id", "integer", "Organisation ID"), Column("name"),
                               Column("kind"), Column("sector"))
CONTRACT_EXPORT_COLUMNS = (Column("id", "integer", "Contract ID"),
                           Column("cpa_code", title="CPA code"),
                           Column("cpa_name", title="CPA name"),
                           Column("prime_id", "integer", "Prime ID"),
                           Column("start_date", "date"), Column("end_date", "date"),
                           Column("league_visibility"), Column("tariff_rows", "integer"))
MEMBER_EXPORT_COLUMNS = (Column("provider_id", "integer", "Provider ID"),
                         Column("provider_name", title="Provider"), Column("sector"),
                         Column("tier", "integer"), Column("contracted_share", "percent"),
                         Column("status"), Column("status_since", "date"),
                         Column("status_reason"),
                         Column("min_performance_index", "number",
                                "Minimum performance index"),
                         Column("check_compliance_min", "percent", "Check compliance at least"),
                         Column("data_timeliness_min", "percent", "Data timeliness at least"),
                         Column("own_expectations", title="Set for this member"))


def organisations_export(organisations: Iterable[Organisation]) -> TableExport:
    return TableExport("organisations", "Organisations", ORGANISATION_EXPORT_COLUMNS, [
        {"id": o.id, "name": o.name, "kind": o.kind, "sector": o.sector}
        for o in organisations])


def contracts_export(contracts: Iterable[Contract]) -> TableExport:
    return TableExport("contracts", "Contracts", CONTRACT_EXPORT_COLUMNS, [{
        "id": c.id, "cpa_code": c.cpa_code, "cpa_name": c.cpa_name, "prime_id": c.prime_id,
        "start_date": c.start_date, "end_date": c.end_date,
        "league_visibility": contract_settings(c).league_visibility,
        "tariff_rows": len(c.tariff_rows)} for c in contracts])


def members_export(contract_id: int, members: Iterable[schemas.MemberRead],
                   expectations: Mapping[int, schemas.ExpectationsRead]) -> TableExport:
    """The members page's table: each member with what it is expected to reach (its own
    where set, named in `own_expectations`, else the contract's)."""
    return TableExport("members", "Supply-chain members", MEMBER_EXPORT_COLUMNS, [{
        "provider_id": m.provider_id, "provider_name": m.provider_name, "sector": m.sector,
        "tier": m.tier, "contracted_share": m.contracted_share, "status": m.status,
        "status_since": m.history[-1].effective_date if m.history else None,
        "status_reason": m.history[-1].reason if m.history else None,
        "min_performance_index": expectations[m.provider_id].min_performance_index,
        "check_compliance_min": expectations[m.provider_id].check_compliance_min,
        "data_timeliness_min": expectations[m.provider_id].data_timeliness_min,
        "own_expectations": ", ".join(expectations[m.provider_id].overridden) or None}
        for m in members], [Filter("Contract ID", contract_id, f"contract-{contract_id}")])


INVOICE_EXPORT_COLUMNS = (
    Column("id", title="Payment ID"), Column("provider_id", "integer", "Provider ID"),
    Column("provider_name", title="Provider"), Column("invoice_date", "date"),
    Column("amount", "money"), Column("terms_days", "integer", "Terms (days)"),
    Column("due_date", "date", "Due by"), Column("paid_date", "date"),
    Column("days_beyond_terms", "integer"), Column("status"))
PAGE_ROWS = 1000


def contract_filter(contract: Contract) -> Filter:
    return Filter("Contract", f"{contract.cpa_name} ({contract.cpa_code}, id {contract.id})",
                  f"contract-{contract.id}")


def invoice_status(paid: bool, days_late: int) -> str:
    if paid:
        return "Paid late" if days_late else "Paid on time"
    return "Unpaid, past its terms" if days_late else "Unpaid, within its terms"


def invoice_rows(session: Session, principal: Principal, contract_id: int,
                 as_of: date) -> list[dict[str, Any]]:
    """Every payment the principal may see, newest invoice first."""
    names = {org.id: org.name for org in list_organisations(
        session, principal, PageParams(limit=1000))[0]}
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        found, cursor = list_payments(session, principal, contract_id,
                                      PageParams(limit=PAGE_ROWS, cursor=cursor))
        for payment in found:
            late = days_beyond_terms(payment.invoice_date, payment.terms_days,
                                     payment.paid_date, as_of)
            rows.append({
                "id": payment.public_id, "provider_id": payment.provider_id,
                "provider_name": names.get(payment.provider_id, ""),
                "invoice_date": payment.invoice_date, "amount": payment.amount,
                "terms_days": payment.terms_days,
                "due_date": payment.invoice_date + timedelta(days=payment.terms_days),
                "paid_date": payment.paid_date, "days_beyond_terms": late,
                "status": invoice_status(payment.paid_date is not None, late)})
        if cursor is None:
            return sorted(rows, key=lambda row: (row["invoice_date"], row["id"]), reverse=True)


def invoices_export(session: Session, principal: Principal, contract_id: int,
                    as_of: date) -> TableExport:
    contract = get_contract(session, principal, contract_id)
    filters = [contract_filter(contract), Filter("As of", as_of, f"as-of_{as_of.isoformat()}")]
    return TableExport("payments-to-members", "Payments to members", INVOICE_EXPORT_COLUMNS,
                       invoice_rows(session, principal, contract_id, as_of), filters)
