"""app.core.export: one function writes every table as a file that stands alone: named after
its filters, a header block with the filters and the time of export, Excel cells formatted by
kind under human column names with the header row frozen (issue 15, finding 5)."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core.export import Column, Filter, TableExport, export_file, human_title
from tests.helpers import read_csv_export

EXPORTED_AT = datetime(2026, 12, 6, 14, 3, 12, tzinfo=UTC)


def league() -> TableExport:
    return TableExport(
        "league-table", "League table",
        [Column("provider_name", title="Provider"), Column("referral_share", "percent"),
         Column("payments_earned", "money"), Column("first_referral", "date"),
         Column("eligible", "integer")],
        [{"provider_name": "Calder Works Ltd", "referral_share": 0.158,
          "payments_earned": Decimal("18450.50"), "first_referral": date(2025, 4, 2),
          "eligible": 120},
         {"provider_name": "=HYPERLINK(\"x\")\x01", "referral_share": None,
          "payments_earned": None, "first_referral": None, "eligible": 3}],
        [Filter("Contract", "Restart North (CPA1, id 3)", "contract-3"),
         Filter("Referrals from", date(2025, 4, 1), "2025-04-01_to_2026-03-31"),
         Filter("Referrals to", date(2026, 3, 31)),
         Filter("As of", date(2026, 12, 6), "as-of_2026-12-06"),
         Filter("Horizon (months)", 6, "horizon-6-months")],
        EXPORTED_AT)


def test_the_file_name_carries_the_filters():
    assert export_file(league(), "csv").filename == (
        "league-table_contract-3_2025-04-01_to_2026-03-31_as-of_2026-12-06_horizon-6-months.csv")
    assert export_file(league(), "xlsx").filename.endswith("horizon-6-months.xlsx")


def test_human_titles():
    assert human_title("referral_share") == "Referral share"
    assert human_title("funnel_lower_998") == "Funnel lower 99.8%"
    assert human_title("ci_high") == "CI high"


def test_the_csv_states_its_filters_before_raw_rows():
    exported = export_file(league(), "csv")
    assert exported.media_type.startswith("text/csv")
    block, rows = read_csv_export(exported.content.decode("utf-8"))
    assert block == {"Table": "League table", "Contract": "Restart North (CPA1, id 3)",
                     "Referrals from": "2025-04-01", "Referrals to": "2026-03-31",
                     "As of": "2026-12-06", "Horizon (months)": "6",
                     "Exported at (UTC)": "2026-12-06T14:03:12+00:00"}
    assert rows[0] == {"provider_name": "Calder Works Ltd", "referral_share": "0.158",
                       "payments_earned": "18450.50", "first_referral": "2025-04-02",
                       "eligible": "120"}
    assert rows[1]["provider_name"].startswith("'=")  # never a formula


def test_pandas_reads_the_csv_with_the_line_the_first_row_names():
    pandas = pytest.importorskip("pandas")
    content = export_file(league(), "csv").content
    first = content.decode("utf-8-sig").splitlines()[0]
    start = int(first.rsplit(" ", 1)[1])
    frame = pandas.read_csv(io.BytesIO(content), skiprows=start - 1)
    assert list(frame.columns) == ["provider_name", "referral_share", "payments_earned",
                                   "first_referral", "eligible"]
    assert frame["eligible"].tolist() == [120, 3]


def test_excel_has_the_block_human_names_formats_and_a_frozen_header():
    exported = export_file(league(), "xlsx")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet.title == "League table"
    block = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, 8)}
    assert block["Table"] == "League table"
    assert block["Contract"] == "Restart North (CPA1, id 3)"
    assert block["Referrals from"] == datetime(2025, 4, 1)  # a date cell
    assert sheet.cell(3, 2).number_format == "DD/MM/YYYY"
    assert block["Exported at (UTC)"] == datetime(2026, 12, 6, 14, 3, 12)
    header = 9  # 7 block rows, a blank row
    assert [c.value for c in sheet[header]] == [
        "Provider", "Referral share", "Payments earned", "First referral", "Eligible"]
    assert sheet.freeze_panes == f"A{header + 1}"
    share, money, day = (sheet.cell(header + 1, col) for col in (2, 3, 4))
    assert (share.value, share.number_format) == (0.158, "0.0%")
    assert (money.value, money.number_format) == (18450.5, "£#,##0.00")
    assert (day.value, day.number_format) == (datetime(2025, 4, 2), "DD/MM/YYYY")
    assert sheet.cell(header + 2, 1).value.startswith("'=")
