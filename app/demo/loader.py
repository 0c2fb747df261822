"""Loads a generated CPA (app.demo.generator) through the services, as people would enter it:
the set-up by an admin, the participants' events as an admin's backfill of what the providers
reported (with `reported_at`, so data timeliness means something), then the prime manager's
status changes, the complaints (app.demo.complaints) and the payments.

Idempotent: the payments are written last, so a contract with the demo's `cpa_code` and
payments is complete and is left alone. A load that stopped part-way resumes: the set-up
reuses what exists and events already stored count as duplicates.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import Principal
from app.auth.schemas import UserCreate
from app.auth.service import create_user
from app.compliance.service import recompute_flags
from app.demo.complaints import load_demo_complaints
from app.demo.generator import DemoCPA
from app.demo.progress import progress_bar
from app.demo.regime import load_demo_regime
from app.ingest.service import ingest_events
from app.models import Contract, Membership, Organisation, Payment, User
from app.models.auth import Role
from app.supply_chain import schemas
from app.supply_chain.service import (
    add_member,
    change_member_status,
    create_contract,
    create_organisation,
    name_key,
    record_payment,
)

BATCH_EVENTS = 5_000
ADMIN = Principal(role="admin", organisation_id=None)


@dataclass(frozen=True)
class DemoIds:
    """Database ids of a loaded CPA's set-up."""

    contract_id: int
    organisations: dict[int, int]  # the generator's placeholder id -> database id
    users: dict[str, int]  # username -> user id


@dataclass
class LoadSummary:
    contract_id: int
    loaded: bool  # False: the demo was there already and nothing changed
    participants: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    complaints: int = 0


def load_demo(session_factory: sessionmaker[Session], cpa: DemoCPA,
              progress: bool = True) -> LoadSummary:
    with session_factory() as session:
        contract_id = session.scalar(select(Contract.id).where(Contract.cpa_code == cpa.cpa_code))
        if contract_id is not None and session.scalar(
                select(Payment.id).where(Payment.contract_id == contract_id).limit(1)):
            return LoadSummary(contract_id=contract_id, loaded=False)

    ids = set_up(session_factory, cpa)
    summary = LoadSummary(contract_id=ids.contract_id, loaded=True)
    admin = _principal(cpa, ids, "admin")
    with progress_bar(progress, cpa.participants, "loading participants") as advance:
        for batch, participants in event_batches(cpa, ids, backfill=True):
            with session_factory() as session:
                # Partial: one invalid event should not drop the 5,000 valid ones around it.
                result = ingest_events(session, admin, batch, partial=True)
            summary.participants += participants
            summary.accepted += result.accepted
            summary.duplicates += result.duplicates
            summary.rejected += result.rejected
            advance(participants)

    summary.complaints = finish_demo(session_factory, cpa, ids)
    return summary


def finish_demo(session_factory: sessionmaker[Session], cpa: DemoCPA, ids: DemoIds) -> int:
    """What the demo holds beyond its participants' events: the members' status changes, the
    complaints, the payments and the compliance flags (bench/dashboard.py adds them to its copy
    of a database built from the events alone). Returns how many complaints were raised."""
    manager = _principal(cpa, ids, "prime_manager")
    with session_factory() as session:
        for change in cpa.status_changes:
            provider_id = ids.organisations[change.provider_key]
            status = session.scalar(select(Membership.status).where(
                Membership.contract_id == ids.contract_id, Membership.provider_id == provider_id))
            if status != change.status:
                change_member_status(session, manager, ids.contract_id, provider_id,
                                     schemas.StatusChangeIn(status=change.status,
                                                            reason=change.reason,
                                                            effective_date=change.effective_date))
    # Before the payments, which mark a complete load (the complaints skip themselves if there).
    complaints = load_demo_complaints(session_factory, cpa, ids.contract_id,
                                      ids.organisations, ids.users)
    plan_member = next(u for u in cpa.users if u.role == "provider_user"
                       and u.organisation_key == cpa.improvement_plan_key)
    load_demo_regime(session_factory, ids.contract_id, manager, Principal(
        role="provider_user", organisation_id=ids.organisations[cpa.improvement_plan_key],
        user_id=ids.users[plan_member.username], username=plan_member.username),
        ids.organisations[cpa.best_tier1_key])
    with session_factory() as session:
        for payment in cpa.payments:
            record_payment(session, manager, ids.contract_id, schemas.PaymentCreate(
                provider_id=ids.organisations[payment.provider_key],
                invoice_date=payment.invoice_date, amount=payment.amount,
                paid_date=payment.paid_date, terms_days=payment.terms_days))
        # Every rule once over the loaded contract, so the flags page has them at once.
        recompute_flags(session, ids.contract_id)
    return complaints


def set_up(session_factory: sessionmaker[Session], cpa: DemoCPA) -> DemoIds:
    """Organisations, contract, members and users, reusing any that exist already."""
    with session_factory() as session:
        organisations = {}
        for org in cpa.organisations:
            org_id = session.scalar(select(Organisation.id).where(
                Organisation.name_key == name_key(org.name)))
            if org_id is None:
                org_id = create_organisation(session, ADMIN, schemas.OrganisationCreate(
                    name=org.name, kind=org.kind, sector=org.sector)).id
            organisations[org.key] = org_id

        contract_id = session.scalar(select(Contract.id).where(Contract.cpa_code == cpa.cpa_code))
        if contract_id is None:
            contract_id = create_contract(session, ADMIN, schemas.ContractCreate(
                prime_id=organisations[cpa.prime_key], cpa_code=cpa.cpa_code,
                cpa_name=cpa.cpa_name, start_date=cpa.start_date, end_date=cpa.end_date)).id
        members = set(session.scalars(select(Membership.provider_id).where(
            Membership.contract_id == contract_id)))
        for member in cpa.members:
            provider_id = organisations[member.provider_key]
            if provider_id not in members:
                add_member(session, ADMIN, contract_id, schemas.MemberCreate(
                    provider_id=provider_id, tier=member.tier,
                    contracted_share=member.contracted_share))

        users = {}
        for user in cpa.users:
            user_id = session.scalar(select(User.id).where(User.username == user.username))
            if user_id is None:
                org_id = (organisations[user.organisation_key]
                          if user.organisation_key is not None else None)
                user_id = create_user(session, ADMIN, UserCreate(
                    username=user.username, password=user.password,
                    role=user.role, organisation_id=org_id)).id
            users[user.username] = user_id
    return DemoIds(contract_id=contract_id, organisations=organisations, users=users)


def event_batches(cpa: DemoCPA, ids: DemoIds, *, backfill: bool,
                  batch_events: int = BATCH_EVENTS) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """The events with database ids, in batches of at most `batch_events` that keep each
    participant's history whole (the service applies a batch in its own order, so a whole
    history in one batch is always valid); each with its number of participants."""
    batch: list[dict[str, Any]] = []
    participants = 0
    for history in cpa.histories(backfill):
        if batch and len(batch) + len(history) > batch_events:
            yield batch, participants
            batch, participants = [], 0
        for event in history:
            event["contract_id"] = ids.contract_id
            if event["type"] == "referral":
                event["provider_id"] = ids.organisations[event["provider_id"]]
            elif "specialist_id" in event:
                event["specialist_id"] = ids.organisations[event["specialist_id"]]
        batch += history
        participants += 1
    if batch:
        yield batch, participants


def _principal(cpa: DemoCPA, ids: DemoIds, role: Role) -> Principal:
    user = next(u for u in cpa.users if u.role == role)
    org_id = ids.organisations[user.organisation_key] if user.organisation_key else None
    return Principal(role=role, organisation_id=org_id, user_id=ids.users[user.username],
                     username=user.username)
