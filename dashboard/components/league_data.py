"""The league table behind the league, funnel and overview pages, read through the scoped
performance service with the filters from the URL."""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypedDict
from urllib.parse import parse_qsl

from dash import html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.performance import schemas, service
from app.performance.overdispersion import judged_rag
from dashboard.auth import PREFIX, current_principal, db_session
from dashboard.components.filters import Filters, contract_in_view, parse_filters
from dashboard.components.page import aria_label


def chosen_contract(session: Session, principal: Principal, filters: Filters
                    ) -> tuple[int, list[dict[str, Any]]]:
    """The contract in the URL, or the first the principal may see; with the options."""
    contracts = contract_in_view(session, principal, filters)
    if filters.contract_id is None:
        raise NotFound("no contract is visible to you yet")
    return filters.contract_id, contracts


class Period(TypedDict):
    period_from: date | None
    period_to: date | None
    as_of: date | None


@dataclass(frozen=True)
class DownloadWindow:
    """What a download callback reads: who asks, and the page URL's filters and contract."""

    principal: Principal
    contract_id: int
    filters: Filters
    query: dict[str, str]

    def period(self) -> Period:
        return {"period_from": self.filters.period_from, "period_to": self.filters.period_to,
                "as_of": self.filters.as_of}


def download_window(search: str | None) -> DownloadWindow:
    """The signed-in principal and the filters of the page's URL (`search`), so that a file
    holds what the page shows; no one signed in: no download."""
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    query = dict(parse_qsl((search or "").lstrip("?")))
    filters = parse_filters(query)
    with db_session() as session:
        contract_id, _ = chosen_contract(session, principal, filters)
    return DownloadWindow(principal, contract_id, filters, query)


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


def provider_page(provider_id: int | None, query: str) -> str | None:
    """A provider's page with the same filters; None for an anonymised row, which has none
    (and whose id the page never had)."""
    return None if provider_id is None else f"{PREFIX}providers/{provider_id}{query}"


def provider_links(rows: list[dict[str, Any]], query: str) -> html.Nav | None:
    """The provider pages as plain links too: reachable by Tab, outside a grid's cells or a
    chart's points."""
    named = sorted((r for r in rows if r["provider_id"] is not None),
                   key=lambda r: r["provider_name"])
    if not named:
        return None
    return html.Nav([html.H2("Provider pages", className="h6 mt-3"), html.Ul([
        html.Li(html.A(r["provider_name"], href=provider_page(r["provider_id"], query)),
                className="list-inline-item me-3")
        for r in named], className="list-inline small")], **aria_label("Provider pages"))
