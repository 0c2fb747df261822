"""Issue 15, finding 9: a contract-wide payments page. Its figures are the league table's
(tests/browser/test_consistency.py reads both); here, its drill-down and its downloads."""

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import Demo, sign_in
from tests.browser.test_journeys import wait_attached
from tests.helpers import read_csv_export

pytestmark = pytest.mark.browser


def test_a_point_of_the_payments_chart_opens_its_providers_page(page: Any,
                                                                demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"payments?contract={demo.contract_id}")
    wait_attached(page, "#payments-chart .scatterlayer .point")
    name, target = page.evaluate("""() => {
        const trace = document.querySelector('#payments-chart .js-plotly-plot').data[0];
        return [trace.name, trace.customdata[0]]; }""")
    page.locator("#payments-chart .scatterlayer .trace").first.locator(
        ".point").last.click(force=True)
    page.wait_for_url(f"**{target}")
    page.locator("#provider-rate").wait_for()
    assert page.locator("h1").inner_text() == name


def test_the_payments_tables_download_with_their_filters(page: Any, demo: Demo,
                                                         tmp_path: Path) -> None:
    sign_in(page, demo, "ridgeway.manager",
            f"payments?contract={demo.contract_id}&from=2025-01-01")
    page.locator("#payments-providers .ag-row").first.wait_for()
    with page.expect_download() as download_info:
        page.locator("#payments-providers-export").click()
    download = download_info.value
    assert download.suggested_filename.startswith(
        f"payments-by-provider_contract-{demo.contract_id}_2025-01-01_to_")
    header, rows = read_csv_export(Path(download.path()).read_text(encoding="utf-8"))
    assert header["Events from"] == "2025-01-01", header
    assert rows and {"provider_name", "total", "expected_total"} <= set(rows[0])
    with page.expect_download() as download_info:
        page.locator("#payments-invoices-export-xlsx").click()
    path = tmp_path / download_info.value.suggested_filename  # openpyxl goes by the extension
    download_info.value.save_as(path)
    sheet = load_workbook(path).active
    assert sheet is not None
    headings = [cell.value for row in sheet.iter_rows(max_row=20) for cell in row]
    assert "Days beyond terms" in headings and "Status" in headings


def test_a_providers_staff_see_only_their_own_payments(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "calder.staff", f"payments?contract={demo.contract_id}")
    page.locator("#payments-providers .ag-row").first.wait_for()
    names = {text.strip() for text in page.locator(
        "#payments-providers [col-id='provider_link']").all_inner_texts()} - {"Provider", ""}
    own = next(o.name for o in demo.cpa.organisations if o.slug == "calder")
    assert names == {own}
