"""Overview: the chosen contract's headline figures for a period, each with its trend against
the period of the same length just before. A provider's staff see their own organisation's
figures; everyone else the whole contract's."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import complaint_counts, open_complaints
from app.compliance.service import flag_counts
from app.core.pagination import PageParams
from app.core.timeutil import today
from app.performance import schemas, service
from app.performance.dates import add_months
from dashboard.auth import PREFIX
from dashboard.components.filters import InForce, filter_bar, parse_filters
from dashboard.components.formatting import DASH, count, money, pct
from dashboard.components.league_data import chosen_contract, league_table
from dashboard.components.page import guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/", name="Overview", order=1,
                   title="Overview - chainboard", nav_roles=ALL_ROLES)
# Half of a default 12-month period's referrals have had this long by its end: the rate
# then rests on real numbers rather than on the few referred a year before as_of.
OVERVIEW_HORIZON = 6


@dataclass
class Headline:
    referrals: int
    job_starts: int
    eligible: int
    outcomes: int
    payments_earned: Decimal

    @property
    def rate(self) -> float | None:
        return self.outcomes / self.eligible if self.eligible else None


def headline(table: schemas.LeagueTableOut, principal: Principal) -> Headline:
    """A provider's staff: their own row; others: the contract's totals."""
    rows = table.rows
    if principal.role == "provider_user":
        rows = [r for r in rows if r.provider_id == principal.organisation_id]
    return Headline(
        # Rows read exact here (a provider's own, everyone's for a prime): `or 0` for the types.
        referrals=sum(r.referrals or 0 for r in rows),
        job_starts=sum(r.job_starts or 0 for r in rows),
        eligible=sum(r.eligible for r in rows), outcomes=sum(r.outcomes for r in rows),
        payments_earned=sum((r.payments_earned or Decimal(0) for r in rows), Decimal(0)))


def trend(now: float | None, before: float | None, *, percent: bool = False,
          unit: str = "") -> str:
    """The change on the previous period in words and an arrow (never colour alone)."""
    if now is None or before is None:
        return "no figure for the previous period"
    if percent:
        change = (now - before) * 100
        if abs(change) < 0.05:
            return "\u25ac level with the previous period"
        arrow = "\u25b2 up" if change > 0 else "\u25bc down"
        return f"{arrow} {abs(change):.1f} points on the previous period ({pct(before)})"
    if before == 0:
        return "none in the previous period" if now else "\u25ac none in either period"
    change = (now - before) / before * 100
    if abs(change) < 0.5:
        return f"\u25ac level with the previous period ({unit}{before:,.0f})"
    arrow = "\u25b2 up" if change > 0 else "\u25bc down"
    return f"{arrow} {abs(change):.0f}% on the previous period ({unit}{before:,.0f})"


def tile(tile_id: str, label: str, value: str, note: str,
         link: tuple[str, str] | None = None) -> dbc.Col:
    """A headline figure; `link` (words, href): the page behind it."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.H2(label, className="h6 text-muted mb-1"),
        html.P(value, className="display-6 mb-1", id=tile_id),
        html.P(note, className="small mb-0"),
        html.A(link[0], href=link[1], className="small", id=f"{tile_id}-link")
        if link else None,
    ]), className="h-100"), md=3, sm=6, className="mb-3")


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    as_of = filters.as_of or today()
    period_to = filters.period_to or as_of
    period_from = filters.period_from or add_months(period_to, -12) + timedelta(days=1)
    horizon = filters.horizon or OVERVIEW_HORIZON
    filters.period_from, filters.period_to, filters.horizon = period_from, period_to, horizon
    length = period_to - period_from
    before_to = period_from - timedelta(days=1)
    before_from = before_to - length

    now_table = league_table(session, principal, filters, contract_id)
    now = headline(now_table, principal)
    contract = service.get_contract(session, principal, contract_id)
    before: Headline | None = None
    if before_to >= contract.start_date:
        before_table = league_table(session, principal, filters, contract_id,
                                    period_from=max(before_from, contract.start_date),
                                    period_to=before_to)
        before = headline(before_table, principal)
    own = principal.organisation_id if principal.role == "provider_user" else None
    national = service.national_benchmark(
        session, principal, contract_id, period_from=period_from, period_to=period_to,
        as_of=as_of, horizon_months=horizon, provider_id=own)

    def previous(name: str) -> Any:
        return None if before is None else getattr(before, name)

    tiles = [
        tile("tile-referrals", "Referrals", count(now.referrals),
             trend(now.referrals, previous("referrals"))),
        tile("tile-job-starts", "Job starts", count(now.job_starts),
             trend(now.job_starts, previous("job_starts"))),
        tile("tile-outcomes", "Job outcomes", count(now.outcomes),
             f"of {now.eligible:,} eligible; " + trend(now.outcomes, previous("outcomes"))),
        tile("tile-rate", f"Outcome rate within {horizon} months", pct(now.rate),
             trend(now.rate, previous("rate"), percent=True)),
        tile("tile-pooled", "Pooled rate (whole contract)", pct(now_table.pooled_rate),
             "the benchmark the league table compares providers with"),
        tile("tile-national", "National benchmark, same case mix", pct(national),
             "2-year national job-outcome rates weighted by this case mix"),
        tile("tile-payments", "Payments earned", money(now.payments_earned),
             trend(float(now.payments_earned),
                   None if before is None else float(before.payments_earned), unit="\u00a3")),
    ]
    if principal.role != "reviewer":  # reviewers read aggregates, never participants' checks
        checks = service.milestones(session, principal, contract_id, PageParams(limit=1),
                                    status="overdue", as_of=as_of)
        overdue = (checks.counts or {}).get("overdue", 0)  # a first page carries the tallies
        tiles.append(tile("tile-overdue", "Overdue in-work checks", count(overdue),
                          "checks past their 7-day grace with no result"))
    flags = flag_counts(session, principal, contract_id)
    tiles.append(tile(
        "tile-flags", "Open compliance flags", count(flags["open"]),
        f"{flags['acknowledged']:,} acknowledged, {flags['resolved']:,} resolved"
        + ("; about your organisation" if own is not None else ""),
        ("Compliance flags", f"{PREFIX}compliance?contract={contract_id}&status=open")))
    complaints = complaint_counts(session, principal, contract_id)
    escalated = sum(complaints.get(s, 0) for s in ("escalated", "triaged",
                                                   "independent_review", "decided"))
    tiles.append(tile(
        "tile-complaints", "Open complaints", count(open_complaints(complaints)),
        f"{escalated:,} of them in the Merlin route (escalated)"
        if principal.role != "reviewer" else "escalated to the Merlin route",
        ("Complaints", f"{PREFIX}complaints?contract={contract_id}")))
    who = ("your organisation's figures" if own is not None else "the whole contract")
    previous_text = (f"against {before_from} to {before_to}" if before is not None
                     else "no earlier period in this contract")
    links = html.P([
        html.A("League table", href=f"{PREFIX}league{filters.query(contract=contract_id)}",
               className="me-3"),
        html.A("Milestones", href=f"{PREFIX}milestones?contract={contract_id}",
               className="me-3") if principal.role != "reviewer" else None,
    ])
    return html.Div([
        page_header("Overview",
                    f"Participants referred {period_from} to {period_to} ({who}), as of "
                    f"{as_of}; trends {previous_text}. Outcome figures count participants "
                    f"referred at least {horizon} months before {as_of}."),
        filter_bar(filters, contracts, in_force=InForce(as_of=as_of)),
        dbc.Row(tiles),
        html.P(f"Rates {DASH} when nobody referred in the period is eligible yet.",
               className="small text-muted"),
        links,
    ])


layout = guarded(render, "")


