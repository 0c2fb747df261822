"""Payments from a prime to its members (Merlin COM-1 evidence): recording, marking paid, and
who sees which."""

from datetime import date, timedelta
from decimal import Decimal

from app.core.timeutil import today
from tests.helpers import API, audit_entries, page_through, record_payment


def _payments_url(contract_id: int) -> str:
    return f"{API}/contracts/{contract_id}/payments"


def test_a_prime_manager_records_a_payment_with_the_contracts_terms(client, db, world):
    body = record_payment(client, world.headers["manager_a"], world.contract_a, world.s1,
                          invoice_date=date(2026, 9, 30), amount="18450.50")
    assert body == {"id": body["id"], "contract_id": world.contract_a, "provider_id": world.s1,
                    "invoice_date": "2026-09-30", "amount": body["amount"], "paid_date": None,
                    "terms_days": 30}
    assert Decimal(body["amount"]) == Decimal("18450.50")
    explicit = record_payment(client, world.headers["manager_a"], world.contract_a, world.s2,
                              paid_date="2026-02-10", terms_days=14)
    assert (explicit["paid_date"], explicit["terms_days"]) == ("2026-02-10", 14)

    [first, second] = audit_entries(db, "payment.record")
    assert first.entity_id == body["id"]
    assert first.actor_user_id == world.user_ids["manager_a"]
    assert first.details["amount"] == "18450.50"
    assert second.details["paid_date"] == "2026-02-10"


def test_a_payment_cannot_be_paid_before_its_invoice_or_in_the_future(client, db, world):
    manager = world.headers["manager_a"]
    early = client.post(_payments_url(world.contract_a), headers=manager, json={
        "provider_id": world.s1, "invoice_date": "2026-03-31", "amount": "10.00",
        "paid_date": "2026-03-30"})
    assert early.status_code == 422
    [error] = early.json()["detail"]
    assert error["loc"] == ["body", "paid_date"]
    assert error["msg"] == "Value error, before invoice_date (2026-03-31)"

    tomorrow = today() + timedelta(days=1)
    future = client.post(_payments_url(world.contract_a), headers=manager, json={
        "provider_id": world.s1, "invoice_date": "2026-03-31", "amount": "10.00",
        "paid_date": tomorrow.isoformat()})
    assert future.status_code == 422
    assert future.json() == {"detail": f"paid_date: {tomorrow} is in the future"}
    assert audit_entries(db, "payment.record") == []


def test_invalid_payments_are_refused_naming_the_field(client, world):
    manager = world.headers["manager_a"]
    base = {"provider_id": world.s1, "invoice_date": "2026-03-31", "amount": "10.00"}
    for change, field in (({"amount": "-1"}, "amount"), ({"amount": "1.234"}, "amount"),
                          ({"invoice_date": "31/03/2026"}, "invoice_date"),
                          ({"terms_days": -1}, "terms_days"),
                          ({"provider_id": 2**31}, "provider_id")):
        response = client.post(_payments_url(world.contract_a), headers=manager,
                               json={**base, **change})
        assert response.status_code == 422, change
        assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    not_member = client.post(_payments_url(world.contract_a), headers=manager,
                             json={**base, "provider_id": world.sb})
    assert not_member.status_code == 422
    assert not_member.json() == {
        "detail": f"provider_id: {world.sb} is not a member of contract {world.contract_a}"}


def test_marking_a_payment_paid_happens_once_and_not_before_the_invoice(client, db, world):
    manager = world.headers["manager_a"]
    payment = record_payment(client, manager, world.contract_a, world.s1,
                             invoice_date=date(2026, 6, 30))
    url = f"{_payments_url(world.contract_a)}/{payment['id']}/paid"
    early = client.post(url, headers=manager, json={"paid_date": "2026-06-29"})
    assert early.status_code == 422
    assert early.json() == {"detail": "paid_date: before invoice_date (2026-06-30)"}
    paid = client.post(url, headers=manager, json={"paid_date": "2026-08-15"})
    assert paid.status_code == 200
    assert paid.json()["paid_date"] == "2026-08-15"
    again = client.post(url, headers=manager, json={"paid_date": "2026-08-16"})
    assert again.status_code == 409
    assert again.json() == {
        "detail": f"paid_date: payment {payment['id']} was already paid on 2026-08-15"}
    listed = client.get(_payments_url(world.contract_a), headers=manager).json()["rows"]
    assert [row["paid_date"] for row in listed] == ["2026-08-15"]
    [entry] = audit_entries(db, "payment.paid")
    assert (entry.entity_id, entry.details["paid_date"]) == (payment["id"], "2026-08-15")


def test_each_role_lists_only_the_payments_in_its_scope(client, world):
    manager = world.headers["manager_a"]
    to_s1 = record_payment(client, manager, world.contract_a, world.s1)["id"]
    to_s2 = record_payment(client, manager, world.contract_a, world.s2)["id"]
    to_sb = record_payment(client, world.headers["manager_b"], world.contract_b, world.sb)["id"]

    def listed(who: str, contract_id: int, **params: object) -> set[int]:
        response = client.get(_payments_url(contract_id), headers=world.headers[who],
                              params=params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["rows"]}

    assert listed("manager_a", world.contract_a) == {to_s1, to_s2}
    assert listed("manager_a", world.contract_a, provider_id=world.s2) == {to_s2}
    assert listed("admin", world.contract_a) == {to_s1, to_s2}
    assert listed("reviewer", world.contract_b) == {to_sb}
    assert listed("s1", world.contract_a) == {to_s1}
    assert listed("s1", world.contract_a, provider_id=world.s2) == set()
    assert listed("s2", world.contract_a) == {to_s2}
    assert listed("inhouse_a", world.contract_a) == set()
    for who, contract in (("manager_b", world.contract_a), ("s1", world.contract_b),
                          ("sb", world.contract_a)):
        response = client.get(_payments_url(contract), headers=world.headers[who])
        assert response.status_code == 404
        assert response.json() == {"detail": f"contract {contract} not found"}


def test_only_the_contracts_prime_manager_or_an_admin_records_payments(client, db, world):
    payment = record_payment(client, world.headers["manager_a"], world.contract_a, world.s1)
    body = {"provider_id": world.s1, "invoice_date": "2026-03-31", "amount": "10.00"}
    paid_url = f"{_payments_url(world.contract_a)}/{payment['id']}/paid"
    for who, role in (("s1", "provider_user"), ("reviewer", "reviewer")):
        response = client.post(_payments_url(world.contract_a), headers=world.headers[who],
                               json=body)
        assert response.status_code == 403
        assert response.json() == {"detail": f"role '{role}' may not record payments"}
        mark = client.post(paid_url, headers=world.headers[who], json={"paid_date": "2026-04-01"})
        assert mark.status_code == 403
    outside = client.post(_payments_url(world.contract_a), headers=world.headers["manager_b"],
                          json=body)
    assert outside.status_code == 404
    assert client.post(paid_url, headers=world.headers["manager_b"],
                       json={"paid_date": "2026-04-01"}).status_code == 404
    # A payment id of another contract answers 404 under this one.
    elsewhere = client.post(f"{_payments_url(world.contract_b)}/{payment['id']}/paid",
                            headers=world.headers["admin"], json={"paid_date": "2026-04-01"})
    assert elsewhere.status_code == 404
    assert elsewhere.json() == {"detail": f"payment {payment['id']} not found"}
    assert len(audit_entries(db, "payment.record")) == 1
    assert audit_entries(db, "payment.paid") == []


def test_payments_page_with_a_cursor(client, world):
    ids = [record_payment(client, world.headers["manager_a"], world.contract_a, world.s1,
                          amount=f"{100 + n}.00")["id"] for n in range(5)]
    pages = page_through(client, _payments_url(world.contract_a), world.headers["s1"], limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row["id"] for page in pages for row in page] == ids
