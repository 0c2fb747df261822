"""The notification outbox: rows are inserted in the transaction that causes them, and a sender
(`chainboard send-notifications`) delivers the unsent ones later, so a slow or absent mail server
never holds up or undoes a complaint's change.

Delivery: by SMTP (stdlib smtplib) when SMTP_HOST is set and the recipient organisation has a
notification address; otherwise the notification is written to the log and marked sent. A
failed send counts an attempt and keeps the error; after SMTP_MAX_ATTEMPTS it is left alone.
"""

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.timeutil import utcnow
from app.models import Notification, NotificationAddress

log = logging.getLogger("chainboard.notifications")


def queue_notification(session: Session, *, kind: str, recipient_org_id: int, subject: str,
                       body: str, complaint_id: int | None, now: datetime) -> Notification:
    address = session.get(NotificationAddress, recipient_org_id)
    notification = Notification(
        kind=kind, recipient_org_id=recipient_org_id,
        recipient_address=address.email if address else None, subject=subject[:200], body=body,
        complaint_id=complaint_id, created_at=now, attempts=0)
    session.add(notification)
    return notification


def set_notification_address(session: Session, organisation_id: int, email: str) -> None:
    """The operator's command (`chainboard notification-address`); replaces any earlier one."""
    address = session.get(NotificationAddress, organisation_id)
    if address is None:
        session.add(NotificationAddress(organisation_id=organisation_id, email=email))
    else:
        address.email = email
        address.updated_at = utcnow()
    session.commit()


@dataclass
class SendReport:
    emailed: int = 0
    logged: int = 0
    failed: int = 0


def _email(settings: Settings, notification: Notification) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = notification.recipient_address
    message["Subject"] = notification.subject
    message.set_content(notification.body)
    return message


def _smtp(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host is not None
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                        timeout=settings.smtp_timeout_seconds)
    if settings.smtp_starttls:
        smtp.starttls()
    if settings.smtp_username:
        smtp.login(settings.smtp_username, settings.smtp_password or "")
    return smtp


def send_pending(session: Session, settings: Settings, limit: int = 500) -> SendReport:
    """Deliver up to `limit` unsent notifications, oldest first; commits each outcome."""
    report = SendReport()
    pending = list(session.scalars(
        select(Notification)
        .where(Notification.sent_at.is_(None),
               Notification.attempts < settings.smtp_max_attempts)
        .order_by(Notification.id).limit(limit)))
    session.commit()  # end the read: each outcome's write begins afresh (with the lock, on SQLite)
    smtp: smtplib.SMTP | None = None
    try:
        for notification in pending:
            notification.attempts += 1
            if settings.smtp_host is None or notification.recipient_address is None:
                log.info("notification %s to organisation %s (%s): %s\n%s", notification.id,
                         notification.recipient_org_id,
                         notification.recipient_address or "no address",
                         notification.subject, notification.body)
                notification.sent_at = utcnow()
                report.logged += 1
            else:
                try:
                    smtp = smtp or _smtp(settings)
                    smtp.send_message(_email(settings, notification))
                except (smtplib.SMTPException, OSError) as exc:
                    notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    report.failed += 1
                    if smtp is not None:  # reconnect for the next one: it may be broken
                        smtp.close()
                    smtp = None
                else:
                    notification.sent_at = utcnow()
                    notification.last_error = None
                    report.emailed += 1
            session.commit()
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    return report
