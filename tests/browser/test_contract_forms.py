"""The contracts page's forms: settings, a tariff row and the milestone schedule field by
field, a refusal shown beside the field it names, and a prime manager shown only what its role
may change."""

import time
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.models import Contract
from tests.browser.conftest import Demo, sign_in

pytestmark = pytest.mark.browser


def field(page: Any, name: str) -> Any:
    """A change-form field by the path the page gives it (its pattern-matching id)."""
    return page.locator(f'[id*=\'"name":"{name}"\'][id*=\'"type":"contract-field"\']')


def beside(page: Any, name: str) -> Any:
    return page.locator(f'[id*=\'"name":"{name}"\'][id*=\'"type":"contract-field-error"\']')


def tariff_rows(page: Any) -> list[list[str]]:
    rows = page.locator("#contract-tariff-rows tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def test_an_admin_adds_a_tariff_row_and_changes_a_setting_field_by_field(
        page: Any, demo: Demo, engine: Engine) -> None:
    sign_in(page, demo, "admin", f"contracts?contract={demo.contract_id}")
    page.get_by_role("region", name="Tariff").wait_for()
    before = tariff_rows(page)

    # A negative fee: refused beside the fee, nothing stored.
    form = page.get_by_role("region", name="Tariff")
    form.get_by_label("Payment group").select_option(label="JSA 25+")
    form.get_by_label("Valid from").fill("2027-04-01")
    form.get_by_label("Attachment fee (£)").fill("-5")
    form.get_by_label("Job outcome fee (£)").fill("1250")
    form.get_by_label("Sustainment fee (£)").fill("220.50")
    form.get_by_label("Most sustainment payments").fill("13")
    form.get_by_label("Weeks in work for a job outcome").fill("26")
    page.get_by_role("button", name="Add the tariff row").click()
    message = beside(page, "tariff.attachment_fee")
    page.locator("#contracts-error").wait_for()
    message.get_by_text("Attachment fee (£): Input should be greater than or equal to 0").wait_for()
    assert page.locator("#contracts-error").is_visible()
    # The field is marked invalid and described by its message, for a screen reader.
    fee = field(page, "tariff.attachment_fee")
    assert fee.get_attribute("aria-invalid") == "true"
    assert fee.get_attribute("aria-describedby") == message.get_attribute("id")
    expect(fee).to_have_accessible_description(
        "Attachment fee (£): Input should be greater than or equal to 0")
    assert tariff_rows(page) == before
    with Session(engine) as session:
        contract = session.get(Contract, demo.contract_id)
        assert contract is not None
        assert len(contract.tariff_rows) == len(before)

    form.get_by_label("Attachment fee (£)").fill("410")
    page.get_by_role("button", name="Add the tariff row").click()
    page.locator("#contracts-done").wait_for()
    assert message.inner_text() == ""  # the message went with the error
    assert fee.get_attribute("aria-invalid") is None
    added = ["JSA 25+", "2027-04-01", "£410.00", "£1,250.00", "£220.50", "13", "26"]
    assert added in tariff_rows(page) and len(tariff_rows(page)) == len(before) + 1

    # A setting: changed in its field, saved, and read back from the page drawn again.
    settings = page.get_by_role("region", name="Settings")
    settings.get_by_label("Fewest eligible to be ranked").fill("25")
    page.get_by_role("button", name="Save the settings").click()
    page.get_by_text("settings saved").wait_for()
    page.reload()
    assert field(page, "settings.min_n").input_value() == "25"
    with Session(engine) as session:
        contract = session.get(Contract, demo.contract_id)
        assert contract is not None and contract.settings["min_n"] == 25


def test_a_prime_manager_sees_only_what_it_may_change(page: Any, demo: Demo,
                                                       engine: Engine) -> None:
    sign_in(page, demo, "ridgeway.manager", f"contracts?contract={demo.contract_id}")
    settings = page.get_by_role("region", name="Settings")
    settings.wait_for()
    shown = page.eval_on_selector_all(
        "[id*='\"type\":\"contract-field\"']",
        "fields => fields.map(f => JSON.parse(f.id).name)")
    assert sorted(shown) == ["settings.league_k_anonymity", "settings.league_visibility",
                             "settings.min_performance_index"]
    assert page.get_by_role("button", name="Add the tariff row").count() == 0
    assert page.get_by_role("button", name="Save the schedule").count() == 0
    field(page, "settings.league_visibility").select_option("named")
    page.get_by_role("button", name="Save the settings").click()
    page.get_by_text("settings saved").wait_for()
    field(page, "settings.league_visibility").select_option("anonymised")
    page.get_by_role("button", name="Save the settings").click()
    # The first save's message is still on the page: wait for the second save to be stored,
    # or the demo every later browser test shares could stay "named" (it did, once).
    deadline = time.monotonic() + 30
    while visibility(engine, demo) != "anonymised":
        assert time.monotonic() < deadline, "the second save was not stored within 30 s"
        time.sleep(0.1)


def visibility(engine: Engine, demo: Demo) -> Any:
    with Session(engine) as session:
        contract = session.get(Contract, demo.contract_id)
        assert contract is not None
        return contract.settings.get("league_visibility")
