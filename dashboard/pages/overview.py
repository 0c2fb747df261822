"""Overview: the chosen contract's headline figures. Its outcome figures are the league
table's for the same filters (one service call, `service.overview`; the league table's
defaults when the URL names none), and it links to the league table with them. A provider's
staff see their own organisation's row; everyone else the whole contract's. The one trend
shown compares like with like: two windows of referrals that have both had the whole horizon."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import complaint_counts, open_complaints
from app.compliance.service import flag_counts
from app.performance import service
from dashboard.auth import PREFIX
from dashboard.components.explain import explained_heading
from dashboard.components.filters import InForce, filter_bar, parse_filters
from dashboard.components.formatting import DASH, count, day, money, pct
from dashboard.components.league_data import chosen_contract
from dashboard.components.page import guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/", name="Overview", order=1,
                   title="Overview - chainboard", nav_roles=ALL_ROLES)
# The national rates are two-year rates: only a 24-month horizon compares with them.
NATIONAL_HORIZON = 24


def outcome_trend(found: service.Overview) -> str:
    """The like-for-like trend in words and an arrow (never colour alone), or why none."""
    horizon = found.table.horizon_months
    if found.trend is None:
        return (f"No like-for-like trend: the period does not hold two "
                f"{service.TREND_MONTHS}-month spells of referrals that have both had the "
                f"full {horizon} months by {day(found.table.as_of)}.")
    before, recent = found.trend
    if recent.rate is None or before.rate is None:
        change = "no change to report (nobody eligible in one of them)"
    else:
        points = (recent.rate - before.rate) * 100
        arrow = "\u25b2 up" if points > 0 else "\u25bc down"
        change = "\u25ac level" if abs(points) < 0.05 else f"{arrow} {abs(points):.1f} points"
    return (f"Like for like: referred {day(recent.period_from)} to {day(recent.period_to)}, "
            f"{pct(recent.rate)} ({recent.outcomes:,} of {recent.eligible:,}), against "
            f"{day(before.period_from)} to {day(before.period_to)}, {pct(before.rate)} "
            f"({before.outcomes:,} of {before.eligible:,}): {change}.")


def national_note(horizon: int) -> str:
    """What DWP's rate is lives in the glossary; the tile says only whether it compares."""
    if horizon == NATIONAL_HORIZON:
        return "Comparable with the 24-month rates here."
    return (f"Not comparable with the {horizon}-month rates here: choose a 24-month horizon "
            "to compare.")


def tile(tile_id: str, slug: str, label: str, value: str, note: str,
         link: tuple[str, str] | None = None) -> dbc.Col:
    """A headline figure with its glossary term (`slug`: the "i" beside the label); `link`
    (words, href): the page behind it."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        explained_heading(html.H2(label, className="h6 text-muted mb-1"), slug,
                          f"{tile_id}-what"),
        html.P(value, className="display-6 mb-1", id=tile_id),
        html.P(note, className="small mb-0", id=f"{tile_id}-note"),
        html.A(link[0], href=link[1], className="small", id=f"{tile_id}-link")
        if link else None,
    ]), className="h-100"), md=3, sm=6, className="mb-3")


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    found = service.overview(session, principal, contract_id, period_from=filters.period_from,
                             period_to=filters.period_to, as_of=filters.as_of,
                             horizon_months=filters.horizon)
    table = found.table
    horizon, as_of = table.horizon_months, table.as_of
    own = found.own
    league_query = filters.query(contract=contract_id, **{
        "from": table.period_from, "to": table.period_to, "as_of": as_of, "horizon": horizon})
    league_href = f"{PREFIX}league{league_query}"
    tiles = [
        tile("tile-referrals", "referrals", "Referrals", count(found.referrals),
             f"referred {day(table.period_from)} to {day(table.period_to)}"),
        tile("tile-job-starts", "job-starts", "Job starts", count(found.job_starts),
             f"of those referrals, by {day(as_of)}"),
        tile("tile-outcomes", "job-outcomes", f"Job outcomes within {horizon} months",
             count(found.outcomes), f"of {found.eligible:,} eligible"),
        tile("tile-rate", "outcome-rate" if own is not None else "pooled-rate",
             f"Outcome rate within {horizon} months"
             + (" (your organisation)" if own is not None else " (pooled, all providers)"),
             pct(found.rate), outcome_trend(found), ("League table", league_href)),
    ]
    if own is not None:
        tiles.append(tile("tile-pooled", "pooled-rate", f"Pooled rate within {horizon} months",
                          pct(table.pooled_rate),
                          f"all providers: {table.outcomes:,} of {table.eligible:,} eligible"))
    tiles += [
        tile("tile-national", "national-rate", "National two-year rate, same case mix",
             pct(found.national_rate), national_note(horizon)),
        tile("tile-payments", "payments-earned", "Payments earned", money(found.payments_earned),
             f"fees for events dated {day(table.period_from)} to "
             f"{day(min(table.period_to, as_of))}"),
    ]
    if principal.role != "reviewer":  # reviewers read aggregates, never participants' checks
        overdue = service.milestone_count(session, principal, contract_id, "overdue",
                                          as_of=as_of)
        tiles.append(tile("tile-overdue", "overdue-check", "Overdue in-work checks",
                          count(overdue),
                          "checks past their 7-day grace with no result"))
    flags = flag_counts(session, principal, contract_id)
    tiles.append(tile(
        "tile-flags", "compliance-flag", "Open compliance flags", count(flags["open"]),
        f"{flags['acknowledged']:,} acknowledged, {flags['resolved']:,} resolved"
        + ("; about your organisation" if own is not None else ""),
        ("Compliance flags", f"{PREFIX}compliance?contract={contract_id}&status=open")))
    complaints = complaint_counts(session, principal, contract_id)
    escalated = sum(complaints.get(s, 0) for s in ("escalated", "triaged",
                                                   "independent_review", "decided"))
    tiles.append(tile(
        "tile-complaints", "complaint-states", "Open complaints",
        count(open_complaints(complaints)),
        f"{escalated:,} of them in the Merlin route (escalated)"
        if principal.role != "reviewer" else "escalated to the Merlin route",
        ("Complaints", f"{PREFIX}complaints?contract={contract_id}")))
    who = ("your organisation's figures" if own is not None else "the whole contract")
    links = html.P([
        html.A("League table with these filters", href=league_href, className="me-3",
               id="overview-league-link"),
        html.A("Milestones", href=f"{PREFIX}milestones?contract={contract_id}",
               className="me-3") if principal.role != "reviewer" else None,
    ])
    return html.Div([
        page_header("Overview",
                    f"Referred {day(table.period_from)} to {day(table.period_to)} ({who}), as of "
                    f"{day(as_of)}, outcomes within {horizon} months: the league table's figures "
                    "for these filters."),
        filter_bar(filters, contracts, in_force=InForce(table.period_from, table.period_to,
                                                        as_of, horizon)),
        dbc.Row(tiles),
        html.P(f"Rates {DASH} when nobody referred in the period is eligible yet.",
               className="small text-muted"),
        links,
    ])


layout = guarded(render, "")


