"""Issue 15's conventions, read from the rendered dashboard: date boxes that show the dates in
force as DD/MM/YYYY, date presets that set the URL, dropdowns listing each choice once, dark
mode that follows the browser, a print stylesheet, one-line navigation at 1400 px, and
downloads named after their filters. No screenshots: these only read the page."""

import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from dashboard.components.filters import date_presets
from dashboard.components.formatting import day
from tests.browser.conftest import Demo, sign_in
from tests.helpers import read_csv_export

pytestmark = pytest.mark.browser
DAY = r"(\d{1,2} [A-Z][a-z]{2} \d{4})"  # en-GB prose: 1 Nov 2024
HEADER_DATES = re.compile(rf"Referred {DAY} to {DAY}, as of {DAY}")


def iso(prose: str) -> str:
    """'1 Nov 2024' as '2024-11-01'."""
    return datetime.strptime(prose, "%d %b %Y").date().isoformat()


def en_gb(day: str | date) -> str:
    return (date.fromisoformat(day) if isinstance(day, str) else day).strftime("%d/%m/%Y")


def header_dates(page: Any) -> tuple[str, str, str]:
    match = HEADER_DATES.search(page.locator("#content p.text-muted").first.inner_text())
    assert match, page.locator("#content p.text-muted").first.inner_text()
    return iso(match.group(1)), iso(match.group(2)), iso(match.group(3))


def date_box(page: Any, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def relative_luminance(rgb: str) -> float:
    channels = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_date_boxes_show_the_dates_in_force_in_en_gb(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    page.locator("#league-grid .ag-row").first.wait_for()
    period_from, period_to, as_of = header_dates(page)
    assert date_box(page, "Referred from").input_value() == en_gb(period_from)
    assert date_box(page, "Referred to").input_value() == en_gb(period_to)
    assert date_box(page, "As of").input_value() == en_gb(as_of)
    # Each box is one line: its date, clear button and chevron side by side.
    rows = page.evaluate("""() => [...document.querySelectorAll(
        '.dash-datepicker-input-wrapper')].map(box => [box.querySelector('input'),
        box.querySelector('.dash-datepicker-caret-icon')].map(part => {
            const rect = part.getBoundingClientRect();
            return Math.round(rect.top + rect.height / 2); }))""")
    assert len(rows) == 3 and all(abs(date - caret) <= 3 for date, caret in rows), rows


def test_typing_an_en_gb_date_sets_the_url(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    page.locator("#league-grid .ag-row").first.wait_for()
    box = date_box(page, "Referred from")
    box.fill("01/02/2025")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*from=2025-02-01.*"))
    page.get_by_text("Referred 1 Feb 2025").wait_for()
    assert date_box(page, "Referred from").input_value() == "01/02/2025"


def test_a_date_preset_sets_the_url_and_the_boxes(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
    page.locator("#league-grid .ag-row").first.wait_for()
    _, _, as_of = header_dates(page)
    presets = {p.label: p for p in date_presets(date.fromisoformat(as_of),
                                                date.fromisoformat(header_dates(page)[0]))}
    assert {"Last quarter", "Year to date", "Contract year"} <= set(presets)
    quarter = presets["Last quarter"]
    page.get_by_role("link", name="Last quarter").click()
    page.wait_for_url(re.compile(rf".*from={quarter.period_from}.*"))
    query = query_of(page.url)
    assert query["from"] == [quarter.period_from.isoformat()]
    assert query["to"] == [quarter.period_to.isoformat()]
    assert query["contract"] == [str(demo.contract_id)]
    page.get_by_text(f"Referred {day(quarter.period_from)} to {day(quarter.period_to)}").wait_for()
    assert date_box(page, "Referred from").input_value() == en_gb(quarter.period_from)
    assert date_box(page, "Referred to").input_value() == en_gb(quarter.period_to)


def test_dropdowns_list_each_choice_once(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"funnel?contract={demo.contract_id}")
    page.locator("#funnel-graph").wait_for()
    for select in page.locator("select").all():
        labels = [text.strip() for text in select.locator("option").all_inner_texts()]
        repeated = [label for label, n in Counter(labels).items() if n > 1]
        assert not repeated, (select.get_attribute("id"), labels)
    # A "no filter" choice shows its words when chosen, not a blank box.
    highlight = page.get_by_label("Highlight provider")
    assert highlight.evaluate("s => s.selectedOptions[0].text") == "none"
    # Choosing it again after another choice takes the filter out of the URL.
    provider = highlight.evaluate("s => s.options[2].value")
    highlight.select_option(provider)
    page.wait_for_url(re.compile(rf".*provider={provider}.*"))
    # The page is drawn again for the new URL: choose on the new control, not the old one
    # (under load the old one may still be on the page, and a choice made there is lost).
    page.wait_for_function("""() => {
        const plot = document.querySelector('#funnel-graph .js-plotly-plot');
        return plot && plot.data && plot.data.some(t => (t.name || '').startsWith('selected:'));
    }""", polling=100)
    page.get_by_label("Highlight provider").select_option(label="none")
    page.wait_for_function("() => !window.location.search.includes('provider=')",
                           polling=100)


def test_dark_mode_follows_the_browser(browser: Any, demo: Demo) -> None:
    for scheme, dark in (("dark", True), ("light", False)):
        context = browser.new_context(viewport={"width": 1440, "height": 900},
                                      color_scheme=scheme)
        page = context.new_page()
        try:
            sign_in(page, demo, "ridgeway.manager", f"league?contract={demo.contract_id}")
            page.locator("#league-grid .ag-row").first.wait_for()
            body = page.evaluate("""() => {
                const style = getComputedStyle(document.body);
                return [style.backgroundColor, style.color];
            }""")
            background, text = body
            assert (relative_luminance(background) < 0.05) is dark, (scheme, background)
            assert contrast(background, text) >= 4.5, (scheme, body)
            grid = page.evaluate("""() => {
                const cell = document.querySelector('#league-grid .ag-cell');
                let node = cell, bg = 'rgba(0, 0, 0, 0)';
                while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
                    bg = getComputedStyle(node).backgroundColor;
                    node = node.parentElement;
                }
                return [bg, getComputedStyle(cell).color];
            }""")
            assert contrast(*grid) >= 4.5, (scheme, grid)
            muted = page.evaluate("""() => getComputedStyle(
                document.querySelector('#content p.text-muted')).color""")
            assert contrast(background, muted) >= 4.5, (scheme, muted)
            # A figure's axis labels on the page's background.
            page.goto(f"{demo.base}/dashboard/funnel?contract={demo.contract_id}")
            page.wait_for_function("() => document.querySelector('#funnel-graph .xtick text')",
                                   polling=100)
            figure = page.evaluate("""() => {
                const svg = document.querySelector('#funnel-graph .main-svg');
                const tick = document.querySelector('#funnel-graph .xtick text');
                return [getComputedStyle(svg).backgroundColor, getComputedStyle(tick).fill];
            }""")
            shown = background if figure[0] in ("rgba(0, 0, 0, 0)", "transparent") \
                else figure[0]
            assert contrast(shown, figure[1]) >= 4.5, (scheme, figure)
        finally:
            context.close()


def test_printing_hides_navigation_and_filters_and_keeps_the_figure(page: Any,
                                                                     demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"funnel?contract={demo.contract_id}")
    page.locator("#funnel-graph .main-svg").first.wait_for()
    page.emulate_media(media="print")
    assert page.locator("nav.navbar").is_hidden()
    assert page.get_by_role("search").is_hidden()
    assert page.locator("#funnel-graph").is_visible()
    assert page.locator("h1").is_visible()
    page.emulate_media(media="screen")
    assert page.locator("nav.navbar").is_visible()


@pytest.mark.parametrize("username", ["calder.staff", "ridgeway.manager", "admin"])
def test_the_navigation_is_one_line_at_1400_px(browser: Any, demo: Demo,
                                               username: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, demo, username, f"league?contract={demo.contract_id}")
        page.locator("#main-nav .nav-link").first.wait_for()
        boxes = page.evaluate("""() => [...document.querySelectorAll(
            '.navbar .navbar-brand, #main-nav .nav-link, #nav-user .nav-link')].map(
            element => element.getBoundingClientRect()).map(
            box => [Math.round(box.top + box.height / 2), box.left, box.right])""")
        tops = [top for top, _, _ in boxes]
        assert len(tops) >= 5 and max(tops) - min(tops) <= 4, tops
        # Nothing is pushed out of the window (the account's menu was, at 1400 px).
        assert all(left >= 0 and right <= 1400 for _, left, right in boxes), boxes
    finally:
        context.close()


def test_the_league_download_is_named_after_its_filters(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager",
            f"league?contract={demo.contract_id}&from=2025-01-01&horizon=6")
    page.locator("#league-grid .ag-row").first.wait_for()
    _, period_to, as_of = header_dates(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"league-table_contract-{demo.contract_id}_2025-01-01_to_{period_to}_as-of_{as_of}"
        "_horizon-6-months.csv")
    block, rows = read_csv_export(Path(download.path()).read_text(encoding="utf-8"))
    assert (block["Referrals from"], block["Referrals to"], block["As of"]) == (
        "2025-01-01", period_to, as_of)
    assert block["Horizon (months)"] == "6" and "Exported at (UTC)" in block
    assert rows


def test_the_complaints_page_downloads_its_list_with_its_filters(page: Any, demo: Demo) -> None:
    sign_in(page, demo, "ridgeway.manager", f"complaints?contract={demo.contract_id}")
    page.locator("#complaints-list").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"complaints_contract-{demo.contract_id}.csv"
    block, rows = read_csv_export(Path(download.path()).read_text(encoding="utf-8"))
    assert block["Table"] == "Complaints" and block["Contract ID"] == str(demo.contract_id)
    shown = page.locator("#complaints-list a").all_inner_texts()
    assert rows and len(rows) == len(shown)
    assert sorted(row["title"] for row in rows) == sorted(text.strip() for text in shown)


def test_the_milestones_excel_file_has_dates_and_a_frozen_header(page: Any, demo: Demo,
                                                                 tmp_path: Path) -> None:
    sign_in(page, demo, "ridgeway.manager", f"milestones?contract={demo.contract_id}&status=all")
    page.locator("#milestones-grid .ag-row").first.wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith(
        f"milestones_contract-{demo.contract_id}_status-any_as-of_")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path).active
    labels = [sheet.cell(row, 1).value for row in range(1, 6)]
    assert labels[:3] == ["Table", "Contract", "Status"]
    header = next(row for row in range(1, 20) if sheet.cell(row, 1).value == "Participant")
    titles = [cell.value for cell in sheet[header]]
    assert "Due date" in titles and "due_date" not in titles
    assert sheet.freeze_panes == f"A{header + 1}"
    due = sheet.cell(header + 1, titles.index("Due date") + 1)
    assert due.number_format == "DD/MM/YYYY" and due.is_date
