"""Every table the README and API.md say exports does: `?format=csv|xlsx` (or Accept:
text/csv) answers a file named after its filters, opening with a block that states them and
the time of export (issue 15, findings 5 and 8: `milestones?format=csv` answered JSON)."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.helpers import API, read_csv_export
from tests.ingest.events import journey

D = date(2024, 3, 1)
AS_OF = "2025-06-01"


def load(client, world):
    for who, provider, refs in (("s1", world.s1, ("T-1", "T-2")), ("s2", world.s2, ("V-1",))):
        events = [e for ref in refs for e in journey(world.contract_a, ref, provider, D)]
        response = client.post(f"{API}/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def test_milestones_as_csv_are_csv_with_their_filters(client, world):
    load(client, world)
    response = client.get(f"{API}/contracts/{world.contract_a}/milestones",
                          params={"format": "csv", "as_of": AS_OF, "status": "on_time"},
                          headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="milestones_contract-{world.contract_a}_status-on_time'
        f'_as-of_{AS_OF}.csv"')
    block, rows = read_csv_export(response.text)
    assert block["Table"] == "Milestones" and block["Status"] == "on_time"
    assert block["As of"] == AS_OF and f"id {world.contract_a}" in block["Contract"]
    assert "Exported at (UTC)" in block
    json_rows = client.get(f"{API}/contracts/{world.contract_a}/milestones",
                           params={"as_of": AS_OF, "status": "on_time"},
                           headers=world.keys["manager_a"]).json()["rows"]
    assert rows and [(r["participant_ref"], r["milestone"]) for r in rows] == [
        (r["participant_ref"], r["milestone"]) for r in json_rows]


def test_a_providers_milestone_file_holds_only_its_own(client, world):
    load(client, world)
    response = client.get(f"{API}/contracts/{world.contract_a}/milestones",
                          params={"as_of": AS_OF}, headers={**world.keys["s2"],
                                                            "Accept": "text/csv"})
    _, rows = read_csv_export(response.text)
    assert {r["participant_ref"] for r in rows} == {"V-1"}


def test_the_league_table_in_excel_stands_alone(client, world):
    load(client, world)
    response = client.get(f"{API}/contracts/{world.contract_a}/league-table",
                          params={"format": "xlsx", "as_of": AS_OF, "from": "2024-01-01",
                                  "to": "2024-12-31", "horizon_months": 6, "min_n": 1},
                          headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'attachment; filename="league-table_contract-{world.contract_a}_2024-01-01_to_'
        f'2024-12-31_as-of_{AS_OF}_horizon-6-months.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    labels = {}
    row = 1
    while sheet.cell(row, 1).value is not None:
        labels[sheet.cell(row, 1).value] = sheet.cell(row, 2).value
        row += 1
    assert labels["Table"] == "League table" and labels["Horizon (months)"] == 6
    assert labels["Referrals from"].date() == date(2024, 1, 1)
    assert labels["As of"].date() == date.fromisoformat(AS_OF)
    header = row + 1
    titles = [c.value for c in sheet[header]]
    assert "Referral share" in titles and "referral_share" not in titles
    assert sheet.freeze_panes == f"A{header + 1}"
    share = sheet.cell(header + 1, titles.index("Referral share") + 1)
    assert share.number_format == "0.0%" and 0 < share.value <= 1
    money = sheet.cell(header + 1, titles.index("Payments earned") + 1)
    assert money.number_format == "£#,##0.00"


def test_a_subcontractors_league_file_names_no_other_provider(client, world):
    load(client, world)
    names = {r["provider_name"] for r in client.get(
        f"{API}/contracts/{world.contract_a}/league-table", params={"as_of": AS_OF, "min_n": 1},
        headers=world.keys["manager_a"]).json()["rows"]}
    response = client.get(f"{API}/contracts/{world.contract_a}/league-table",
                          params={"format": "csv", "as_of": AS_OF, "min_n": 1},
                          headers=world.keys["s1"])
    block, rows = read_csv_export(response.text)
    own = client.get(f"{API}/organisations/{world.s1}", headers=world.keys["s1"]).json()["name"]
    others = names - {own}
    assert others and not any(name in response.text for name in others)
    assert {r["provider_name"] for r in rows} >= {own}


@pytest.mark.parametrize("path", [
    "contracts/{contract}/league-table", "contracts/{contract}/milestones",
    "contracts/{contract}/payments-earned", "complaints", "compliance/flags"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_exporting_endpoint_answers_both_files(client, world, path, file_format):
    url = f"{API}/{path.format(contract=world.contract_a)}"
    response = client.get(url, params={"format": file_format}, headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith(
        f'.{file_format}"')
    if file_format == "csv":
        block, _ = read_csv_export(response.text)
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        block = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, 3)}
    assert block["Table"]


def test_the_export_time_is_recorded(client, world):
    response = client.get(f"{API}/complaints", params={"format": "csv"},
                          headers=world.keys["manager_a"])
    block, _ = read_csv_export(response.text)
    exported_on = date.fromisoformat(block["Exported at (UTC)"][:10])
    assert abs(exported_on - date.today()) <= timedelta(1)


def readme_exporting_paths() -> list[str]:
    """The GET endpoints whose README row says `?format=csv`."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return sorted({match.group(1) for line in readme.splitlines() if "format=csv" in line
                   for match in [re.match(r"\| `GET (/api/v1/[^?` ]+)", line)] if match})


def test_the_readme_names_the_exporting_endpoints():
    assert readme_exporting_paths() == [
        "/api/v1/complaints", "/api/v1/compliance/flags",
        "/api/v1/contracts/{id}/league-table", "/api/v1/contracts/{id}/milestones",
        "/api/v1/contracts/{id}/payments-earned"]


@pytest.mark.parametrize("path", readme_exporting_paths())
def test_every_endpoint_the_readme_says_exports_does(client, world, path):
    url = path.replace("{id}", str(world.contract_a))
    for file_format, media in (("csv", "text/csv"), ("xlsx", "spreadsheetml")):
        response = client.get(url, params={"format": file_format},
                              headers=world.keys["manager_a"])
        assert response.status_code == 200, (path, response.text)
        assert media in response.headers["content-type"], (path, file_format)
