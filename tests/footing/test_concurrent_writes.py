"""Writers of different kinds at once on SQLite: each waits its turn for the write lock (the
busy timeout) instead of answering 503 "database is locked" (issue 13, finding 9)."""

import threading
from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from app.models import ApiKey, Complaint, ComplaintEntry, Organisation, Payment
from tests.footing.served import served
from tests.helpers import API

WRITES = 20


def test_four_clients_writing_different_records_at_once_all_succeed_on_sqlite(
        engine, client, world, db, tmp_path):
    """Four clients, started together, each send 20 writes of one kind (organisations, API
    keys, payments, complaint messages) to a served app: every answer is 2xx, and every write
    is stored exactly once."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single writer; PostgreSQL writers do not wait for each other here")
    admin, manager, s1 = world.keys["admin"], world.keys["manager_a"], world.keys["s1"]
    signed_in_admin = world.headers["admin"]  # API keys are created by signed-in users
    response = client.post(f"{API}/complaints", headers=s1, json={
        "contract_id": world.contract_a, "principle": "commitment", "title": "Busy",
        "description": "Invoice unpaid for 60 days.", "confidential": False})
    assert response.status_code == 201, response.text
    complaint = response.json()["id"]
    invoice = date.today() - timedelta(days=10)

    def organisation(n: int) -> tuple[str, dict[str, str], dict]:
        return "/organisations", admin, {"name": f"Busy Org {n:02d}", "kind": "subcontractor",
                                         "sector": "third"}

    def key(n: int) -> tuple[str, dict[str, str], dict]:
        return "/api-keys", signed_in_admin, {
            "name": f"busy key {n:02d}", "organisation_id": world.s2, "role": "provider_user"}

    def payment(n: int) -> tuple[str, dict[str, str], dict]:
        return (f"/contracts/{world.contract_a}/payments", manager,
                {"provider_id": world.s2, "invoice_date": invoice.isoformat(),
                 "amount": f"{7000 + n}.25"})

    def message(n: int) -> tuple[str, dict[str, str], dict]:
        return f"/complaints/{complaint}/messages", s1, {"body": f"busy message {n:02d}"}

    kinds = [organisation, key, payment, message]
    answers: list[tuple[str, int, str]] = []
    start = threading.Barrier(len(kinds))

    def run_client(make: Callable[[int], tuple[str, dict[str, str], dict]],
                   base_url: str) -> None:
        with httpx.Client(base_url=f"{base_url}{API}", timeout=120) as http:
            start.wait(30)
            for n in range(WRITES):
                path, headers, body = make(n)
                response = http.post(path, headers=headers, json=body)
                answers.append((path, response.status_code, response.text[:200]))

    with served(tmp_path / "server.log", workers=1) as server:
        threads = [threading.Thread(target=run_client, args=(make, server.base_url))
                   for make in kinds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    failed = [answer for answer in answers if not 200 <= answer[1] < 300]
    assert len(answers) == len(kinds) * WRITES
    busy = sum(1 for answer in failed if answer[1] == 503)
    assert not failed, f"{len(failed)} of {len(answers)} failed ({busy} 503): {failed[:3]}"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Organisation)
                     .where(Organisation.name.like("Busy Org %"))) == WRITES
    assert db.scalar(select(func.count()).select_from(ApiKey)
                     .where(ApiKey.name.like("busy key %"))) == WRITES
    amounts = list(db.scalars(select(Payment.amount).where(Payment.amount >= 7000)))
    assert sorted(int(a) for a in amounts) == list(range(7000, 7000 + WRITES))
    bodies = list(db.scalars(select(ComplaintEntry.body).join(Complaint)
                             .where(Complaint.public_id == complaint,
                                    ComplaintEntry.body.like("busy message %"))))
    assert sorted(bodies) == [f"busy message {n:02d}" for n in range(WRITES)]
