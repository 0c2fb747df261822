"""Complaint tests share the world of tests.world and a few moves through HTTP."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Complaint, Notification
from tests.helpers import API


def raise_complaint(client: TestClient, headers: dict[str, str], contract_id: int,
                    **fields: Any) -> dict[str, Any]:
    payload = {"contract_id": contract_id, "principle": "supply_chain_design",
               "title": "Referrals withheld", "description": "Three referrals in 90 days.",
               "confidential": False, **fields}
    response = client.post(f"{API}/complaints", headers=headers, json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def move(client: TestClient, headers: dict[str, str], complaint_id: str, to: str,
         note: str = "noted", **fields: Any) -> Any:
    return client.post(f"{API}/complaints/{complaint_id}/transitions", headers=headers,
                       json={"to": to, "note": note, **fields})


def moved(client: TestClient, headers: dict[str, str], complaint_id: str, to: str,
          **fields: Any) -> dict[str, Any]:
    response = move(client, headers, complaint_id, to, **fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == to
    return body


def backdate(db: Session, complaint_id: str, days: int) -> None:
    """Move the submission `days` days into the past, so its SLA deadlines have passed."""
    from datetime import timedelta

    db.rollback()
    submitted_at = db.scalar(select(Complaint.submitted_at)
                             .where(Complaint.public_id == complaint_id))
    assert submitted_at is not None
    db.execute(update(Complaint).where(Complaint.public_id == complaint_id)
               .values(submitted_at=submitted_at - timedelta(days=days)))
    db.commit()


def notifications(db: Session, complaint_id: str | None = None) -> list[Notification]:
    db.rollback()  # a fresh snapshot: see what the requests committed
    stmt = select(Notification).order_by(Notification.id)
    if complaint_id is not None:
        stmt = stmt.join(Complaint, Complaint.id == Notification.complaint_id).where(
            Complaint.public_id == complaint_id)
    return list(db.scalars(stmt))
