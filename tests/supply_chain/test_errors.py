"""Every error is JSON with `detail`; malformed requests get 4xx naming what is wrong, never 500."""

import pytest

from tests.helpers import API

BIG = 2**63  # beyond any key; SQLite cannot even bind it


@pytest.mark.parametrize(("method", "path", "field"), [
    ("GET", "/organisations/{big}", "org_id"),
    ("GET", "/contracts/{big}", "contract_id"),
    ("GET", "/contracts/abc", "contract_id"),
    ("GET", "/contracts/0", "contract_id"),
    ("GET", "/contracts/1/members/{big}", "provider_id"),
    ("GET", "/contracts/{big}/payments", "contract_id"),
])
def test_path_ids_out_of_range_or_not_numbers_are_422_naming_the_parameter(
        client, admin, method, path, field):
    url = API + path.format(big=BIG)
    response = client.request(method, url, headers=admin, json={"paid_date": "2026-01-01"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["path", field]]


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b"null", b'"a string"', b'{"name": null, "kind": 1, "sector": []}',
    b'{"name": "' + b"x" * 100_000 + b'"}',
])
def test_malformed_bodies_get_422_json(client, admin, body):
    for path in ("/organisations", "/contracts", "/contracts/1/members", "/contracts/1/payments",
                 "/contracts/1/members/2/status", "/contracts/1/payments/1/paid", "/api-keys",
                 "/users"):
        response = client.post(f"{API}{path}", headers={**admin,
                                                        "Content-Type": "application/json"},
                               content=body)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]


def test_references_to_records_that_do_not_exist_are_4xx(client, world):
    admin = world.headers["admin"]
    member = client.post(f"{API}/contracts/{world.contract_a}/members", headers=admin,
                         json={"provider_id": 2**31 - 1, "tier": 2, "contracted_share": "0.1"})
    assert member.status_code == 422
    assert member.json() == {"detail": f"provider_id: {2**31 - 1} is not a provider organisation"}
    status = client.post(f"{API}/contracts/999/members/{world.s1}/status", headers=admin,
                         json={"status": "suspended", "reason": "x"})
    assert status.status_code == 404
    assert status.json() == {"detail": "contract 999 not found"}
    assert client.get(f"{API}/organisations/424242", headers=admin).json() == {
        "detail": "organisation 424242 not found"}


def test_unknown_routes_and_methods_answer_json(client, world):
    missing = client.get(f"{API}/nothing-here", headers=world.headers["admin"])
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = client.put(f"{API}/organisations", headers=world.headers["admin"], json={})
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})


@pytest.mark.parametrize(("path", "body", "loc"), [
    # JSON's NaN/Infinity extensions: refused, and the refusal is itself valid JSON.
    ("/contracts/1", b'{"settings": {"starvation_ratio": NaN}}',
     ["body", "settings", "starvation_ratio"]),
    ("/contracts/1", b'{"settings": {"national_rates": {"esa_new": Infinity}}}',
     ["body", "settings", "national_rates", "esa_new"]),
    ("/contracts/1/payments", b'{"provider_id": 2, "invoice_date": "2026-01-01", "amount": NaN}',
     ["body", "amount"]),
    ("/contracts/1/members", b'{"provider_id": NaN, "tier": 2, "contracted_share": "0.1"}',
     ["body", "provider_id"]),
    ("/api-keys", b'{"name": "k", "organisation_id": -Infinity}', ["body", "organisation_id"]),
])
def test_non_finite_numbers_are_422_naming_the_field(client, admin, path, body, loc):
    method = "PATCH" if path == "/contracts/1" else "POST"
    response = client.request(method, f"{API}{path}", content=body,
                              headers={**admin, "Content-Type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == loc


@pytest.mark.parametrize(("path", "payload", "loc"), [
    # Dates beyond what date arithmetic downstream (contract years, terms) can hold.
    ("/contracts", {"prime_id": 1, "cpa_code": "X", "cpa_name": "Y", "start_date": "9999-01-01",
                    "end_date": "2029-12-31"}, ["body", "start_date"]),
    ("/contracts/1/payments", {"provider_id": 2, "invoice_date": "9999-12-31", "amount": "1"},
     ["body", "invoice_date"]),
    ("/contracts/1/members/2/status", {"status": "suspended", "reason": "x",
                                       "effective_date": "0001-01-01"}, ["body", "effective_date"]),
])
def test_dates_outside_the_programmes_range_are_422(client, admin, path, payload, loc):
    response = client.post(f"{API}{path}", headers=admin, json=payload)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [loc]
