"""The glossary in the browser: a league-table header and an Overview tile show the glossary's
own words, to the mouse and to the keyboard; the "i" leads to the term on the glossary page,
which lists every term at its anchor and finds them as you type."""

from typing import Any

import pytest

from app.core.glossary import TERMS, alphabetical, term
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_keyboard import tab_to

pytestmark = pytest.mark.browser
GRID_TOOLTIP = ".ag-tooltip"


def header(page: Any, col_id: str) -> Any:
    return page.locator(f"#league-grid [role=columnheader][col-id='{col_id}']")


def test_a_league_header_explains_itself_on_hover_and_on_focus(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    page.locator("#league-grid .ag-row").first.wait_for()
    header(page, "referrals").hover()
    tooltip = page.locator(GRID_TOOLTIP)
    tooltip.wait_for()
    assert tooltip.inner_text().strip() == term("referrals").meaning
    page.mouse.move(0, 0)
    tooltip.wait_for(state="hidden")

    # The keyboard: into the headers, then along them with the arrow key (the grid is one
    # Tab stop), as far as the outcome rate.
    header(page, "rank").focus()
    for _ in range(30):
        if page.evaluate("document.activeElement.getAttribute('col-id')") == "rate":
            break
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('col-id')") == "rate"
    tooltip.wait_for()
    assert tooltip.inner_text().strip() == term("outcome-rate").meaning


def test_an_overview_tile_explains_itself_and_leads_to_the_glossary(page: Any,
                                                                   demo: Demo) -> None:
    sign_in(page, demo, "calder.staff", f"?contract={demo.contract_id}")
    page.locator("#tile-rate").wait_for()
    meaning = term("outcome-rate").meaning  # a provider's staff see their own rate
    tab_to(page, f"What is {term('outcome-rate').title}? Glossary")
    shown = page.locator("#tile-rate-what-tooltip[role=tooltip]")
    shown.wait_for()
    assert shown.inner_text().strip() == meaning
    # The words no longer crowd the tile: the note is the trend alone.
    assert "pooled" not in page.locator("#tile-rate-note").inner_text().lower()
    page.keyboard.press("Escape")  # WCAG 1.4.13: dismissed where it is, focus unmoved
    shown.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "tile-rate-what"
    page.locator("#tile-national-what").hover()
    page.locator("#tile-national-what-tooltip").filter(
        has_text=term("national-rate").meaning).wait_for()

    page.locator("#tile-rate-what").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/glossary#outcome-rate")
    entry = page.locator("#outcome-rate")
    entry.wait_for()
    page.wait_for_function("() => document.activeElement.id === 'outcome-rate-title'")
    assert meaning in entry.inner_text()
    page.wait_for_function(  # scrolled to
        "() => document.getElementById('outcome-rate').getBoundingClientRect().top < 450")


def test_the_glossary_page_lists_every_term_and_finds_as_you_type(page: Any,
                                                                 demo: Demo) -> None:
    sign_in(page, demo, "panel.reviewer", "glossary")
    page.locator("#glossary-list .glossary-entry").first.wait_for()
    entries = page.locator("#glossary-list .glossary-entry")
    assert entries.evaluate_all("es => es.map(e => e.id)") == [t.slug for t in alphabetical()]
    assert page.get_by_role("link", name="Glossary: what the figures mean").count() == 1
    page.get_by_label("Find a term").fill("odds")
    visible = [t.slug for t in TERMS if "odds" in f"{t.title} {t.meaning} "
               f"{t.worked_out or ''}".lower()]
    page.wait_for_function(
        "n => document.querySelectorAll('#glossary-list .glossary-entry:not([hidden])')"
        ".length === n", arg=len(visible))
    assert sorted(entries.evaluate_all(
        "es => es.filter(e => !e.hidden).map(e => e.id)")) == sorted(visible)
    assert page.locator("#glossary-count").inner_text() == f"{len(visible)} of {len(TERMS)} terms"
    # An anchor on the page itself: the entry is reached and its title focused.
    page.goto(f"{demo.base}/dashboard/glossary#c-statistic")
    page.wait_for_function("() => document.activeElement.id === 'c-statistic-title'")
