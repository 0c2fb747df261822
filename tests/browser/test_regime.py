"""The performance regime's journeys (issue 16) in headless Chromium: the prime publishes a
quarter, opens an improvement plan for a member below expectation, the member comments,
contests and agrees, the plan is reviewed; a reallocation is blocked by a guard-rail, applied
with an override reason, and the reviewer reads that reason and blocks the cut."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.timeutil import today
from app.models import ImprovementPlan, Organisation
from app.performance import ratings, review
from tests.browser.conftest import Demo, screenshot, sign_in

pytestmark = pytest.mark.browser


def _as(browser: Any, demo: Demo, username: str, path: str) -> Any:
    """A page of its own browser context, signed in as `username` (the other side's view)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, demo, username, path)
    return page


def _staff_of(demo: Demo, name: str) -> str:
    slug = next(o.slug for o in demo.cpa.organisations if o.name == name)
    return f"{slug}.staff"


def test_publish_a_quarter_open_a_plan_the_member_contests_and_the_plan_is_reviewed(
        page: Any, browser: Any, demo: Demo, engine: Engine) -> None:
    quarter = review.previous_quarter(ratings.quarter_of(today()))  # the demo leaves it
    sign_in(page, demo, "ridgeway.manager", f"ratings?contract={demo.contract_id}")
    assert page.locator("#ratings-quarter").input_value() == quarter
    page.get_by_role("button", name="Publish", exact=True).click()
    page.locator("#ratings-done").wait_for()
    page.locator("#ratings-published-link").click()
    page.get_by_role("heading", name=f"Review status, {quarter}").wait_for()
    # Publishing the same quarter again is refused: a correction must say why.
    page.locator("#ratings-quarter").select_option(quarter)
    page.get_by_role("button", name="Publish", exact=True).click()
    page.locator("#ratings-error", has_text="was published as").wait_for()
    below = page.locator("#review-status-table tr:has(.review-status-below_expectation)")
    assert below.count() >= 1, "the demo has a member below expectation every quarter"
    names = [row.locator("td").first.inner_text() for row in below.all()]
    member = next(n for n in names if n != "Aire Valley Training CIC")  # Aire has its plan
    page.locator("#rating-trend-chart .scatterlayer .trace").first.wait_for()
    screenshot(page, "regime-ratings")

    page.goto(f"{demo.base}/dashboard/plans?contract={demo.contract_id}")
    page.locator("#plan-member").select_option(label=member)
    due = (today() + timedelta(days=60)).isoformat()
    page.locator("#plans-table").wait_for()
    page.get_by_label("reach at least").first.fill("0.9")
    page.locator("#plan-target-by-0").fill(due)
    page.get_by_label("Agreed actions, one per line").fill(
        "Every day-28 call made by its due date\nA weekly data check")
    page.get_by_label("Review date").fill(due)
    page.get_by_role("button", name="Propose the plan").click()
    page.locator("#plans-done").wait_for()
    page.locator("#plans-opened-link").click()
    page.locator("#plan-state").wait_for()
    assert page.locator("#plan-state").inner_text() == "Proposed"
    plan_url = page.url

    staff = _as(browser, demo, _staff_of(demo, member), plan_url.split("/dashboard/")[1])
    try:
        staff.get_by_label("Note or comment").fill("The target ignores our caseload's needs")
        staff.get_by_role("button", name="Add the comment").click()
        staff.locator("#plan-done").wait_for()
        staff.get_by_label("Note or comment").fill("We contest the check target")
        staff.get_by_role("button", name="Contest the plan").click()
        staff.locator("#plan-contested", has_text="Yes").wait_for()
        staff.get_by_role("button", name="Agree the plan").click()
        staff.locator("#plan-state", has_text="Agreed").wait_for()
        # The member cannot review its own plan: no such button is offered.
        assert staff.get_by_role("button", name="Start the review").count() == 0
        screenshot(staff, "regime-plan-member")
    finally:
        staff.context.close()

    # The review date comes and the remedy period runs out (the clock is the database's here).
    with Session(engine) as session:
        plan = session.scalars(select(ImprovementPlan).where(
            ImprovementPlan.public_id == plan_url.rsplit("/", 1)[1])).one()
        plan.review_date = today()
        plan.agreed_on = today() - timedelta(days=plan.remedy_days + 1)
        session.commit()
    page.goto(plan_url)
    page.get_by_role("button", name="Start the review").click()
    page.locator("#plan-state", has_text="In review").wait_for()
    page.get_by_label("Note or comment").fill("Checks still below 90% after the remedy period")
    page.get_by_role("button", name="Decide: failed").click()
    page.locator("#plan-state", has_text="Failed").wait_for()
    history = page.locator(".plan-history").inner_text()
    assert "The member contested it" in history and "We contest the check target" in history

    reviewer = _as(browser, demo, "panel.reviewer", plan_url.split("/dashboard/")[1])
    try:
        assert reviewer.locator("#plan-state").inner_text() == "Failed"
        assert "We contest the check target" in reviewer.locator(".plan-history").inner_text()
        assert reviewer.get_by_role("button", name="Add the comment").is_hidden()
    finally:
        reviewer.context.close()


def test_a_cut_blocked_by_a_guard_rail_is_applied_with_an_override_the_reviewer_reads(
        page: Any, browser: Any, demo: Demo, engine: Engine) -> None:
    """Westgate is not below expectation (its shortfall, if any, could be chance): cutting it
    fails the first guard-rail."""
    with Session(engine) as session:
        westgate = session.scalar(select(Organisation.id).where(
            Organisation.name == "Westgate Recruitment Ltd"))
    sign_in(page, demo, "ridgeway.manager", f"reallocations?contract={demo.contract_id}")
    share = page.get_by_label("Proposed share for Westgate Recruitment Ltd")
    share.fill("0.08")
    page.get_by_label("Reason (on record, told to each member)").fill(
        "Westgate's referrals to Pennine")
    page.get_by_role("button", name="Preview").click()
    rails = page.locator("#reallocation-guard-rails")
    rails.wait_for()
    failing = rails.locator("tr", has_text="Westgate Recruitment Ltd").filter(
        has_text="Fails")
    assert failing.count() >= 1, rails.inner_text()
    assert "No cut unless the shortfall is more than chance" in failing.first.inner_text()
    assert page.locator("#reallocation-failing").is_visible()
    assert westgate is not None

    page.get_by_role("button", name="Apply").click()
    page.locator("#reallocation-error", has_text="override_reason").wait_for()

    override = "Westgate asked to reduce its caseload while it recruits advisers"
    page.get_by_label("Override reason, if a guard-rail fails").fill(override)
    page.get_by_role("button", name="Apply").click()
    page.locator("#reallocation-done", has_text="held for the reviewer").wait_for()
    card = page.locator(".reallocation", has_text="Westgate Recruitment Ltd 10.0%")
    assert override in card.inner_text()
    screenshot(page, "regime-reallocation")

    reviewer = _as(browser, demo, "panel.reviewer", f"reallocations?contract={demo.contract_id}")
    try:
        held = reviewer.locator(".reallocation-held", has_text=override)
        held.wait_for()
        held.get_by_label("Your reason (the prime reads it)").fill(
            "Westgate raised a complaint about its referrals last month")
        held.get_by_role("button", name="Block it").click()
        reviewer.locator("#reallocation-decision-done",
                         has_text="Blocked by the reviewer").wait_for()
        screenshot(reviewer, "regime-reallocation-reviewer")
    finally:
        reviewer.context.close()
