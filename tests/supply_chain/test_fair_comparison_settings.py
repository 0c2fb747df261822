"""The fair-comparison settings (DOMAIN.md section 10): defaults, validation, admin only."""

import pytest

from tests.helpers import API


def test_a_contract_has_the_fair_comparison_defaults(client, world):
    settings = client.get(f"{API}/contracts/{world.contract_a}",
                          headers=world.headers["admin"]).json()["settings"]
    assert settings["risk_covariates"] == ["age_band", "health_condition", "claim_duration",
                                           "qualification"]
    assert (settings["risk_min_level_n"], settings["od_min_units"],
            settings["flag_rag_basis"]) == (30, 8, "overdispersed")


def test_an_admin_sets_them(client, world):
    response = client.patch(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"],
                            json={"settings": {"risk_covariates": ["area", "age_band"],
                                               "risk_min_level_n": 1, "od_min_units": 2,
                                               "flag_rag_basis": "binomial"}})
    assert response.status_code == 200, response.text
    settings = response.json()["settings"]
    assert settings["risk_covariates"] == ["area", "age_band"]
    assert (settings["risk_min_level_n"], settings["od_min_units"],
            settings["flag_rag_basis"]) == (1, 2, "binomial")
    none = client.patch(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"],
                        json={"settings": {"risk_covariates": []}})
    assert none.json()["settings"]["risk_covariates"] == []  # payment group alone


@pytest.mark.parametrize(("settings", "loc", "message"), [
    ({"risk_covariates": ["postcode"]}, ["risk_covariates"],
     "Value error, 'postcode' is not a characteristic (the known ones: age_band, "
     "health_condition, claim_duration, qualification, area)"),
    ({"risk_covariates": ["area", "area"]}, ["risk_covariates"],
     "Value error, a characteristic is named twice"),
    ({"risk_covariates": "age_band"}, ["risk_covariates"], None),
    ({"risk_min_level_n": 0}, ["risk_min_level_n"], "Input should be greater than or equal to 1"),
    ({"od_min_units": 1}, ["od_min_units"], "Input should be greater than or equal to 2"),
    ({"flag_rag_basis": "poisson"}, ["flag_rag_basis"],
     "Input should be 'overdispersed' or 'binomial'"),
])
def test_invalid_values_are_refused_naming_the_setting(client, world, settings, loc, message):
    response = client.patch(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"],
                            json={"settings": settings})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "settings", *loc]
    if message is not None:
        assert error["msg"] == message


@pytest.mark.parametrize("name", ["risk_covariates", "risk_min_level_n", "od_min_units",
                                  "flag_rag_basis"])
def test_a_prime_manager_may_not_change_them(client, world, name):
    value = {"risk_covariates": ["area"], "risk_min_level_n": 5, "od_min_units": 3,
             "flag_rag_basis": "binomial"}[name]
    response = client.patch(f"{API}/contracts/{world.contract_a}",
                            headers=world.headers["manager_a"], json={"settings": {name: value}})
    assert response.status_code == 403
    assert response.json()["detail"].startswith(f"settings.{name}: role 'prime_manager' may "
                                                "change only")
