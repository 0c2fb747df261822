"""Organisations, contracts and a contract's members as stand-alone files (app.core.export):
the rows the principal may list, with the API's field names."""

from collections.abc import Iterable

from app.core.export import Column, Filter, TableExport
from app.models import Contract, Organisation
from app.supply_chain import schemas
from app.supply_chain.service import contract_settings

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
                         Column("status_reason"))


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


def members_export(contract_id: int, members: Iterable[schemas.MemberRead]) -> TableExport:
    return TableExport("members", "Supply-chain members", MEMBER_EXPORT_COLUMNS, [{
        "provider_id": m.provider_id, "provider_name": m.provider_name, "sector": m.sector,
        "tier": m.tier, "contracted_share": m.contracted_share, "status": m.status,
        "status_since": m.history[-1].effective_date if m.history else None,
        "status_reason": m.history[-1].reason if m.history else None} for m in members],
        [Filter("Contract ID", contract_id, f"contract-{contract_id}")])
