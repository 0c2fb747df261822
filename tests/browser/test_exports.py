"""Every table page offers its table as CSV and as Excel (app.core.export): each download opens
and starts with the header block naming the table, then the table's own header row."""

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from app.auth.exports import API_KEY_EXPORT_COLUMNS, USER_EXPORT_COLUMNS
from app.complaints.exports import COMPLAINT_EXPORT_COLUMNS
from app.compliance.exports import FLAG_EXPORT_COLUMNS
from app.core.export import Column
from app.supply_chain.exports import (
    CONTRACT_EXPORT_COLUMNS,
    MEMBER_EXPORT_COLUMNS,
    ORGANISATION_EXPORT_COLUMNS,
)
from tests.browser.conftest import Demo, sign_in
from tests.helpers import read_csv_export

pytestmark = pytest.mark.browser

# page -> (the table's title in the header block, its columns, a filter the block states)
PAGES: dict[str, tuple[str, tuple[Column, ...], str | None]] = {
    "complaints": ("Complaints", COMPLAINT_EXPORT_COLUMNS, "Contract ID"),
    "compliance": ("Compliance flags", (*FLAG_EXPORT_COLUMNS,
                                        Column("subject_name", title="Subject")), None),
    "users": ("Users", USER_EXPORT_COLUMNS, None),
    "api-keys": ("API keys", API_KEY_EXPORT_COLUMNS, None),
    "organisations": ("Organisations", ORGANISATION_EXPORT_COLUMNS, None),
    "contracts": ("Contracts", CONTRACT_EXPORT_COLUMNS, None),
    "members": ("Supply-chain members", MEMBER_EXPORT_COLUMNS, "Contract ID"),
}


def download(page: Any, button: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


@pytest.mark.parametrize("name", list(PAGES))
def test_a_table_page_downloads_csv_and_excel(page: Any, demo: Demo, tmp_path: Path,
                                              name: str) -> None:
    title, columns, stated = PAGES[name]
    sign_in(page, demo, "admin", f"{name}?contract={demo.contract_id}")
    page.get_by_role("button", name="Download Excel").wait_for()

    csv_file = download(page, "Download CSV", tmp_path)
    assert csv_file.suffix == ".csv" and csv_file.name.startswith(name.split("-")[0])
    text = csv_file.read_text(encoding="utf-8")
    block, rows = read_csv_export(text)
    assert block["Table"] == title and "Exported at (UTC)" in block
    if stated:
        assert block[stated] == str(demo.contract_id)
        assert f"contract-{demo.contract_id}" in csv_file.name
    lines = text.lstrip("\ufeff").splitlines()
    table_starts = int(lines[0].rsplit(" ", 1)[1])
    assert lines[table_starts - 1].split(",") == [c.key for c in columns]

    workbook = download(page, "Download Excel", tmp_path)
    assert workbook.suffix == ".xlsx" and workbook.stem == csv_file.stem
    sheet = load_workbook(workbook).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][:2] == ("Table", title)
    header = cells.index((None,) * len(cells[0])) + 1  # after the block's blank row
    assert list(cells[header]) == [c.heading for c in columns]
    assert len(cells) - header - 1 == len(rows)
