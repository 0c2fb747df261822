"""Drill-down: a chart's point opens the page of what it stands for, with the page's filters,
and the same pages are plain links beside the chart; an anonymised provider's point opens
nothing and carries no id."""

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.demo.loader import ADMIN
from app.performance import service
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_journeys import grid_values, query_of, wait_attached

pytestmark = pytest.mark.browser

# Each point drawn, with where it sits on the page and what it carries.
POINTS = """graph => {
    const plot = document.querySelector(`#${graph} .js-plotly-plot`);
    plot.scrollIntoView({block: "center", behavior: "instant"});  // clicks land in the window
    const box = plot.getBoundingClientRect();
    const xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
    const points = [];
    plot.data.forEach((trace, t) => (trace.customdata === undefined ? [] : trace.x)
        .forEach((x, i) => points.push({
            trace: t, customdata: trace.customdata[i], x: x,
            left: box.left + xa._offset + xa.c2p(xa.d2c(x)),
            top: box.top + ya._offset + ya.c2p(trace.y[i])})));
    return points;
}"""


def click(page: Any, point: dict[str, Any]) -> None:
    page.mouse.move(point["left"], point["top"])
    page.mouse.click(point["left"], point["top"])


def target(point: dict[str, Any]) -> Any:
    data = point["customdata"]
    return data[0] if isinstance(data, list) else data


def test_a_funnel_point_opens_its_providers_page_with_the_filters(
        page: Any, demo: Demo) -> None:
    query = f"contract={demo.contract_id}&from=2025-01-01&horizon=9"
    sign_in(page, demo, "ridgeway.manager", f"funnel?{query}")
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    points = page.evaluate(POINTS, "funnel-graph")
    # The point furthest from the others, so that the click cannot land on another.
    chosen = max(points, key=lambda p: min(
        (abs(p["left"] - q["left"]) + abs(p["top"] - q["top"]) for q in points if q is not p),
        default=0))
    provider_url = target(chosen)
    assert re.fullmatch(r"/dashboard/providers/\d+\?.*", provider_url), chosen
    click(page, chosen)
    page.wait_for_url(f"**{urlsplit(provider_url).path}?*")
    kept = query_of(page.url)
    assert kept["contract"] == [str(demo.contract_id)]
    assert kept["from"] == ["2025-01-01"] and kept["horizon"] == ["9"]
    page.locator("#provider-rate").wait_for()
    # Without a mouse: every named provider's page is a link under the chart.
    page.go_back()
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    links = page.get_by_role("navigation", name="Provider pages").get_by_role("link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert provider_url in hrefs
    assert sorted(hrefs) == sorted(target(p) for p in points)


def test_a_provider_user_clicking_an_anonymised_funnel_point_stays_put(
        page: Any, demo: Demo) -> None:
    own = demo.org_ids["calder"]
    others = {org_id for slug, org_id in demo.org_ids.items() if slug != "calder"}
    sign_in(page, demo, "calder.staff", f"funnel?contract={demo.contract_id}")
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    points = page.evaluate(POINTS, "funnel-graph")
    own_url = f"/dashboard/providers/{own}?contract={demo.contract_id}"
    anonymised = [p for p in points if p["customdata"] is None]
    assert anonymised and len(points) - len(anonymised) == 1
    # No other provider's id anywhere in the figure's customdata, nor in a link.
    assert all(target(p) is None or target(p).startswith(own_url) for p in points), points
    hrefs = page.eval_on_selector_all("a[href*='/providers/']", "as => as.map(a => a.href)")
    assert not [h for h in hrefs if any(f"/providers/{o}" in h for o in others)], hrefs

    before = page.url
    mine = next(p for p in points if p["customdata"] is not None)
    # One click (two would be a double click, which rescales the axes).
    click(page, max(anonymised, key=lambda p: abs(p["left"] - mine["left"])))
    page.wait_for_timeout(800)  # a navigation would have started by now
    assert page.url == before
    # Its own point does open its page.
    click(page, mine)
    page.wait_for_url(f"**/dashboard/providers/{own}?*")


def test_a_month_of_check_compliance_opens_its_checks(page: Any, demo: Demo,
                                                      engine: Engine) -> None:
    calder = demo.org_ids["calder"]
    with Session(engine) as session:
        months = service.check_compliance_trend(session, ADMIN, demo.contract_id, calder)
    sign_in(page, demo, "ridgeway.manager", f"providers/{calder}?contract={demo.contract_id}")
    wait_attached(page, "#provider-compliance .scatterlayer .point")
    points = page.evaluate(POINTS, "provider-compliance")
    assert [p["x"] for p in points] == [m.month for m in months]
    chosen = max(points, key=lambda p: next(m.checks_due for m in months
                                            if m.month == p["x"]))
    click(page, chosen)
    page.wait_for_url("**/dashboard/milestones?*")
    query = query_of(page.url)
    assert query["provider"] == [str(calder)] and query["due_month"] == [chosen["x"]]
    assert query["contract"] == [str(demo.contract_id)]

    month = chosen["x"]
    checks_due = next(m.checks_due for m in months if m.month == month)
    due = grid_values(page, "milestones-grid", "due_date")
    assert len(due) >= checks_due  # the counted checks, and any still in their grace
    assert {d[:7] for d in due} == {month}
    assert set(grid_values(page, "milestones-grid", "provider_name")) == {"Calder Works Ltd"}
    # Without a mouse: each month is a link under the chart.
    page.go_back()
    nav = page.get_by_role("navigation", name="Checks by month due")
    nav.get_by_role("link", name=month).wait_for()
    assert nav.get_by_role("link").count() == len(months)
