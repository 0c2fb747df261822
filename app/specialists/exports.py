"""The specialists tables as stand-alone files (app.core.export): the rows
`service.specialist_usage` gives the principal, with the period they were drawn for."""

from datetime import date

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.export import Column, Filter, TableExport
from app.specialists import service
from app.supply_chain.exports import contract_filter
from app.supply_chain.service import get_contract

_FIGURES = (Column("referrals", "integer", "Specialist referrals"),
            Column("started", "integer"), Column("completed", "integer"),
            Column("declined", "integer"), Column("did_not_attend", "integer"),
            Column("open", "integer", "Still open"),
            Column("completion_rate", "percent", "Completion rate (of started)"),
            Column("fees_agreed", "money"), Column("fees_owed", "money", "Fees owed"))
SPECIALIST_COLUMNS = (Column("specialist_id", "integer", "Specialist ID"),
                      Column("specialist_name", title="Specialist"), Column("sector"),
                      Column("membership_status"),
                      Column("providers", "integer", "Providers referring"), *_FIGURES,
                      Column("fees_paid", "money"))
PROVIDER_COLUMNS = (Column("provider_id", "integer", "Provider ID"),
                    Column("provider_name", title="Provider"),
                    Column("specialists", "integer", "Specialists used"), *_FIGURES)
PAIR_COLUMNS = (Column("provider_id", "integer", "Provider ID"),
                Column("provider_name", title="Provider"),
                Column("specialist_id", "integer", "Specialist ID"),
                Column("specialist_name", title="Specialist"), *_FIGURES)
TABLES = {"specialists": ("specialists", "Specialist referrals by specialist",
                          SPECIALIST_COLUMNS),
          "providers": ("providers", "Specialist referrals by referring provider",
                        PROVIDER_COLUMNS),
          "rows": ("pairs", "Specialist referrals by provider and specialist", PAIR_COLUMNS)}


def usage_export(session: Session, principal: Principal, contract_id: int, table: str, *,
                 period_from: date | None = None, period_to: date | None = None
                 ) -> TableExport:
    """One of the usage answer's three tables: `specialists`, `providers` or `rows`."""
    usage = service.specialist_usage(session, principal, contract_id, period_from=period_from,
                                     period_to=period_to)
    name, title, columns = TABLES[table]
    contract = get_contract(session, principal, contract_id)
    return TableExport(
        f"specialist-referrals-{name}", title, columns,
        [row.model_dump() for row in getattr(usage, table)],
        [contract_filter(contract),
         Filter("Referred from", usage.period_from, f"{usage.period_from.isoformat()}"),
         Filter("Referred to", usage.period_to, f"to_{usage.period_to.isoformat()}")])
