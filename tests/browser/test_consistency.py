"""Issue 15, "One definition per figure": for the same URL filters the Overview, the league
table, the funnel plot and the provider pages show the same numbers, read from the rendered
pages (the grid's cells, the tiles' text, what Plotly drew). Then one test per symptom of
finding 1, each of which failed on the main branch before this change."""

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.timeutil import today
from app.demo.loader import ADMIN
from app.performance import service
from app.performance.dates import add_months, horizon_cutoff
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_conventions import iso
from tests.browser.test_journeys import grid_column, wait_attached

pytestmark = pytest.mark.browser

# The league page's pooled rate, worded as this branch and as main word it.
POOLED = re.compile(r"Pooled rate.*?(\d+\.\d%)", re.DOTALL)
COLUMNS = ("provider_link", "eligible", "outcomes", "rate", "expected", "performance_index",
           "rag_display", "rank", "raw_rank", "payments_earned", "referrals", "job_starts")


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A browser wide enough for the league grid to draw every column (it draws only the
    columns in view), so each figure is read from the page."""
    context = browser.new_context(viewport={"width": 7000, "height": 1000})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def number(text: str) -> int:
    return int(text.replace(",", ""))


def row_count(engine: Engine, demo: Demo, **filters: Any) -> int:
    with Session(engine) as session:
        return len(service.league_table(session, ADMIN, demo.contract_id, **filters).rows)


def league_grid(page: Any, rows: int) -> dict[str, dict[str, str]]:
    """The league grid's rows by provider name: column id -> the cell's text."""
    columns = {c: grid_column(page, "league-grid", c, rows) for c in COLUMNS}
    return {name: {c: columns[c][i] for c in COLUMNS}
            for i, name in enumerate(columns["provider_link"])}


def league_pooled(page: Any) -> str:
    page.locator("#league-grid .ag-row").first.wait_for()
    found = POOLED.search(page.locator("#_pages_content").inner_text())
    assert found, "the league page states no pooled rate"
    return found.group(1)


def funnel_points(page: Any) -> dict[str, dict[str, Any]]:
    """What Plotly drew for each provider's point: X, PI and the RAG of its trace."""
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    traces = page.evaluate("""() => document.querySelector('#funnel-graph .js-plotly-plot')
        .data.filter(t => t.meta && 'rag' in t.meta)
        .map(t => ({rag: t.meta.rag, x: t.x, y: t.y, hover: t.hovertext}))""")
    points = {}
    for trace in traces:
        for x, y, hover in zip(trace["x"], trace["y"], trace["hover"], strict=True):
            name = re.match(r"<b>(.*?)</b>", hover)
            assert name, hover
            points[name.group(1)] = {"x": x, "y": y, "rag": trace["rag"]}
    return points


def test_the_same_filters_give_the_same_figures_on_every_page(page: Any, demo: Demo,
                                                              engine: Engine) -> None:
    """The consistency test: Overview, league table, funnel and provider pages, one URL."""
    as_of = today() - timedelta(days=20)
    filters = {"from": add_months(demo.cpa.start_date, 1), "to": as_of - timedelta(days=60),
               "as_of": as_of, "horizon": 9}
    query = (f"?contract={demo.contract_id}&"
             + "&".join(f"{k}={v}" for k, v in filters.items()))
    rows = row_count(engine, demo, period_from=filters["from"], period_to=filters["to"],
                     as_of=as_of, horizon_months=9)

    sign_in(page, demo, "ridgeway.manager", f"league{query}")
    grid = league_grid(page, rows)
    pooled = league_pooled(page)
    eligible = page.locator("#league-eligible").inner_text()
    outcomes = page.locator("#league-outcomes").inner_text()
    assert sum(number(r["eligible"]) for r in grid.values()) == number(eligible)
    assert sum(number(r["outcomes"]) for r in grid.values()) == number(outcomes)
    assert f"{number(outcomes) / number(eligible) * 100:.1f}%" == pooled
    named = {name: row for name, row in grid.items() if not name.startswith("Provider ")}
    assert len(named) == len(grid) >= 5  # the prime sees every provider by name

    page.goto(f"{demo.base}/dashboard/{query}")
    page.locator("#tile-rate").wait_for()
    assert page.locator("#tile-rate").inner_text() == pooled
    assert page.locator("#tile-outcomes").inner_text() == outcomes
    for tile, column in (("referrals", "referrals"), ("job-starts", "job_starts")):
        total = sum(number(r[column]) for r in grid.values())
        assert page.locator(f"#tile-{tile}").inner_text() == f"{total:,}"
    assert page.locator("#tile-outcomes-note").inner_text().startswith(f"of {eligible} eligible")
    assert "within 9 months" in page.locator("#tile-rate").locator("xpath=..").inner_text()

    page.goto(f"{demo.base}/dashboard/funnel{query}")
    points = funnel_points(page)
    for name, row in named.items():
        if row["performance_index"] in ("", "\u2014"):
            assert name not in points
            continue
        point = points[name]
        assert f"{point['x']:.1f}" == row["expected"], name
        assert f"{point['y']:.2f}" == row["performance_index"], name
        assert row["rag_display"].lower().endswith(point["rag"]), name

    for name, row in named.items():
        provider = demo.org_ids[next(o.slug for o in demo.cpa.organisations if o.name == name)]
        page.goto(f"{demo.base}/dashboard/providers/{provider}{query}")
        page.locator("#provider-rate").wait_for()
        shown = {c: page.locator(f"#provider-{c}").inner_text()
                 for c in ("rate", "expected", "pi", "rag", "rank", "raw-rank")}
        assert shown == {"rate": row["rate"], "expected": row["expected"],
                         "pi": row["performance_index"], "rag": row["rag_display"],
                         "rank": row["rank"], "raw-rank": row["raw_rank"]}, name
        assert f"pooled rate of all providers {pooled}" in page.locator(
            "#provider-league").inner_text()
        assert page.locator("#provider-earned").inner_text() == row["payments_earned"], name
        if row["payments_earned"] != "\u00a30":  # the chart ends at the row's fees
            wait_attached(page, "#provider-payments .main-svg")
            drawn = page.evaluate("""() => document.querySelector(
                '#provider-payments .js-plotly-plot').data[0].y.slice(-1)[0]""")
            assert f"\u00a3{drawn:,.0f}" == row["payments_earned"], name

    # The contract-wide payments page: each provider's fees are its league row's.
    page.goto(f"{demo.base}/dashboard/payments{query}")
    page.locator("#payments-providers .ag-row").first.wait_for()
    earning = [r for r in named.values() if r["payments_earned"] != "\u00a30"]
    names = grid_column(page, "payments-providers", "provider_link", len(earning))
    fees = dict(zip(names, grid_column(page, "payments-providers", "total"), strict=True))
    for name, row in named.items():
        assert fees.get(name, "\u00a30") == row["payments_earned"], name
    total = sum(number(r["payments_earned"].lstrip("\u00a3")) for r in grid.values())
    assert page.locator("#payments-earned").inner_text() == f"\u00a3{total:,}"


def test_a_provider_users_overview_is_its_own_league_row(page: Any, demo: Demo,
                                                         engine: Engine) -> None:
    """Finding 1: Calder's staff saw 1.9% on the Overview and 20.4% in the league table."""
    sign_in(page, demo, "calder.staff", f"league?contract={demo.contract_id}")
    grid = league_grid(page, row_count(engine, demo))
    own = grid["Calder Works Ltd"]
    pooled = league_pooled(page)
    page.goto(f"{demo.base}/dashboard/?contract={demo.contract_id}")
    page.locator("#tile-rate").wait_for()
    assert page.locator("#tile-rate").inner_text() == own["rate"]
    assert page.locator("#tile-outcomes").inner_text() == own["outcomes"]
    assert page.locator("#tile-pooled").inner_text() == pooled


def test_the_overview_defaults_to_the_league_tables_figures_and_links_to_them(
        page: Any, demo: Demo, engine: Engine) -> None:
    """Finding 1: with no filters the Overview said "Outcome rate 1.9%" (12 months of
    referrals, a 6-month horizon) while the league table said "Pooled rate 15.8%"."""
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    pooled = league_pooled(page)
    page.goto(f"{demo.base}/dashboard/?contract={demo.contract_id}")
    page.locator("#tile-rate").wait_for()
    assert page.locator("#tile-rate").inner_text() == pooled
    page.locator("#overview-league-link").click()
    page.wait_for_url("**/dashboard/league?*")
    assert league_pooled(page) == pooled


def test_the_national_benchmark_says_what_it_is(page: Any, demo: Demo) -> None:
    """Finding 1: "National benchmark 27.0%" stood beside a 12-month rate, unlabelled as the
    2-year rate it is."""
    sign_in(page, demo, "ridgeway.manager", f"?contract={demo.contract_id}")
    card = page.locator(".card", has=page.locator("#tile-national"))
    text = card.inner_text().lower()
    assert "two-year" in text and "not comparable with the 12-month rates" in text
    page.goto(f"{demo.base}/dashboard/?contract={demo.contract_id}&horizon=24")
    page.locator("#tile-national").wait_for()
    assert "not comparable" not in card.inner_text().lower()


def test_overview_trends_compare_equally_mature_referrals(page: Any, demo: Demo,
                                                          engine: Engine) -> None:
    """Finding 1: "Job starts down 41%" and "Job outcomes down 55%" compared recent referrals
    with older ones that had longer to get there. The one trend left compares two windows
    of referrals that have both had the whole horizon, and its figures are the league
    table's for those windows."""
    sign_in(page, demo, "ridgeway.manager", f"?contract={demo.contract_id}")
    page.locator("#tile-rate").wait_for()
    for tile in ("#tile-job-starts", "#tile-outcomes", "#tile-referrals", "#tile-payments"):
        text = page.locator(".card", has=page.locator(tile)).inner_text()
        assert not re.search("previous period|\u25b2|\u25bc", text), text
    trend = page.locator(".card", has=page.locator("#tile-rate")).inner_text()
    windows = [(iso(start), iso(end), rate) for start, end, rate in re.findall(
        r"(\d{1,2} [A-Z][a-z]{2} \d{4}) to (\d{1,2} [A-Z][a-z]{2} \d{4})[^%]*?(\d+\.\d%)",
        trend)]
    assert len(windows) == 2, trend
    assert "within 12 months" in trend
    cutoff = horizon_cutoff(today(), 12)
    (recent_from, recent_to, _), (before_from, before_to, _) = windows
    assert date.fromisoformat(recent_to) <= cutoff
    assert date.fromisoformat(before_to) < date.fromisoformat(recent_from)
    for start, end, rate in windows:  # each window's rate is the league table's for it
        page.goto(f"{demo.base}/dashboard/league?contract={demo.contract_id}&from={start}"
                  f"&to={end}&horizon=12")
        assert league_pooled(page) == rate


def test_the_provider_pages_rate_is_its_league_row(page: Any, demo: Demo,
                                                   engine: Engine) -> None:
    """Finding 1: Calder showed 20.4% in the league table and 32.9% on its own page, whose
    "Outcome rate to date" was a cohort figure at the longest horizon."""
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    row = league_grid(page, row_count(engine, demo))["Calder Works Ltd"]
    page.goto(f"{demo.base}/dashboard/providers/{demo.org_ids['calder']}"
              f"?contract={demo.contract_id}")
    card = page.locator(".card", has_text=re.compile("Outcome rate")).first
    assert card.locator(".h4").inner_text() == row["rate"]
    assert "within 12 months" in card.inner_text()
