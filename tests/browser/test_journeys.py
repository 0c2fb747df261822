"""The dashboard's main journeys in headless Chromium against a running server. Each saves a
screenshot under docs/screenshots/ (the README shows them)."""

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import list_complaints
from app.compliance.schemas import FlagFilters
from app.compliance.service import list_flags
from app.core.pagination import PageParams
from app.models import Complaint
from app.performance import service
from app.performance.exports import LEAGUE_EXPORT_COLUMNS
from app.performance.schemas import LEAGUE_COLUMNS
from dashboard.components.formatting import severity_label
from tests.browser.conftest import Demo, screenshot, sign_in
from tests.helpers import read_csv_export

pytestmark = pytest.mark.browser
ANONYMISED = re.compile(r"^Provider [A-Z]+$")


def grid_values(page: Any, grid_id: str, field: str) -> list[Any]:
    """A field's values in every row the grid holds after its filters and sort, on every page
    of it (a grid draws 25 rows a page: dashboard/components/grid.py), through AG Grid's API."""
    page.locator(f"#{grid_id} .ag-row").first.wait_for()
    return list(page.evaluate(
        """async ([grid, field]) => {
            const api = await dash_ag_grid.getApiAsync(grid);
            const values = [];
            api.forEachNodeAfterFilterAndSort(node => values.push(node.data[field]));
            return values;
        }""", [grid_id, field]))


def grid_column(page: Any, grid_id: str, col_id: str, rows: int | None = None) -> list[str]:
    """A grid column's cell texts, in row order (the grid draws every row: autoHeight). With
    `rows`, first waits until the grid has drawn that many: it draws them over several frames,
    so reading as soon as the first row shows may miss the last ones."""
    if rows is not None:
        page.wait_for_function(
            """([grid, n]) => document.querySelectorAll(
                `#${grid} .ag-center-cols-container .ag-row`).length >= n""",
            arg=[grid_id, rows], polling=100)
    cells = page.locator(f"#{grid_id} .ag-center-cols-container [col-id='{col_id}'], "
                         f"#{grid_id} .ag-pinned-left-cols-container [col-id='{col_id}']")
    texts: list[str] = cells.all_inner_texts()
    return [text.strip() for text in texts]


def wait_attached(page: Any, selector: str) -> None:
    """Wait for an element by polling on a timer: Playwright's default polls on animation
    frames, which Plotly's drawing can hold back."""
    page.wait_for_function("selector => document.querySelector(selector) !== null",
                           arg=selector, polling=100)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_prime_manager_filters_exports_and_opens_a_provider(page: Any, demo: Demo,
                                                           engine: Engine,
                                                           tmp_path: Path) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    session_cookie = next(c for c in page.context.cookies() if c["name"] == "chainboard_session")
    assert session_cookie["httpOnly"] is True

    # Filters go to the URL: a filtered view is a shareable link.
    page.get_by_label("Horizon (months)").select_option("6")
    page.wait_for_url(re.compile(r".*horizon=6.*"))
    page.get_by_text("outcomes within 6 months").wait_for()  # the page drawn again
    page.get_by_label("Referred from").fill("01/01/2025")  # en-GB, as the box shows
    page.get_by_label("Referred from").press("Enter")
    page.wait_for_url(re.compile(r".*from=2025-01-01.*"))
    query = query_of(page.url)
    assert query["horizon"] == ["6"] and query["contract"] == [str(demo.contract_id)]
    page.get_by_text("Referred 1 Jan 2025").wait_for()
    page.locator("#league-grid .ag-row").first.wait_for()
    names = grid_column(page, "league-grid", "provider_link")
    assert "Calder Works Ltd" in names and len(names) == len(demo.cpa.organisations) - 1
    screenshot(page, "league-table-prime-manager")

    # The CSV download holds the league table of the filters in the URL.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    block, rows = read_csv_export(Path(download.path()).read_text(encoding="utf-8"))
    assert block["Referrals from"] == "2025-01-01" and block["Horizon (months)"] == "6"
    assert "_2025-01-01_to_" in download.suggested_filename
    manager = next(u for u in demo.cpa.users if u.role == "prime_manager")
    with Session(engine) as session:
        principal = Principal(role="prime_manager",
                              organisation_id=demo.org_ids[demo.cpa.organisations[0].slug],
                              username=manager.username)
        expected = service.league_table(session, principal, demo.contract_id,
                                        period_from=date(2025, 1, 1),
                                        horizon_months=6)
    assert list(rows[0]) == list(LEAGUE_COLUMNS)
    by_name = {row["provider_name"]: row for row in rows}
    assert set(by_name) == {row.provider_name for row in expected.rows}
    for row in expected.rows:
        assert by_name[row.provider_name]["eligible"] == str(row.eligible)
        assert by_name[row.provider_name]["rank"] == ("" if row.rank is None else str(row.rank))

    # The Excel download holds the same table.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download Excel").click()
    workbook = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(workbook)
    assert workbook.suffix == ".xlsx"
    sheet = load_workbook(workbook).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    header = cells.index((None,) * len(cells[0])) + 1  # after the header block's blank row
    assert list(cells[header]) == [column.heading for column in LEAGUE_EXPORT_COLUMNS]
    names_at = LEAGUE_COLUMNS.index("provider_name")
    assert {row[names_at] for row in cells[header + 1:]} == set(by_name)

    # A provider's name in the table opens its page.
    page.get_by_role("link", name="Calder Works Ltd").first.click()
    page.wait_for_url(f"**/dashboard/providers/{demo.org_ids['calder']}?**")
    page.get_by_role("heading", name="Calder Works Ltd").wait_for()
    page.locator("#provider-cohorts .scatterlayer .trace").first.wait_for()
    page.locator("#provider-payments").wait_for()

    # Its flags and the complaints it raised on the contract, as the services give them to the
    # manager: the complaints it raised in confidence never listed.
    def section_matches_the_services(slug: str) -> tuple[list[str], set[str]]:
        """Checks the flags shown; returns the complaints shown and the provider's confidential
        complaints."""
        org_id = demo.org_ids[slug]
        page.locator("#provider-flags-complaints").wait_for()
        with Session(engine) as session:
            flags, _ = list_flags(session, principal, FlagFilters(
                contract_id=demo.contract_id, subject_org_id=org_id), PageParams(limit=1000))
            complaints, _ = list_complaints(session, principal, PageParams(limit=1000),
                                            contract_id=demo.contract_id,
                                            complainant_org_id=org_id)
            confidential = set(session.scalars(select(Complaint.public_id).where(
                Complaint.complainant_org_id == org_id, Complaint.confidential.is_(True))))
        if flags:
            rows = page.locator("#provider-flags-table tbody tr")
            assert rows.evaluate_all("rows => rows.map(r => r.id)") == [
                f"provider-flag-{f.id}" for f in flags]
            for flag, text in zip(flags, rows.all_inner_texts(), strict=True):
                assert flag.summary in text and severity_label(flag.severity) in text
        else:
            page.get_by_role("heading", name="No compliance flags about this provider").wait_for()
        shown = [row_id.removeprefix("provider-complaint-") for row_id in page.locator(
            "#provider-complaints-table tbody tr").evaluate_all("rows => rows.map(r => r.id)")]
        assert shown == [c.id for c in reversed(complaints)]  # newest first
        assert not confidential & set(shown)
        return shown, confidential

    shown, _ = section_matches_the_services("calder")
    assert shown  # the demo's complaint about a late invoice, not confidential
    assert page.locator("#provider-flags-table tbody tr").count()  # the demo's CC-CHECKS
    screenshot(page, "provider-page")

    # Westgate raised its only complaint in confidence: its page says it raised none.
    page.goto(f"{demo.base}/dashboard/providers/{demo.org_ids['westgate']}"
              f"?contract={demo.contract_id}")
    shown, confidential = section_matches_the_services("westgate")
    assert confidential and shown == []
    page.get_by_role("heading", name="No complaints raised by this provider").wait_for()


def test_provider_user_uploads_a_csv_and_sees_the_bad_line(page: Any, demo: Demo,
                                                          tmp_path: Path) -> None:
    sign_in(page, demo, "calder.staff", "upload")
    contract, calder = demo.contract_id, demo.org_ids["calder"]
    upload = tmp_path / "events.csv"
    upload.write_text(
        "event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id\n"
        f"up-1,{contract},CW-NEW-1,referral,2025-03-03,jsa_25_plus,{calder}\n"
        f"up-2,{contract},AB123456C,referral,2025-03-04,jsa_25_plus,{calder}\n")
    page.locator("#upload-file input[type=file]").set_input_files(str(upload))
    page.locator("#upload-rejected-count").wait_for()
    assert page.locator("#upload-rejected-count").inner_text() == "1"
    assert page.locator("#upload-accepted").inner_text() == "0"  # atomic: nothing stored
    page.locator("#upload-rejected .ag-row").first.wait_for()
    assert grid_column(page, "upload-rejected", "line") == ["3"]
    reason = grid_column(page, "upload-rejected", "reason")[0]
    assert reason.startswith("participant_ref:") and "National Insurance" in reason, reason
    screenshot(page, "upload-rejected-line")

    # The league table names its own row and no other.
    page.get_by_role("link", name="League table").click()
    page.wait_for_url("**/dashboard/league")
    page.locator("#league-grid .ag-row").first.wait_for()
    names = grid_column(page, "league-grid", "provider_link")
    named = [name for name in names if not ANONYMISED.match(name)]
    assert named == ["Calder Works Ltd"], names
    assert len(names) == len(demo.cpa.organisations) - 1
    screenshot(page, "league-table-provider-user")

    # In the funnel plot its own point is the one highlighted.
    page.get_by_role("link", name="Funnel plot").click()
    page.wait_for_url("**/dashboard/funnel")
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    assert page.locator("#funnel-graph .legendtext", has_text="selected: Calder Works Ltd"
                        ).count() == 1

    # The model page: its own row named beside the others anonymised, as the league table.
    page.get_by_role("link", name="Expected outcomes").click()
    page.wait_for_url("**/dashboard/risk-model")
    page.locator("#risk-model-providers .ag-row").first.wait_for()
    names = grid_column(page, "risk-model-providers", "provider_name")
    assert [n for n in names if not ANONYMISED.match(n)] == ["Calder Works Ltd"], names
    screenshot(page, "risk-model-provider-user")


def test_provider_user_cannot_open_another_providers_page(page: Any, demo: Demo) -> None:
    own = demo.org_ids["calder"]
    sign_in(page, demo, "calder.staff", f"providers/{own}")
    page.get_by_role("heading", name="Calder Works Ltd").wait_for()
    # Editing the URL to another provider's id: not found, as if it did not exist.
    for other in (demo.org_ids["wharfedale"], demo.org_ids["ridgeway"], 999_999):
        page.goto(f"{demo.base}/dashboard/providers/{other}?contract={demo.contract_id}")
        page.get_by_role("heading", name="Not found").wait_for()
        assert page.get_by_role("heading", name="Wharfedale Mind Employment Service").count() == 0
    screenshot(page, "provider-page-not-found")


def test_reviewer_sees_its_navigation(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "panel.reviewer")
    page.locator("#tile-referrals").wait_for()  # the page and its menu are drawn
    nav = page.locator("#main-nav a").all_inner_texts()
    assert nav == ["Overview", "League table", "Funnel plot", "Expected outcomes", "Payments",
                   "Specialists", "Compliance", "Complaints", "Reviews", "Ratings",
                   "Improvement plans", "Reallocation"]
    assert page.locator("#nav-role").inner_text() == "Reviewer"
    page.locator("#tile-referrals").wait_for()
    assert page.locator("#tile-overdue").count() == 0  # participants' checks are not theirs
    # The keyboard reaches the skip link first, then the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    screenshot(page, "overview-reviewer")

    page.get_by_role("link", name="Funnel plot").click()
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    # Both sets of limits are drawn and named; the RAG's are marked.
    legend = page.locator("#funnel-graph .legendtext").all_text_contents()
    assert any("(the RAG's)" in text for text in legend), legend
    assert any(text.startswith("binomial limits") for text in legend), legend
    screenshot(page, "funnel-plot")

    page.get_by_role("link", name="Expected outcomes").click()
    page.get_by_role("heading", name="How expected outcomes are worked out").wait_for()
    wait_attached(page, "#risk-model-calibration .scatterlayer .point")
    page.locator("#risk-model-coefficients .ag-row").first.wait_for()
    assert "c-statistic" in page.locator("#risk-model-c-statistic").inner_text()
    screenshot(page, "risk-model")

    # A period that ends before it starts: the service's reason, and a way back.
    page.goto(f"{demo.base}/dashboard/funnel?contract={demo.contract_id}"
              "&from=2026-01-01&to=2025-01-01")
    page.get_by_text("to: before from").wait_for()
    page.get_by_role("link", name="Show this page with its default filters").click()
    wait_attached(page, "#funnel-graph .scatterlayer .point")


def test_signed_out_requests_go_to_login_and_sign_out_ends_the_session(
        page: Any, demo: Demo) -> None:
    page.goto(f"{demo.base}/dashboard/milestones?contract={demo.contract_id}")
    assert urlsplit(page.url).path == "/dashboard/login"
    assert query_of(page.url)["next"] == [f"/dashboard/milestones?contract={demo.contract_id}"]
    page.get_by_label("Username").fill("calder.staff")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#login-error").wait_for()
    sign_in(page, demo, "calder.staff", f"milestones?contract={demo.contract_id}")
    page.locator("#milestones-grid .ag-row").first.wait_for()
    # The overdue list to work from, downloaded: this provider's participants only.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    _, overdue = read_csv_export(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert overdue and {row["status"] for row in overdue} == {"overdue"}
    assert {row["provider_id"] for row in overdue} == {str(demo.org_ids["calder"])}
    page.get_by_role("button", name="calder.staff").click()  # the account's menu
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/dashboard/login?signed_out=1")
    page.goto(f"{demo.base}/dashboard/league")
    assert urlsplit(page.url).path == "/dashboard/login"
