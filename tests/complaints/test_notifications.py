"""The notification outbox and its sender: who is told of what, delivery through a real SMTP
server (aiosmtpd, started here), the log when no server is configured, failures retried."""

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from typer.testing import CliRunner

from app.cli import cli
from app.complaints.notifications import send_pending
from app.core.config import Settings
from app.models import Notification
from tests.complaints.conftest import backdate, moved, notifications, raise_complaint


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _settings(**smtp: Any) -> Settings:
    return Settings(environment="test", smtp_from="complaints@chainboard.test", **smtp)


def test_each_change_tells_the_other_parties(client, db, world):
    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    moved(client, world.headers["manager_a"], cid, "acknowledged")
    # Ten days ago: acknowledged late (5 working days), still within resolution's 20.
    backdate(db, cid, 10)
    moved(client, world.headers["s1"], cid, "escalated")
    moved(client, world.headers["reviewer"], cid, "triaged", triage="commercial")
    told = [(n.kind, n.subject.split(": ", 1)[1], n.recipient_org_id)
            for n in notifications(db, cid)]
    assert told == [
        ("complaint.transition", "raised by the complainant", world.prime_a),
        ("complaint.transition", "submitted -> acknowledged by the prime", world.s1),
        ("complaint.transition", "acknowledged -> escalated by the complainant", world.prime_a),
        ("complaint.transition", "acknowledged -> escalated by the complainant",
         world.reviewer_org),
        # Escalating recorded the breach it relied on: everyone concerned hears of it once.
        ("complaint.acknowledgement_breach", "acknowledgement SLA breached", world.s1),
        ("complaint.acknowledgement_breach", "acknowledgement SLA breached", world.prime_a),
        ("complaint.acknowledgement_breach", "acknowledgement SLA breached", world.reviewer_org),
        ("complaint.transition", "escalated -> triaged by the reviewer", world.s1),
        ("complaint.transition", "escalated -> triaged by the reviewer", world.prime_a),
    ]
    triaged = notifications(db, cid)[-1]
    assert "Decision: commercial" in triaged.body and "Note: noted" in triaged.body


def test_the_sender_emails_through_smtp(client, db, world, smtp_server):
    inbox, port = smtp_server
    runner = CliRunner()
    result = runner.invoke(cli, ["notification-address", "--org", str(world.prime_a),
                                 "--email", "complaints@prime-a.test"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(cli, ["notification-address", "--org", str(world.s1), "--email", "nope"])
    assert bad.exit_code == 2 and "email: not an e-mail address" in bad.output
    cid = raise_complaint(client, world.headers["s1"], world.contract_a,
                          title="Referrals withheld since March")["id"]
    moved(client, world.headers["manager_a"], cid, "acknowledged")  # to S1: no address

    report = send_pending(db, _settings(smtp_host="127.0.0.1", smtp_port=port))

    assert (report.emailed, report.logged, report.failed) == (1, 1, 0)
    [envelope] = inbox.messages
    assert envelope.mail_from == "complaints@chainboard.test"
    assert envelope.rcpt_tos == ["complaints@prime-a.test"]
    text = envelope.content.decode()
    assert f"Subject: Complaint #{cid}: raised by the complainant" in text
    assert "Referrals withheld since March" in text
    rows = notifications(db, cid)
    assert all(n.sent_at is not None and n.attempts == 1 and n.last_error is None for n in rows)
    assert send_pending(db, _settings(smtp_host="127.0.0.1", smtp_port=port)).emailed == 0


def test_a_failed_send_is_kept_with_its_error_and_retried_until_the_limit(client, db, world):
    runner = CliRunner()
    runner.invoke(cli, ["notification-address", "--org", str(world.prime_a),
                        "--email", "complaints@prime-a.test"])
    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    dead = _settings(smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_max_attempts=2,
                     smtp_timeout_seconds=2)
    assert send_pending(db, dead).failed == 1
    [row] = notifications(db, cid)
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert send_pending(db, dead).failed == 1
    assert send_pending(db, dead).failed == 0  # two attempts: left for an operator
    [row] = notifications(db, cid)
    assert (row.sent_at, row.attempts) == (None, 2)


def test_without_smtp_notifications_are_logged_and_marked_sent(client, db, world, caplog):
    cid = raise_complaint(client, world.headers["s1"], world.contract_a,
                          title="Unpaid invoice")["id"]
    with caplog.at_level(logging.INFO, logger="chainboard.notifications"):
        result = CliRunner().invoke(cli, ["send-notifications"])
    assert result.exit_code == 0, result.output
    assert "0 e-mailed, 1 logged, 0 failed" in result.output
    [row] = notifications(db, cid)
    assert row.sent_at is not None
    assert any("Unpaid invoice" in record.getMessage() for record in caplog.records)


def test_the_sweep_command_reports_new_breaches_once(client, db, world):
    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    db.execute(update(Notification).values(sent_at=Notification.created_at))
    db.commit()
    backdate(db, cid, 60)
    first = CliRunner().invoke(cli, ["complaints-sweep"])
    assert first.exit_code == 0, first.output
    assert f"complaint {cid}: acknowledgement SLA breached" in first.output
    assert f"complaint {cid}: resolution SLA breached" in first.output
    again = CliRunner().invoke(cli, ["complaints-sweep"])
    assert "0 new SLA breach(es) recorded" in again.output
    assert len([n for n in notifications(db, cid) if n.kind.endswith("_breach")]) == 4
