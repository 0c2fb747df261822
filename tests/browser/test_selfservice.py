"""Self-service in the browser (issue 15): the upload page lets a refused file be sent again,
and a new subcontractor sets itself up from an invitation with no command line."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Demo, sign_in
from tests.browser.test_journeys import grid_column

pytestmark = pytest.mark.browser


def test_a_refused_file_can_be_sent_again_storing_its_valid_rows(page: Any, demo: Demo,
                                                                  tmp_path: Path) -> None:
    """Issue 15, finding 4: after an atomic upload was refused, ticking "store the valid rows"
    and choosing the same file again did nothing (a file input fires no change for the same
    file)."""
    sign_in(page, demo, "calder.staff", "upload")
    contract, calder = demo.contract_id, demo.org_ids["calder"]
    upload = tmp_path / "events.csv"
    upload.write_text(
        "event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id\n"
        f"again-1,{contract},CW-AGAIN-1,referral,2025-03-03,jsa_25_plus,{calder}\n"
        f"again-2,{contract},AB123456C,referral,2025-03-04,jsa_25_plus,{calder}\n")
    page.locator("#upload-file input[type=file]").set_input_files(str(upload))
    page.locator("#upload-rejected-count").wait_for()
    assert page.locator("#upload-accepted").inner_text() == "0"  # atomic: nothing stored

    # The same file chosen again, now storing the valid rows.
    page.get_by_label("Store the valid rows even if some are rejected").check()
    page.locator("#upload-file input[type=file]").set_input_files(str(upload))
    page.get_by_text("1 valid row stored").wait_for()
    assert page.locator("#upload-accepted").inner_text() == "1"
    assert grid_column(page, "upload-rejected", "line", rows=1) == ["3"]
    # Or sent again by the button, without choosing it: the stored row is now a duplicate.
    page.get_by_role("button", name="Send the file again").click()
    page.get_by_text("0 valid rows stored").wait_for()
    assert page.locator("#upload-duplicates").inner_text() == "1"


def test_the_upload_page_shows_and_downloads_the_csv_template(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "calder.staff", "upload")
    page.locator("#upload-template-example td").first.wait_for()
    example = page.locator("#upload-template-example td").all_inner_texts()
    assert example[3] == "referral" and example[-1] == str(demo.org_ids["calder"])
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the template").click()
    assert download_info.value.suggested_filename == "chainboard-events-template.csv"
    header, row = Path(download_info.value.path()).read_text().splitlines()
    assert header.startswith("event_id,contract_id,participant_ref,type,event_date")
    assert row.split(",") == example


def _sign_in_as(browser: Any, demo: Demo, username: str, password: str, path: str) -> Any:
    """A new browser (its own cookies) signed in as `username`, on `path`."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.goto(f"{demo.base}/dashboard/{path}")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"{demo.base}/dashboard/{path}")
    return tab


def test_a_new_subcontractor_sets_itself_up_from_an_invitation(page: Any, browser: Any,
                                                               demo: Demo,
                                                               tmp_path: Path) -> None:
    """Issue 15's journey, no command line: the admin creates the charity and its first
    account (the one step a stranger cannot do for itself); the charity gives the prime a
    join code; the prime invites it; the charity accepts, adds a colleague and an API key,
    uploads a CSV with an error, fixes it, sends it again and finds its row in the league
    table."""
    charity, admin_password = "Swale Works CIC", "heron quarry velvet lantern"
    sign_in(page, demo, "admin", "organisations")
    page.get_by_label("Name").fill(charity)
    page.get_by_label("Kind").select_option("subcontractor")
    page.get_by_label("Sector").select_option("third")
    page.get_by_role("button", name="Create the organisation").click()
    page.locator("#organisations-done").wait_for()
    page.goto(f"{demo.base}/dashboard/users")
    page.get_by_label("Username").fill("swale.admin")
    page.get_by_label("Password", exact=True).fill(admin_password)
    page.get_by_label("Role").select_option("provider_user")
    page.get_by_label("Organisation").select_option(label=f"{charity} (subcontractor)")
    page.get_by_role("button", name="Create the account").click()
    page.locator("#users-done").wait_for()

    # The charity's administrator: a join code for the prime.
    swale = _sign_in_as(browser, demo, "swale.admin", admin_password, "invitations")
    menu = swale.locator("#nav-set-up").text_content()
    assert "Users" in menu and "API keys" in menu
    assert "Organisations" not in menu and "Members" not in menu  # an admin's and a prime's
    swale.get_by_role("button", name="Create a join code").click()
    code = swale.locator("#join-code-secret").text_content().strip()
    assert len(code) > 20

    # The prime's manager invites the charity by its code.
    prime = _sign_in_as(browser, demo, "ridgeway.manager", demo.password("ridgeway.manager"),
                        f"members?contract={demo.contract_id}")
    prime.get_by_label("Join code").fill(code)
    prime.get_by_label("Tier").select_option("1")
    prime.get_by_label("Contracted share (0 to 1)").fill("0")
    prime.get_by_role("button", name="Send the invitation").click()
    prime.get_by_text("Invitation sent").wait_for()
    prime.context.close()

    # The charity accepts, then sets up a colleague (the password policy speaks first).
    swale.reload()
    swale.get_by_label("Pending invitation").select_option(index=1)
    swale.get_by_role("button", name="Accept").click()
    swale.get_by_text("Invitation accepted.").wait_for()
    swale.goto(f"{demo.base}/dashboard/users")
    swale.get_by_label("Username").fill("swale.staff")
    swale.get_by_label("Password", exact=True).fill("password1")
    swale.get_by_role("button", name="Create the account").click()
    assert swale.locator("#users-error").text_content().startswith("Not done: password")
    swale.get_by_label("Password", exact=True).fill("orbit fennel cobalt marsh")
    swale.get_by_role("button", name="Create the account").click()
    swale.locator("#users-done").wait_for()
    assert {"swale.admin", "swale.staff"} <= set(
        swale.locator("#users-table td:nth-child(2)").all_inner_texts())

    # An API key, shown once, that works.
    swale.goto(f"{demo.base}/dashboard/api-keys")
    swale.get_by_label("Name").fill("case system nightly upload")
    swale.get_by_role("button", name="Create the key").click()
    key = swale.locator("#api-key-secret").text_content().strip()
    me = swale.request.get(f"{demo.base}/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status == 200 and me.json()["role"] == "provider_user"
    swale.reload()
    swale.locator("#api-keys-table").wait_for()
    assert key not in swale.content()

    # The upload: the template's example row gives the ids; a bad line, fixed, sent again.
    swale.goto(f"{demo.base}/dashboard/upload")
    swale.locator("#upload-template-example td").first.wait_for()
    example = swale.locator("#upload-template-example td").all_inner_texts()
    contract, provider = example[1], example[-1]
    upload = tmp_path / "swale.csv"
    header = "event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id\n"
    upload.write_text(header
                      + f"swale-1,{contract},SWALE-1,referral,{example[4]},jsa_25_plus,{provider}\n"
                      + f"swale-2,{contract},AB123456C,referral,{example[4]},jsa_25_plus,"
                        f"{provider}\n")
    swale.locator("#upload-file input[type=file]").set_input_files(str(upload))
    swale.locator("#upload-rejected-count").wait_for()
    assert swale.locator("#upload-accepted").inner_text() == "0"
    assert grid_column(swale, "upload-rejected", "line", rows=1) == ["3"]
    upload.write_text(header
                      + f"swale-1,{contract},SWALE-1,referral,{example[4]},jsa_25_plus,{provider}\n"
                      + f"swale-2,{contract},SWALE-2,referral,{example[4]},jsa_25_plus,"
                        f"{provider}\n")
    swale.locator("#upload-file input[type=file]").set_input_files(str(upload))
    swale.get_by_text("Every line was accepted.").wait_for()
    assert swale.locator("#upload-accepted").inner_text() == "2"

    swale.goto(f"{demo.base}/dashboard/league?contract={contract}")
    swale.locator("#league-grid .ag-row").first.wait_for()
    names = grid_column(swale, "league-grid", "provider_link", rows=len(demo.cpa.organisations))
    assert charity in names, names
    swale.context.close()
