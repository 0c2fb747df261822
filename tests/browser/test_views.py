"""A grid's sort and filters live in the URL (reload, back and a shared link keep them), and a
signed-in user saves a page's URL as a named view and opens it again."""

import re
from typing import Any

import pytest

from tests.browser.conftest import Demo, sign_in
from tests.browser.test_journeys import grid_column

pytestmark = pytest.mark.browser


def referrals(page: Any) -> list[int]:
    return [int(text.replace(",", "")) for text in grid_column(page, "league-grid", "referrals")]


def wait_search(page: Any, pattern: str) -> None:
    """The address changes in place (history.replaceState), with no navigation to wait for."""
    page.wait_for_function("pattern => new RegExp(pattern).test(window.location.search)",
                           arg=pattern, polling=100)


def sort_and_filter_league(page: Any) -> list[str]:
    """Sort the league table by referrals, most first, and keep the providers named 'Ltd';
    the names in the order shown."""
    page.locator("#league-grid .ag-row").first.wait_for()
    header = page.locator("#league-grid .ag-header-cell[col-id='referrals'] .ag-header-cell-label")
    header.click()
    wait_search(page, r"sort=referrals:asc")
    header.click()
    wait_search(page, r"sort=referrals:desc")
    page.get_by_label("Provider Filter Input").fill("Ltd")
    wait_search(page, r"filter\.provider_link=contains:Ltd")
    names = grid_column(page, "league-grid", "provider_link")
    assert names and all("Ltd" in name for name in names)
    counts = referrals(page)
    assert counts == sorted(counts, reverse=True)
    return names


def test_grid_sort_and_filter_survive_reload_and_a_shared_link(page: Any, demo: Demo,
                                                               browser: Any) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    page.get_by_label("Horizon (months)").select_option("6")
    wait_search(page, "horizon=6")
    page.get_by_text("outcomes within 6 months").wait_for()
    everyone = grid_column(page, "league-grid", "provider_link")
    names = sort_and_filter_league(page)
    assert len(names) < len(everyone)
    assert f"contract={demo.contract_id}" in page.url and "horizon=6" in page.url

    page.reload()
    page.locator("#league-grid .ag-row").first.wait_for()
    assert grid_column(page, "league-grid", "provider_link") == names
    assert page.get_by_label("Provider Filter Input").input_value() == "Ltd"
    page.get_by_text("outcomes within 6 months").wait_for()

    # A page filter changed: the grid keeps its sort and filter.
    page.get_by_label("Horizon (months)").select_option("9")
    page.get_by_text("outcomes within 9 months").wait_for()
    assert "sort=referrals:desc" in page.url and "filter.provider_link=contains:Ltd" in page.url
    counts = referrals(page)
    assert counts == sorted(counts, reverse=True)

    # Someone else opens the link: sorted as it says, least first; a bad argument is noted.
    other = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        tab = other.new_page()
        sign_in(tab, demo, "ridgeway.manager",
                f"league?contract={demo.contract_id}&sort=referrals:asc,nonsense:up")
        tab.locator("#league-grid .ag-row").first.wait_for()
        counts = referrals(tab)
        assert counts == sorted(counts) and counts != sorted(counts, reverse=True)
        tab.get_by_text(re.compile(r"sort: 'nonsense:up' is not a column")).wait_for()
    finally:
        other.close()


def test_a_saved_view_reopens_the_filters_and_the_sort(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    page.get_by_label("Horizon (months)").select_option("6")
    page.get_by_text("outcomes within 6 months").wait_for()
    names = sort_and_filter_league(page)

    page.get_by_role("button", name="Save this view").click()
    page.get_by_label("Name").fill("Big referrers, 6 months")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#save-view-done").get_by_text("Saved as").wait_for()
    # The same name again is refused, saying why.
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#save-view-error").get_by_text(
        "you already have a view called 'Big referrers, 6 months'").wait_for()
    page.keyboard.press("Escape")

    page.goto(f"{demo.base}/dashboard/milestones?contract={demo.contract_id}")
    page.get_by_role("link", name="Saved views", exact=True).click()
    page.get_by_role("heading", name="Saved views").wait_for()
    page.get_by_role("link", name="Big referrers, 6 months").click()
    wait_search(page, "horizon=6")
    page.get_by_text("outcomes within 6 months").wait_for()
    page.locator("#league-grid .ag-row").first.wait_for()
    assert grid_column(page, "league-grid", "provider_link") == names
    assert "sort=referrals:desc" in page.url

    # Another user sees none of it; the owner deletes it.
    other = page.context.browser.new_context()
    try:
        tab = other.new_page()
        sign_in(tab, demo, "calder.staff", "views")
        tab.get_by_text("No saved views yet").wait_for()
    finally:
        other.close()
    page.get_by_role("link", name="Saved views", exact=True).click()
    page.get_by_role("button", name="Delete the view Big referrers, 6 months").click()
    page.get_by_text("No saved views yet").wait_for()


def test_a_date_preset_keeps_the_grids_sort_and_filters(page: Any, demo: Demo) -> None:
    """The sort and filters reach the address after the page was drawn; a date preset
    chosen then must keep them with its new period."""
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    sort_and_filter_league(page)
    page.get_by_role("link", name="Last quarter").click()
    wait_search(page, r"from=\d{4}-\d{2}-\d{2}")
    assert "sort=referrals:desc" in page.url and "filter.provider_link=contains:Ltd" in page.url
    page.get_by_text("Referred ").first.wait_for()
    page.locator("#league-grid .ag-row").first.wait_for()
    counts = referrals(page)
    assert counts == sorted(counts, reverse=True)
