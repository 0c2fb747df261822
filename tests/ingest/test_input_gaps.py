"""Issue 13, finding 10: input gaps. Dates before the contract's start or before the floor
that every input date shares; National Insurance numbers by HMRC's prefix rules, found inside a
longer reference too; strict booleans in every request body."""

from datetime import timedelta
from typing import Any

import pytest

from app.auth.schemas import StrictInput
from app.core.dates import EARLIEST_DATE
from app.ingest.nino import contains_nino
from tests.complaints.conftest import raise_complaint
from tests.helpers import API
from tests.ingest.events import ev

NINO_MESSAGE = ("participant_ref: looks like a National Insurance number; send a pseudonymous "
                "reference, never a NINO")
BEFORE_FLOOR = (EARLIEST_DATE - timedelta(days=1)).isoformat()


def post(client, world, events, partial=False, who="s1"):
    url = f"{API}/events" + ("?partial=true" if partial else "")
    return client.post(url, json=events, headers=world.keys[who])


def referral(world, ref, day):
    return ev(world.contract_a, ref, "referral", day, payment_group="jsa_ex_ib",
              provider_id=world.s1)


def errors_of(response) -> list[str]:
    return [e for rejection in response.json()["rejected"] for e in rejection["errors"]]


# -- dates ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("day", "reason"), [
    ("0001-01-01", f"before {EARLIEST_DATE}, the earliest date"),
    (BEFORE_FLOOR, f"before {EARLIEST_DATE}, the earliest date"),
    ("2023-12-31", "2023-12-31 is before the contract's start on 2024-01-01"),
])
def test_a_referral_before_the_contracts_start_is_refused(client, world, day, reason):
    # contract A starts on 2024-01-01; before the floor, the schema refuses it first
    response = post(client, world, [referral(world, "R-early", day)])
    assert response.status_code == 422, response.text
    rejected = response.json()["rejected"]
    assert [r["index"] for r in rejected] == [0]
    assert any(e.startswith("event_date: ") and reason in e
               for e in rejected[0]["errors"]), rejected


def test_a_referral_on_the_contracts_start_is_accepted(client, world):
    response = post(client, world, [referral(world, "R-first-day", "2024-01-01")])
    assert response.status_code == 200, response.text


def test_every_event_before_the_contracts_start_is_refused_with_its_index(client, world):
    # A referral in time and an event of its history dated before the start: the event is
    # named with its index and the contract's rule.
    good = referral(world, "R-mixed", "2024-01-02")
    early = ev(world.contract_a, "R-mixed", "attachment", "2023-06-01")
    response = post(client, world, [good, early])
    assert response.status_code == 422
    rejected = response.json()["rejected"]
    assert [r["index"] for r in rejected] == [1]
    assert "event_date: 2023-06-01 is before the contract's start on 2024-01-01" in \
        rejected[0]["errors"]


def test_a_csv_row_before_the_contracts_start_names_its_line(client, world):
    csv = ("event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id\n"
           f"c-ok,{world.contract_a},R-csv-1,referral,2024-02-01,jsa_ex_ib,{world.s1}\n"
           f"c-old,{world.contract_a},R-csv-2,referral,2023-12-31,jsa_ex_ib,{world.s1}\n"
           f"c-older,{world.contract_a},R-csv-3,referral,0001-01-01,jsa_ex_ib,{world.s1}\n")
    response = client.post(f"{API}/events/csv", headers=world.keys["s1"],
                           files={"file": ("events.csv", csv, "text/csv")})
    assert response.status_code == 422, response.text
    rejected = response.json()["rejected"]
    assert [(r["index"], r["line"]) for r in rejected] == [(1, 3), (2, 4)]
    assert rejected[0]["errors"] == [
        "event_date: 2023-12-31 is before the contract's start on 2024-01-01"]
    assert rejected[1]["errors"][0].startswith("event_date: ")
    assert str(EARLIEST_DATE) in rejected[1]["errors"][0]


def test_reported_at_before_the_floor_is_refused(client, world):
    event = {**referral(world, "R-backfill", "2024-02-01"),
             "reported_at": f"{BEFORE_FLOOR}T09:00:00Z"}
    response = client.post(f"{API}/events", json=[event], headers=world.headers["admin"])
    assert response.status_code == 422
    assert any(e.startswith("reported_at: ") for e in errors_of(response)), response.text


def _contract(world: Any, **dates: str) -> dict[str, Any]:
    return {"prime_id": world.prime_a, "cpa_code": "CPA99", "cpa_name": "Floor test",
            "start_date": "2024-01-01", "end_date": "2029-12-31", **dates}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/contracts", lambda w: _contract(w, start_date=BEFORE_FLOOR), "start_date"),
    ("/contracts", lambda w: _contract(w, start_date="0001-01-01"), "start_date"),
    ("/contracts/{contract_a}/payments",
     lambda w: {"provider_id": w.s1, "invoice_date": BEFORE_FLOOR, "amount": "10.00"},
     "invoice_date"),
    ("/contracts/{contract_a}/members/{s2}/status",
     lambda w: {"status": "on_improvement_plan", "reason": "r", "effective_date": "0001-01-01"},
     "effective_date"),
])
def test_dates_before_the_floor_are_refused_everywhere(client, world, path, body, field):
    url = API + path.format(contract_a=world.contract_a, s2=world.s2)
    response = client.post(url, json=body(world), headers=world.headers["admin"])
    assert response.status_code == 422, response.text
    assert field in response.text and EARLIEST_DATE.isoformat() in response.text


# -- National Insurance numbers ------------------------------------------------------------------
REFUSED_REFS = ["NIAB123456C", "P-AB123456C", "ab123456c", "AB123456D", "AB-12-34-56-C",
                "ref_ce_12_34_56_a_x", "xx-AB 12 34 56 C-1"]
ACCEPTED_REFS = [
    "NW-000123", "NW000123", "P0001234",
    # invalid first letters (D F I Q U V), second letters (D F I O Q U V), unallocated prefixes
    "DA123456A", "FA123456A", "IA123456A", "QQ123456C", "UA123456A", "VA123456A",
    "AD123456A", "AF123456A", "AI123456A", "AO123456A", "AQ123456A", "AU123456A", "AV123456A",
    "BG123456A", "GB123456A", "KN123456A", "NK123456A", "NT123456A", "TN123456A", "ZZ123456A",
    # a suffix other than A-D
    "AB123456E", "AB123456"]


@pytest.mark.parametrize("ref", REFUSED_REFS)
def test_a_reference_holding_a_nino_is_refused(client, world, ref):
    response = post(client, world, [referral(world, ref, "2024-02-01")])
    assert response.status_code == 422, response.text
    assert errors_of(response) == [NINO_MESSAGE]


@pytest.mark.parametrize("ref", ["NIAB123456C", "P-AB123456C", "ab123456c"])
def test_a_csv_reference_holding_a_nino_is_refused(client, world, ref):
    csv = ("event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id\n"
           f"n-1,{world.contract_a},{ref},referral,2024-02-01,jsa_ex_ib,{world.s1}\n")
    response = client.post(f"{API}/events/csv", headers=world.keys["s1"],
                           files={"file": ("events.csv", csv, "text/csv")})
    assert response.status_code == 422, response.text
    assert errors_of(response) == [NINO_MESSAGE]


@pytest.mark.parametrize("ref", [r for r in ACCEPTED_REFS if " " not in r])
def test_a_reference_without_a_valid_nino_is_accepted(client, world, ref):
    response = post(client, world, [referral(world, ref, "2024-02-01")])
    assert response.status_code == 200, response.text


def test_the_nino_rule_in_one_function():
    assert all(contains_nino(ref) for ref in REFUSED_REFS)
    assert not any(contains_nino(ref) for ref in ACCEPTED_REFS)
    assert contains_nino("AB 12 34 56 C")  # the printed form, spaces and all


# -- strict booleans -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", "0", None])
def test_a_complaint_takes_only_a_json_boolean_as_confidential(client, world, value):
    body = {"contract_id": world.contract_a, "principle": "conduct", "title": "t",
            "description": "d", "confidential": value}
    response = client.post(f"{API}/complaints", json=body, headers=world.keys["s1"])
    assert response.status_code == 422, response.text
    assert "confidential" in response.text


@pytest.mark.parametrize("value", [0, "false", "no"])
def test_lifting_confidentiality_takes_only_false(client, world, value):
    complaint = raise_complaint(client, world.keys["s1"], world.contract_a, confidential=True)
    url = f"{API}/complaints/{complaint['id']}/confidentiality"
    response = client.post(url, json={"confidential": value}, headers=world.keys["s1"])
    assert response.status_code == 422, response.text
    answer = client.get(f"{API}/complaints/{complaint['id']}", headers=world.keys["s1"])
    assert answer.json()["confidential"] is True


def _input_models() -> list[type[StrictInput]]:
    import app.api  # noqa: F401  (imports every router, so every request body)

    found, todo = [], list(StrictInput.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return found


def test_every_boolean_of_every_request_body_is_strict():
    models = _input_models()
    assert len(models) > 10
    for model in models:
        for name, info in model.model_fields.items():
            if info.annotation in (bool, bool | None):
                assert any(getattr(m, "strict", False) for m in info.metadata), \
                    f"{model.__name__}.{name} is a bool that takes 0, 1 and 'true'"


def test_a_plain_bool_in_a_new_request_body_is_refused_at_import():
    with pytest.raises(TypeError, match="StrictBool"):
        type("Careless", (StrictInput,), {"__annotations__": {"flag": bool}, "flag": False})
