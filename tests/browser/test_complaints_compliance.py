"""The complaint and compliance journeys in headless Chromium against a running server: a member
raises a confidential complaint and the prime answers it without learning who raised it, the
reviewer moves an escalated complaint on, a manager works a compliance flag from the list to
its evidence, and nobody opens another organisation's complaint by editing the URL. Each saves
a screenshot under docs/screenshots/ (the README shows them)."""

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import get_complaint
from app.compliance.schemas import FlagFilters
from app.compliance.service import list_flags
from app.core.pagination import PageParams
from app.models import Complaint, User
from dashboard.components.formatting import PRINCIPLES, words
from tests.browser.conftest import Demo, screenshot, sign_in
from tests.browser.test_journeys import grid_column, grid_values, query_of
from tests.helpers import read_csv_export

pytestmark = pytest.mark.browser


def principal_of(engine: Engine, username: str) -> Principal:
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return Principal(role=user.role, organisation_id=user.organisation_id,
                         user_id=user.id, username=user.username)


def org_name(demo: Demo, slug: str) -> str:
    return next(o.name for o in demo.cpa.organisations if o.slug == slug)


def body_text(page: Any) -> str:
    text: str = page.locator("body").inner_text()
    return text


def test_member_raises_a_confidential_complaint_the_prime_acknowledges_it_unnamed(
        page: Any, demo: Demo, engine: Engine, browser: Any) -> None:
    # (a) The member's staff raise it through the form and see it in their list.
    sign_in(page, demo, "calder.staff", "complaints")
    page.locator("#main-nav #nav-complaints").wait_for()  # in the menu
    page.get_by_label("Principle").first.select_option("commitment")
    title = "Sustainment fees withheld since the summer review"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description: what happened, when, and what you ask for").fill(
        "No sustainment fee has been paid for August or September; please explain.")
    confidential = page.get_by_label("Keep my organisation's identity from the prime "
                                     "(confidential)")
    assert confidential.is_checked()  # the safer choice is the default
    assert "never which organisation raised it" in page.locator(
        "#confidentiality-explained").inner_text()
    page.get_by_role("button", name="Raise the complaint").click()
    page.locator("#complaint-raised").wait_for()
    raised = re.search(r"#([A-Za-z0-9_-]+)", page.locator("#complaint-raised").inner_text())
    assert raised is not None
    raised_id = raised[1]
    row = page.locator(f"#complaint-row-{raised_id}")
    row.wait_for()
    staff = principal_of(engine, "calder.staff")
    with Session(engine) as session:
        view = get_complaint(session, staff, raised_id)
    assert view.confidential and view.title == title and view.principle == "commitment"
    sla = view.sla
    days = sla.acknowledgement_working_days_left
    assert days is not None
    row_text = row.inner_text()
    assert title in row_text and "Submitted" in row_text
    assert (f"Acknowledgement due {sla.acknowledge_by}: {days} working day"
            f"{'' if days == 1 else 's'} left") in row_text
    assert f"Resolution due {sla.resolve_by}" in row_text
    assert org_name(demo, "calder") in row_text  # its own name, shown to itself
    screenshot(page, "complaint-raised-provider-user")

    # (b) The prime's manager opens it, acknowledges it with a note, and never sees who.
    manager_tab = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    try:
        sign_in(manager_tab, demo, "ridgeway.manager", f"complaints/{raised_id}")
        manager_tab.get_by_role("heading", name=f"Complaint #{raised_id}: {title}").wait_for()
        hidden = [org_name(demo, "calder"), "calder.staff", "Calder"]
        text = body_text(manager_tab)
        assert "A supply-chain member (confidential)" in text
        assert not [name for name in hidden if name in text], text
        manager_tab.get_by_label("Note (required): why, for the record and the other "
                                 "parties").fill("Received; finance will reply by Friday.")
        manager_tab.get_by_role("button", name="Acknowledge the complaint").click()
        manager_tab.locator("#complaint-done").wait_for()
        assert "Acknowledged" in manager_tab.locator("#complaint-status").inner_text()
        history = manager_tab.locator("#complaint-history").inner_text()
        assert "Received; finance will reply by Friday." in history
        assert "by The prime (ridgeway.manager" in history
        assert "by The complainant," in history  # raised: the party, no name
        text = body_text(manager_tab)
        assert not [name for name in hidden if name in text], text
        html_source = manager_tab.content()  # hidden elements and attributes too
        assert not [name for name in hidden if name in html_source]
        assert "\u2714 Acknowledgement on time" in manager_tab.locator(
            "#complaint-sla").inner_text()
        screenshot(manager_tab, "complaint-acknowledged-prime-manager")

        # A message to the (unnamed) complainant joins the thread.
        manager_tab.get_by_label("Message to the other parties").fill(
            "Could you send the remittance advices you received?")
        manager_tab.get_by_role("button", name="Post the message").click()
        manager_tab.get_by_text("Message posted.").wait_for()
        thread = manager_tab.locator("#complaint-messages").inner_text()
        assert "The prime (ridgeway.manager" in thread and "remittance advices" in thread
    finally:
        manager_tab.context.close()


def test_reviewer_triages_an_escalated_complaint_and_refers_it(page: Any, demo: Demo,
                                                               engine: Engine) -> None:
    with Session(engine) as session:
        escalated = session.scalars(select(Complaint).where(
            Complaint.status == "escalated").order_by(Complaint.id)).first()
    assert escalated is not None
    sign_in(page, demo, "panel.reviewer", "complaints?status=escalated")
    page.wait_for_url(re.compile(r".*status=escalated.*"))
    page.get_by_role("link", name=escalated.title).click()
    page.wait_for_url(f"**/dashboard/complaints/{escalated.public_id}")
    page.get_by_role("heading", name=f"Complaint #{escalated.public_id}").wait_for()
    assert page.locator("#complaint-status").inner_text().endswith("Escalated")
    # Reviewers see who complained, confidential or not.
    complainant = page.locator("#complaint-complainant").inner_text()
    assert org_name(demo, "aire") in complainant

    note = page.get_by_label("Note (required): why, for the record and the other parties")
    note.fill("A Conduct matter: the promised review meeting.")
    page.get_by_role("button", name="Triage as a Merlin issue").click()
    page.locator("#complaint-done").wait_for()
    assert page.locator("#complaint-status").inner_text().endswith("Triaged")
    assert page.get_by_role("button", name="Triage as a commercial issue").count() == 0

    note.fill("Referred to the independent case examiner.")
    page.get_by_role("button", name="Refer a Merlin issue to independent review").click()
    page.get_by_text("Done: the complaint's status is now independent review.").wait_for()
    assert page.locator("#complaint-status").inner_text().endswith("Independent review")
    history = page.locator("#complaint-history").inner_text()
    assert "Escalated \u2192 \u25c6 Triaged (Merlin) by The reviewer (panel.reviewer" in history
    assert "Referred to the independent case examiner." in history
    # Now only the decision is the reviewer's to make.
    assert page.get_by_role("button", name="Decide: upheld").count() == 1
    reviewer = principal_of(engine, "panel.reviewer")
    with Session(engine) as session:
        view = get_complaint(session, reviewer, escalated.public_id)
    assert (view.status, view.triage, view.stage) == ("independent_review", "merlin",
                                                      "independent_review")
    screenshot(page, "complaint-independent-review-reviewer")


def test_manager_filters_flags_opens_the_evidence_and_acknowledges(
        page: Any, demo: Demo, engine: Engine) -> None:
    manager = principal_of(engine, "ridgeway.manager")
    with Session(engine) as session:
        every, _ = list_flags(session, manager, FlagFilters(contract_id=demo.contract_id),
                              PageParams(limit=1000))
    flag = next(f for f in every if f.status == "open" and f.evidence)
    same_principle = {f.id for f in every if f.principle == flag.principle}

    sign_in(page, demo, "ridgeway.manager", f"compliance?contract={demo.contract_id}")
    page.locator("#compliance-grid .ag-row").first.wait_for()
    page.locator("#compliance-chart .barlayer").wait_for()
    page.get_by_role("combobox", name=re.compile("^Principle")).select_option(flag.principle)
    page.wait_for_url(re.compile(rf".*principle={flag.principle}.*"))
    assert query_of(page.url)["contract"] == [str(demo.contract_id)]
    page.wait_for_function(  # the page drawn again from the new URL
        """label => {
            const cells = [...document.querySelectorAll(
                "#compliance-grid .ag-center-cols-container [col-id='principle']")];
            return cells.length > 0 && cells.every(cell => cell.innerText.trim() === label);
        }""", arg=PRINCIPLES[flag.principle], polling=100)
    principles = grid_column(page, "compliance-grid", "principle")
    assert set(principles) == {PRINCIPLES[flag.principle]}
    assert len(principles) == len(same_principle)
    screenshot(page, "compliance-flags-prime-manager")

    # The download holds the filtered flags.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    _, rows = read_csv_export(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert {row["id"] for row in rows} == same_principle

    page.get_by_role("link", name=f"#{flag.id} {flag.rule}", exact=True).last.click()
    page.wait_for_url(f"**/dashboard/compliance/flags/{flag.id}?**")
    assert page.locator("#flag-summary").inner_text() == flag.summary
    evidence = page.locator("#flag-evidence").inner_text()
    for key in flag.evidence:
        assert words(key) in evidence
    assert "Open" in page.locator("#flag-status").inner_text()

    # A note is required; then the status changes and says so.
    page.get_by_role("button", name="Acknowledge").click()
    page.locator("#flag-error").wait_for()
    assert "note" in page.locator("#flag-error").inner_text()
    page.get_by_label("Note (required): what was done or will be done about it").fill(
        "Checked with finance; the payment run moves to weekly.")
    page.get_by_role("button", name="Acknowledge").click()
    page.locator("#flag-done").wait_for()
    assert page.locator("#flag-status").inner_text() == "\u25d1 Acknowledged"
    assert "payment run moves to weekly" in page.locator("#flag-status-note").inner_text()
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    assert page.get_by_role("button", name="Resolve").count() == 1
    screenshot(page, "compliance-flag-evidence")

    # A reviewer reads the same flag but is offered no action.
    page.context.clear_cookies()
    sign_in(page, demo, "panel.reviewer", f"compliance/flags/{flag.id}")
    page.locator("#flag-status").wait_for()
    assert page.locator("#flag-status").inner_text() == "\u25d1 Acknowledged"
    assert page.get_by_role("button", name="Resolve").count() == 0


def test_member_cannot_open_another_organisations_complaint(page: Any, demo: Demo,
                                                           engine: Engine) -> None:
    with Session(engine) as session:
        others = list(session.scalars(select(Complaint.public_id).where(
            Complaint.complainant_org_id != demo.org_ids["calder"])))
        own = session.scalars(select(Complaint.public_id).where(
            Complaint.complainant_org_id == demo.org_ids["calder"])).first()
    assert others and own is not None
    sign_in(page, demo, "calder.staff", f"complaints/{own}")
    page.locator("#complaint-status").wait_for()
    for other in (others[0], others[-1], 999_999):
        page.goto(f"{demo.base}/dashboard/complaints/{other}")
        page.get_by_role("heading", name="Not found").wait_for()
        assert page.locator("#complaint-status").count() == 0
    screenshot(page, "complaint-not-found")


def test_overview_tiles_count_the_open_flags_and_complaints_in_scope(
        page: Any, demo: Demo, engine: Engine) -> None:
    from app.complaints.service import complaint_counts, open_complaints
    from app.compliance.service import flag_counts

    for username in ("ridgeway.manager", "westgate.staff"):
        who = principal_of(engine, username)
        with Session(engine) as session:
            flags = flag_counts(session, who, demo.contract_id)
            complaints = open_complaints(complaint_counts(session, who, demo.contract_id))
        page.context.clear_cookies()
        sign_in(page, demo, username, f"?contract={demo.contract_id}")
        page.locator("#tile-flags").wait_for()
        assert page.locator("#tile-flags").inner_text() == f"{flags['open']:,}"
        assert page.locator("#tile-complaints").inner_text() == f"{complaints:,}"
        page.locator("#tile-flags-link").click()
        page.wait_for_url(re.compile(r".*/dashboard/compliance\?.*status=open.*"))
        if flags["open"]:
            statuses = grid_values(page, "compliance-grid", "status_display")
            assert len(statuses) == flags["open"] and set(statuses) == {"\u25cb Open"}
        else:
            page.locator(".empty-state").wait_for()


def test_a_member_sees_only_the_flags_about_itself_or_an_empty_state(
        page: Any, demo: Demo, engine: Engine) -> None:
    for username in ("westgate.staff", "horizon.staff"):
        who = principal_of(engine, username)
        with Session(engine) as session:
            own, _ = list_flags(session, who, FlagFilters(), PageParams(limit=1000))
        page.context.clear_cookies()
        sign_in(page, demo, username, "compliance")
        if own:
            page.locator("#compliance-grid .ag-row").first.wait_for()
            subjects = grid_column(page, "compliance-grid", "subject", len(own))
            assert len(subjects) == len(own)
            assert set(subjects) == {org_name(demo, username.split(".")[0])}
        else:
            page.get_by_role("heading", name="No compliance flags yet").wait_for()
