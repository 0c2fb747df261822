"""Issue 17 in the browser: the Specialists page as the prime, a tier-1 provider and a
specialist see it (each its own part of the same figures, GET .../specialists), distance
travelled on the provider page, and the league table's optional distance columns that never
move the rank."""

import re
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.specialists.service import specialist_usage
from tests.browser.conftest import SCREENSHOTS, Demo, screenshot, sign_in
from tests.browser.test_complaints_compliance import org_name, principal_of
from tests.browser.test_journeys import grid_values, wait_attached

pytestmark = pytest.mark.browser


def _usage(engine: Engine, demo: Demo, username: str) -> Any:
    """What the service (and so GET .../specialists) answers this user for the page's
    default period."""
    with Session(engine) as session:
        return specialist_usage(session, principal_of(engine, username), demo.contract_id)


def test_the_prime_sees_every_specialist_and_the_one_never_used(page: Any, demo: Demo,
                                                                engine: Engine) -> None:
    sign_in(page, demo, "ridgeway.manager", f"specialists?contract={demo.contract_id}")
    wait_attached(page, "#specialists-chart .main-svg")
    page.locator("#specialists-specialists .ag-row").first.wait_for()
    unused = org_name(demo, "kirklees")
    # Bid candy named in words, not only as an empty bar.
    assert unused in page.locator("#specialists-unused").inner_text()
    specialists = grid_values(page, "specialists-specialists", "specialist_name")
    assert unused in specialists
    # The chart draws a bar slot for every specialist, the unused one included.
    ticks = page.locator("#specialists-chart .yaxislayer-above .ytick text, "
                         "#specialists-chart .xaxislayer-above .xtick text").all_text_contents()
    assert any(unused.split()[0] in tick for tick in ticks), ticks
    # The tile is the API's total for the same reader and period.
    usage = _usage(engine, demo, "ridgeway.manager")
    total = sum(p.referrals for p in usage.providers)
    assert f"{total:,}" in page.locator("#specialists-referrals").inner_text()
    # The tier-1 provider that buys most specialist help: the grid's largest referrer.
    shown = dict(zip(grid_values(page, "specialists-providers", "provider_name"),
                     grid_values(page, "specialists-providers", "referrals"), strict=True))
    assert shown == {p.provider_name: p.referrals for p in usage.providers}
    assert max(shown, key=lambda name: shown[name]) == org_name(demo, "calder")


def test_a_tier1_provider_sees_its_own_spot_purchases_only(page: Any, demo: Demo,
                                                           engine: Engine) -> None:
    sign_in(page, demo, "calder.staff", f"specialists?contract={demo.contract_id}")
    calder = org_name(demo, "calder")
    assert set(grid_values(page, "specialists-providers", "provider_name")) == {calder}
    assert set(grid_values(page, "specialists-rows", "provider_name")) == {calder}
    assert {p.provider_name for p in _usage(engine, demo, "calder.staff").providers} == {
        calder}


def test_a_specialist_sees_its_referrals_in_by_provider(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "wharfedale.staff", f"specialists?contract={demo.contract_id}")
    own = org_name(demo, "wharfedale")
    assert set(grid_values(page, "specialists-rows", "specialist_name")) == {own}
    referring = set(grid_values(page, "specialists-rows", "provider_name"))
    assert referring and own not in referring
    # No other specialist's work, and no participant's journey, is on the page.
    page_text = page.locator("#content").inner_text()
    assert org_name(demo, "kirklees") not in page_text
    assert not re.search(r"\bjob outcome", page_text, re.IGNORECASE)
    screenshot(page, "specialists-specialist-staff")


def test_distance_travelled_on_the_provider_page_and_beside_the_league(page: Any,
                                                                        demo: Demo) -> None:
    wharfedale = demo.org_ids["wharfedale"]
    sign_in(page, demo, "ridgeway.manager",
            f"providers/{wharfedale}?contract={demo.contract_id}")
    wait_attached(page, "#provider-progress .main-svg")
    words = page.locator("#provider-progress-words").inner_text()
    assert "95% interval" in words and "Never part of the ranking" in words
    page.locator("#provider-progress").scroll_into_view_if_needed()
    page.locator("#provider-progress").screenshot(
        path=str(SCREENSHOTS / "provider-distance-travelled.png"))

    page.goto(f"{demo.base}/dashboard/league?contract={demo.contract_id}")
    ranks = dict(zip(grid_values(page, "league-grid", "provider_id"),
                     grid_values(page, "league-grid", "rank"), strict=True))
    page.locator("#league-progress-toggle").click()
    page.wait_for_url(re.compile(r".*progress=1.*"))
    # The page is drawn again with the columns: wait for the new grid's column.
    page.wait_for_function("""async () => {
        const api = await dash_ag_grid.getApiAsync("league-grid");
        return api.getColumn("progress_confidence") !== null; }""", polling=100)
    # The extra columns leave every rank where it was, and hold the provider's figures.
    assert dict(zip(grid_values(page, "league-grid", "provider_id"),
                    grid_values(page, "league-grid", "rank"), strict=True)) == ranks
    assert any(value is not None
               for value in grid_values(page, "league-grid", "progress_confidence"))
