"""Contracts: programme defaults, validation, who may create, see and change them."""

from datetime import date
from decimal import Decimal

import pytest

from tests.helpers import API, audit_entries, create_contract, page_through

# DOMAIN.md section 2: attachment (year 1) / outcome / sustainment, max sustainments, weeks.
PROGRAMME_TARIFF = {
    "jsa_18_24": ("400", "1200", "170", 13, 26),
    "jsa_25_plus": ("400", "1200", "215", 13, 26),
    "jsa_early_access": ("400", "1200", "250", 20, 13),
    "jsa_ex_ib": ("400", "1200", "250", 20, 13),
    "esa_volunteers": ("400", "1000", "115", 20, 13),
    "esa_new": ("600", "1200", "215", 20, 13),
    "esa_ex_ib": ("600", "3500", "370", 26, 13),
    "ib_is": ("400", "1000", "115", 20, 13),
    "jsa_prison_leavers": ("400", "1200", "250", 20, 13),
}
TAPER = (Decimal(1), Decimal("0.75"), Decimal("0.5"), Decimal(0))


def _tariff_row(group: str = "jsa_18_24", valid_from: str = "2024-04-01") -> dict[str, object]:
    return {"payment_group": group, "valid_from": valid_from, "attachment_fee": "350.00",
            "outcome_fee": "1100.00", "sustainment_fee": "160.00", "max_sustainments": 13,
            "outcome_weeks": 26}


def test_a_new_contract_gets_the_programme_tariff_with_the_attachment_taper(client, world):
    response = client.get(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"])
    assert response.status_code == 200
    contract = response.json()
    assert (contract["prime_id"], contract["cpa_code"], contract["start_date"],
            contract["end_date"]) == (world.prime_a, "CPA18", "2024-04-01", "2029-03-31")
    rows = {(r["payment_group"], r["valid_from"]): r for r in contract["tariff"]}
    assert len(contract["tariff"]) == len(PROGRAMME_TARIFF) * 4
    years = ("2024-04-01", "2025-04-01", "2026-04-01", "2027-04-01")
    for group, (attachment, outcome, sustainment, max_sust, weeks) in PROGRAMME_TARIFF.items():
        for valid_from, factor in zip(years, TAPER, strict=True):
            row = rows[(group, valid_from)]
            assert Decimal(row["attachment_fee"]) == Decimal(attachment) * factor
            assert Decimal(row["outcome_fee"]) == Decimal(outcome)
            assert Decimal(row["sustainment_fee"]) == Decimal(sustainment)
            assert (row["max_sustainments"], row["outcome_weeks"]) == (max_sust, weeks)
    # The published JSA taper, spelt out: 400 / 300 / 200 / 0.
    assert [Decimal(rows[("jsa_25_plus", y)]["attachment_fee"]) for y in years] == [
        Decimal(400), Decimal(300), Decimal(200), Decimal(0)]


def test_a_new_contract_gets_the_default_schedule_and_anonymised_league_tables(client, db, world):
    contract = client.get(f"{API}/contracts/{world.contract_a}",
                          headers=world.headers["admin"]).json()
    assert contract["settings"]["league_visibility"] == "anonymised"
    assert contract["settings"]["default_horizon_months"] == 12
    assert contract["settings"]["min_n"] == 30
    assert contract["settings"]["payment_terms_days"] == 30
    assert contract["milestone_schedule"] == {
        "spell_checks": [
            {"milestone": "D28", "days": 28, "min_outcome_weeks": None},
            {"milestone": "D91", "days": 91, "min_outcome_weeks": None},
            {"milestone": "D182", "days": 182, "min_outcome_weeks": 26},
        ],
        "sustainment_interval_days": 28,
    }
    [entry] = [e for e in audit_entries(db, "contract.create")
               if e.entity_id == str(world.contract_a)]
    assert entry.actor_user_id == world.user_ids["admin"]
    assert entry.details == {"cpa_code": "CPA18", "prime_id": world.prime_a,
                             "default_tariff": True}


def test_a_contract_starting_on_29_february_tapers_on_28_february(client, world):
    contract_id = create_contract(client, world.headers["admin"], world.prime_a, "CPA99",
                                  start_date=date(2024, 2, 29))
    tariff = client.get(f"{API}/contracts/{contract_id}",
                        headers=world.headers["admin"]).json()["tariff"]
    assert sorted({r["valid_from"] for r in tariff}) == [
        "2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28"]


def test_a_given_tariff_and_settings_replace_the_defaults(client, world):
    contract_id = create_contract(
        client, world.headers["admin"], world.prime_a, "CPA98",
        tariff=[_tariff_row()], settings={"league_visibility": "named", "min_n": 20})
    contract = client.get(f"{API}/contracts/{contract_id}",
                          headers=world.headers["admin"]).json()
    assert [(r["payment_group"], Decimal(r["attachment_fee"])) for r in contract["tariff"]] == [
        ("jsa_18_24", Decimal(350))]
    assert contract["settings"]["league_visibility"] == "named"
    assert contract["settings"]["min_n"] == 20
    assert contract["settings"]["payment_terms_days"] == 30


@pytest.mark.parametrize(("change", "loc", "message"), [
    ({"end_date": "2024-03-31"}, ["body", "end_date"], "Value error, before start_date "
                                                       "(2024-04-01)"),
    ({"tariff": []}, ["body", "tariff"], None),
    ({"cpa_code": ""}, ["body", "cpa_code"], None),
    ({"start_date": "2024-02-30"}, ["body", "start_date"], None),
    ({"settings": {"league_visibility": "public"}},
     ["body", "settings", "league_visibility"], None),
    ({"settings": {"default_horizon_months": 36}},
     ["body", "settings", "default_horizon_months"], None),
    ({"prime_id": 2**31}, ["body", "prime_id"], None),
    ({"settings": {"starvation_ratio": 1.5}}, ["body", "settings", "starvation_ratio"], None),
    ({"settings": {"national_rates": {"jsa_everyone": 0.2}}},
     ["body", "settings", "national_rates", "jsa_everyone", "[key]"], None),
    ({"settings": {"payment_terms_days": -1}}, ["body", "settings", "payment_terms_days"], None),
    ({"tariff": [{**_tariff_row(), "payment_group": "jsa_everyone"}]},
     ["body", "tariff", 0, "payment_group"], None),
])
def test_invalid_contracts_are_refused_naming_the_field(client, admin, change, loc, message):
    payload = {"prime_id": 1, "cpa_code": "CPA5", "cpa_name": "Somewhere",
               "start_date": "2024-04-01", "end_date": "2029-03-31", **change}
    response = client.post(f"{API}/contracts", headers=admin, json=payload)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == loc
    if message is not None:
        assert error["msg"] == message


def test_rule_violations_name_the_field_in_the_detail(client, world):
    admin = world.headers["admin"]
    base = {"cpa_code": "CPA5", "cpa_name": "Somewhere", "start_date": "2024-04-01",
            "end_date": "2029-03-31"}
    not_prime = client.post(f"{API}/contracts", headers=admin,
                            json={**base, "prime_id": world.s1})
    assert not_prime.status_code == 422
    assert not_prime.json() == {"detail": f"prime_id: {world.s1} is not a prime organisation"}
    twice = client.post(f"{API}/contracts", headers=admin, json={
        **base, "prime_id": world.prime_a, "tariff": [_tariff_row(), _tariff_row()]})
    assert twice.status_code == 422
    assert twice.json() == {"detail": "tariff[1]: a second row for jsa_18_24 from 2024-04-01"}


def test_only_admins_create_contracts(client, world):
    payload = {"prime_id": world.prime_a, "cpa_code": "CPA5", "cpa_name": "Somewhere",
               "start_date": "2024-04-01", "end_date": "2029-03-31"}
    for who, role in (("reviewer", "reviewer"), ("manager_a", "prime_manager"),
                      ("s1", "provider_user")):
        response = client.post(f"{API}/contracts", headers=world.headers[who], json=payload)
        assert response.status_code == 403
        assert response.json() == {"detail": f"role '{role}' may not create contracts"}


def test_each_role_sees_only_the_contracts_it_is_party_to(client, world):

    def visible(who: str) -> set[int]:
        response = client.get(f"{API}/contracts", headers=world.headers[who])
        assert response.status_code == 200
        return {row["id"] for row in response.json()["rows"]}

    both = {world.contract_a, world.contract_b}
    assert visible("admin") == both
    assert visible("reviewer") == both
    assert visible("manager_a") == {world.contract_a}
    assert visible("inhouse_a") == {world.contract_a}
    assert visible("s1") == {world.contract_a}
    assert visible("s2") == {world.contract_a}
    assert visible("manager_b") == {world.contract_b}
    assert visible("sb") == {world.contract_b}

    assert client.get(f"{API}/contracts/{world.contract_a}",
                      headers=world.headers["reviewer"]).status_code == 200
    for who in ("manager_b", "sb"):
        response = client.get(f"{API}/contracts/{world.contract_a}", headers=world.headers[who])
        assert response.status_code == 404
        assert response.json() == {"detail": f"contract {world.contract_a} not found"}
    assert client.get(f"{API}/contracts/999999",
                      headers=world.headers["admin"]).status_code == 404


def test_contracts_page_with_a_cursor(client, world):
    extra = [create_contract(client, world.headers["admin"], world.prime_a, f"CPA{n}")
             for n in range(3)]
    pages = page_through(client, f"{API}/contracts", world.headers["manager_a"], limit=2)
    assert [len(page) for page in pages] == [2, 2]
    assert [row["id"] for page in pages for row in page] == [world.contract_a, *extra]


def test_a_settings_patch_changes_only_the_settings_it_names(client, db, world):
    url = f"{API}/contracts/{world.contract_a}"
    assert client.patch(url, headers=world.headers["admin"],
                        json={"settings": {"min_n": 20,
                                           "national_rates": {"esa_new": 0.2}}}).status_code == 200
    response = client.patch(url, headers=world.headers["manager_a"],
                            json={"settings": {"league_visibility": "named"}})
    assert response.status_code == 200
    settings = response.json()["settings"]
    assert (settings["league_visibility"], settings["min_n"]) == ("named", 20)
    assert settings["national_rates"]["esa_new"] == 0.2
    assert settings["national_rates"]["jsa_18_24"] == 0.364
    assert len(settings["national_rates"]) == 9

    [by_admin, by_manager] = audit_entries(db, "contract.update")
    assert by_admin.details == {"fields": "settings.min_n,settings.national_rates",
                                "settings.min_n": 20,
                                "settings.national_rates": "{'esa_new': 0.2}"}
    assert by_manager.actor_user_id == world.user_ids["manager_a"]
    assert by_manager.details == {"fields": "settings.league_visibility",
                                  "settings.league_visibility": "named"}


def test_a_prime_manager_may_not_change_its_tariff_or_the_thresholds_it_is_judged_by(client, db,
                                                                                     world):
    url = f"{API}/contracts/{world.contract_a}"
    manager = world.headers["manager_a"]
    threshold = client.patch(url, headers=manager, json={"settings": {"starvation_ratio": 0.1}})
    assert threshold.status_code == 403
    assert threshold.json() == {"detail": "settings.starvation_ratio: role 'prime_manager' may "
                                          "change only league_k_anonymity, league_visibility, "
                                          "min_performance_index of the settings"}
    tariff = client.patch(url, headers=manager,
                          json={"tariff": [_tariff_row(valid_from="2028-04-01")]})
    assert tariff.status_code == 403
    assert tariff.json() == {
        "detail": "role 'prime_manager' may not change contract tariffs or compliance settings"}
    settings = client.get(url, headers=manager).json()["settings"]
    assert settings["starvation_ratio"] == 0.5
    assert audit_entries(db, "contract.update") == []


def test_a_prime_manager_changes_its_own_milestone_schedule(client, world):
    schedule = {"spell_checks": [{"milestone": "D28", "days": 28}],
                "sustainment_interval_days": 30}
    response = client.patch(f"{API}/contracts/{world.contract_a}",
                            headers=world.headers["manager_a"],
                            json={"milestone_schedule": schedule})
    assert response.status_code == 200
    assert response.json()["milestone_schedule"] == {
        "spell_checks": [{"milestone": "D28", "days": 28, "min_outcome_weeks": None}],
        "sustainment_interval_days": 30}


def test_others_cannot_change_a_contract(client, world):
    url = f"{API}/contracts/{world.contract_a}"
    body = {"settings": {"league_visibility": "named"}}
    outside = client.patch(url, headers=world.headers["manager_b"], json=body)
    assert outside.status_code == 404
    assert outside.json() == {"detail": f"contract {world.contract_a} not found"}
    for who, role in (("s1", "provider_user"), ("inhouse_a", "provider_user"),
                      ("reviewer", "reviewer")):
        response = client.patch(url, headers=world.headers[who], json=body)
        assert response.status_code == 403
        assert response.json() == {"detail": f"role '{role}' may not change contracts"}


def test_tariff_rows_are_appended_as_history_never_overwritten(client, world):
    url = f"{API}/contracts/{world.contract_a}"
    admin = world.headers["admin"]
    added = client.patch(url, headers=admin, json={"tariff": [_tariff_row(
        valid_from="2028-04-01")]})
    assert added.status_code == 200
    assert len(added.json()["tariff"]) == 37
    clash = client.patch(url, headers=admin, json={"tariff": [_tariff_row(
        valid_from="2024-04-01")]})
    assert clash.status_code == 409
    assert clash.json() == {"detail": "tariff[0]: a row for jsa_18_24 from 2024-04-01 exists "
                                      "already; tariff rows are history"}
    twice = client.patch(url, headers=admin, json={"tariff": [
        _tariff_row(valid_from="2028-10-01"), _tariff_row(valid_from="2028-10-01")]})
    assert twice.status_code == 422
    assert twice.json() == {"detail": "tariff[1]: a second row for jsa_18_24 from 2028-10-01"}
    assert len(client.get(url, headers=admin).json()["tariff"]) == 37
