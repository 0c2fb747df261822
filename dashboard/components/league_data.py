"""The league table behind the league, funnel and overview pages, read through the scoped
performance service with the filters from the URL."""

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.performance import schemas, service
from app.performance.overdispersion import judged_rag
from dashboard.components.filters import Filters, contract_options


def chosen_contract(session: Session, principal: Principal, filters: Filters
                    ) -> tuple[int, list[dict[str, Any]]]:
    """The contract in the URL, or the first the principal may see; with the options."""
    contracts = contract_options(session, principal)
    if filters.contract_id is None:
        if not contracts:
            raise NotFound("no contract is visible to you yet")
        filters.contract_id = int(contracts[0]["value"])  # the control shows the choice
    return filters.contract_id, contracts


def league_table(session: Session, principal: Principal, filters: Filters,
                 contract_id: int, **overrides: date | None) -> schemas.LeagueTableOut:
    arguments: dict[str, Any] = {
        "period_from": filters.period_from, "period_to": filters.period_to,
        "as_of": filters.as_of, "horizon_months": filters.horizon, **overrides}
    return service.league_table(session, principal, contract_id, **arguments)


# The limits a RAG is judged against, in words (legends, captions, column headers).
RAG_BASIS_WORDS = {"overdispersed": "overdispersed limits",
                   "binomial": "binomial limits"}


def league_rows(table: schemas.LeagueTableOut) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (money as numbers) for the grid and the plots, each with
    `judged_rag`: the RAG of the table's rag_basis, as the flags judge (one decision:
    overdispersion.judged_rag), which every page shows as the provider's RAG."""
    rows = []
    for row in table.rows:
        values = asdict(row)
        values["judged_rag"] = judged_rag(row, table.rag_basis)
        for name in ("contracted_share", "payments_earned"):
            if values[name] is not None:
                values[name] = float(values[name])
        rows.append(values)
    return rows
