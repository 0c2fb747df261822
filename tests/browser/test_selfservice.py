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

    page.get_by_label("Store the valid rows even if some are rejected").check()
    page.get_by_role("button", name="Send the file again").click()
    page.get_by_text("1 valid row stored").wait_for()
    assert page.locator("#upload-accepted").inner_text() == "1"
    assert grid_column(page, "upload-rejected", "line", rows=1) == ["3"]


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
