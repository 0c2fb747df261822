"""Organisations, contracts, memberships and payments: the set-up a prime manages."""

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.permissions import PRIME_EDITABLE_SETTINGS, authorize, may
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.changes import Kind, publish
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.timeutil import today
from app.models import (
    Contract,
    Membership,
    MembershipStatusChange,
    Organisation,
    Payment,
    TariffRow,
)
from app.models.audit import record_audit
from app.supply_chain import schemas
from app.supply_chain.defaults import default_tariff_rows


def display_name(name: str) -> str:
    """Trimmed, inner runs of whitespace collapsed to one space."""
    return re.sub(r"\s+", " ", name.strip())


def name_key(name: str) -> str:
    """What makes two organisation names the same: " Acme  Ltd" and "acme ltd" are."""
    return display_name(name).casefold()


# -- organisations -------------------------------------------------------------------------------
def create_organisation(session: Session, principal: Principal,
                        payload: schemas.OrganisationCreate) -> Organisation:
    authorize(principal, "organisations.create")
    name = display_name(payload.name)
    taken = Conflict(f"name: an organisation named '{name}' exists already")
    if session.scalar(select(Organisation.id).where(Organisation.name_key == name_key(name))):
        raise taken
    org = Organisation(name=name, name_key=name_key(name), kind=payload.kind,
                       sector=payload.sector)
    session.add(org)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request took the name after our check
        session.rollback()
        raise taken from exc
    record_audit(session, principal, "organisation.create", "organisation", org.id, name=name,
                 kind=org.kind, sector=org.sector)
    session.commit()
    return org


def list_organisations(session: Session, principal: Principal,
                       page: PageParams) -> tuple[list[Organisation], str | None]:
    stmt = Scope(principal).organisations(select(Organisation))
    return paginate(session, stmt, Organisation.id, page)


def get_organisation(session: Session, principal: Principal, org_id: int) -> Organisation:
    org = session.scalar(Scope(principal).organisations(
        select(Organisation).where(Organisation.id == org_id)))
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    return org


# -- contracts -----------------------------------------------------------------------------------
def get_contract(session: Session, principal: Principal, contract_id: int) -> Contract:
    contract = session.scalar(Scope(principal).contracts(
        select(Contract).where(Contract.id == contract_id)))
    if contract is None:
        raise NotFound(f"contract {contract_id} not found")
    return contract


def get_managed_contract(session: Session, principal: Principal, contract_id: int,
                         lock: bool = False) -> Contract:
    """A contract whose supply chain the principal may change: an admin's any, a prime
    manager's own. Callers authorize the action first, so a role that may never act gets 403
    and only a contract outside the principal's scope answers 404. `lock` serialises
    concurrent changes to the contract's supply chain (PostgreSQL; SQLite writes serially)."""
    stmt = Scope(principal).managed_contracts(select(Contract).where(Contract.id == contract_id))
    contract = session.scalar(stmt.with_for_update() if lock else stmt)
    if contract is None:
        raise NotFound(f"contract {contract_id} not found")
    return contract


def list_contracts(session: Session, principal: Principal,
                   page: PageParams) -> tuple[list[Contract], str | None]:
    return paginate(session, Scope(principal).contracts(select(Contract)), Contract.id, page)


def create_contract(session: Session, principal: Principal,
                    payload: schemas.ContractCreate) -> Contract:
    authorize(principal, "contracts.create")
    prime = session.get(Organisation, payload.prime_id)
    if prime is None or prime.kind != "prime":
        raise Invalid(f"prime_id: {payload.prime_id} is not a prime organisation")
    if payload.tariff is not None:
        tariff = [row.model_dump() for row in payload.tariff]
    else:
        tariff = default_tariff_rows(payload.start_date)
    _check_tariff_unique(tariff)
    contract = Contract(
        prime_id=prime.id, cpa_code=payload.cpa_code, cpa_name=payload.cpa_name,
        start_date=payload.start_date, end_date=payload.end_date,
        milestone_schedule=(payload.milestone_schedule or schemas.default_schedule())
        .model_dump(mode="json"),
        settings=(payload.settings or schemas.ContractSettings()).model_dump(mode="json"),
        tariff_rows=[TariffRow(**row) for row in tariff],
    )
    session.add(contract)
    session.flush()
    record_audit(session, principal, "contract.create", "contract", contract.id,
                 cpa_code=contract.cpa_code, prime_id=prime.id,
                 default_tariff=payload.tariff is None)
    session.commit()
    return contract


def _check_tariff_unique(tariff: list[dict[str, Any]]) -> None:
    seen = set()
    for index, row in enumerate(tariff):
        key = (row["payment_group"], row["valid_from"])
        if key in seen:
            raise Invalid(f"tariff[{index}]: a second row for {key[0]} from {key[1]}")
        seen.add(key)


def update_contract(session: Session, principal: Principal, contract_id: int,
                    payload: schemas.ContractUpdate) -> Contract:
    authorize(principal, "contracts.update")
    settings_given = (payload.settings.model_dump(mode="json", exclude_unset=True)
                      if payload.settings is not None else {})
    if not may(principal, "contracts.configure"):
        if payload.tariff:
            authorize(principal, "contracts.configure")
        reserved = sorted(set(settings_given) - PRIME_EDITABLE_SETTINGS)
        if reserved:
            raise Forbidden(f"settings.{reserved[0]}: role '{principal.role}' may change only "
                            f"{', '.join(sorted(PRIME_EDITABLE_SETTINGS))} of the settings")
    contract = get_managed_contract(session, principal, contract_id)
    changed: list[str] = []
    if payload.milestone_schedule is not None:
        contract.milestone_schedule = payload.milestone_schedule.model_dump(mode="json")
        changed.append("milestone_schedule")
    if settings_given:
        # A PATCH changes the settings it names; the rest keep their values, down to the groups
        # of a mapping (national_rates: {"esa_new": 0.2} leaves the other groups' rates alone).
        current = dict(contract.settings)
        for name, value in settings_given.items():
            old = current.get(name)
            current[name] = ({**old, **value} if isinstance(old, dict) and isinstance(value, dict)
                             else value)
        merged = schemas.ContractSettings.model_validate(current)
        contract.settings = merged.model_dump(mode="json")
        changed.extend(f"settings.{name}" for name in sorted(settings_given))
    if payload.tariff:
        _check_tariff_unique([row.model_dump() for row in payload.tariff])
        existing = {(r.payment_group, r.valid_from) for r in contract.tariff_rows}
        for index, row in enumerate(payload.tariff):
            if (row.payment_group, row.valid_from) in existing:
                raise Conflict(f"tariff[{index}]: a row for {row.payment_group} from "
                               f"{row.valid_from} exists already; tariff rows are history")
            contract.tariff_rows.append(TariffRow(**row.model_dump()))
        changed.append("tariff")
    if changed:
        record_audit(session, principal, "contract.update", "contract", contract.id,
                     fields=",".join(changed), **{f"settings.{k}": v
                                                  for k, v in settings_given.items()})
        publish(session, contract.id, *_kinds_of(changed))
    session.commit()
    return contract


def _kinds_of(changed: list[str]) -> set[Kind]:
    """What a contract update changed, as the domains that follow it know it."""
    named = {"milestone_schedule": Kind.SCHEDULE, "tariff": Kind.TARIFF,
             "settings.timeliness_days": Kind.TIMELINESS}
    return {named.get(field, Kind.SETTINGS) for field in changed}


def contract_read(contract: Contract) -> schemas.ContractRead:
    return schemas.ContractRead(
        id=contract.id, prime_id=contract.prime_id, cpa_code=contract.cpa_code,
        cpa_name=contract.cpa_name, start_date=contract.start_date, end_date=contract.end_date,
        milestone_schedule=schemas.MilestoneSchedule.model_validate(contract.milestone_schedule),
        settings=schemas.ContractSettings.model_validate(contract.settings),
        tariff=[schemas.TariffRowRead.model_validate(r) for r in contract.tariff_rows],
    )


def contract_settings(contract: Contract) -> schemas.ContractSettings:
    return schemas.ContractSettings.model_validate(contract.settings)


# -- memberships ---------------------------------------------------------------------------------
def add_member(session: Session, principal: Principal, contract_id: int,
               payload: schemas.MemberCreate) -> Membership:
    """An admin adds a member without its acceptance. A prime manager invites instead
    (app.supply_chain.invitations, which also turns an admin's join code into provider_id)."""
    authorize(principal, "members.add")
    contract = get_managed_contract(session, principal, contract_id, lock=True)
    provider = (session.get(Organisation, payload.provider_id)
                if payload.provider_id is not None else None)
    if provider is None:
        raise Invalid(f"provider_id: {payload.provider_id} is not a provider organisation")
    membership = join(session, principal, contract, provider, payload.tier,
                      payload.contracted_share, payload.effective_date or contract.start_date,
                      reason="joined the supply chain")
    session.commit()
    return membership


def check_joining(session: Session, contract: Contract, provider: Organisation, tier: int,
                  contracted_share: Decimal) -> None:
    """What a new member must satisfy: checked when an admin adds it, when a prime invites it
    and again when it accepts (the chain may have changed in between). Callers that may not
    see every organisation check visibility first: these answers name the organisation."""
    if provider.kind == "reviewer":
        raise Invalid(f"provider_id: {provider.id} is not a provider organisation")
    if provider.id == contract.prime_id:
        raise Invalid(f"provider_id: {provider.id} is the contract's prime, which delivers "
                      "in-house without a membership")
    if session.scalar(select(Membership.id).where(Membership.contract_id == contract.id,
                                                  Membership.provider_id == provider.id)):
        raise _already_member(contract, provider)
    if tier == 1:
        tier1_total = _tier1_total(session, contract.id)
        if tier1_total + contracted_share > 1:
            raise Invalid(f"contracted_share: tier-1 shares of contract {contract.id} would sum "
                          f"to {tier1_total + contracted_share} (at most 1)")


def _already_member(contract: Contract, provider: Organisation) -> Conflict:
    return Conflict(f"provider_id: {provider.id} is already a member of contract {contract.id}")


def join(session: Session, principal: Principal, contract: Contract, provider: Organisation,
         tier: int, contracted_share: Decimal, effective: date, reason: str) -> Membership:
    """The one way an organisation becomes a member (an admin's addition, an accepted
    invitation): the checks, the membership, its first status entry, the audit entry and the
    change, in the caller's transaction (the caller holds the contract's lock and commits)."""
    check_joining(session, contract, provider, tier, contracted_share)
    if not contract.start_date <= effective <= contract.end_date:
        raise Invalid(f"effective_date: {effective} is outside the contract "
                      f"({contract.start_date} to {contract.end_date})")
    membership = Membership(contract_id=contract.id, provider_id=provider.id, tier=tier,
                            contracted_share=contracted_share, status="active")
    session.add(membership)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request added the same member
        session.rollback()
        raise _already_member(contract, provider) from exc
    session.add(MembershipStatusChange(
        membership_id=membership.id, status="active", effective_date=effective,
        reason=reason, changed_by_user_id=principal.user_id))
    record_audit(session, principal, "member.add", "membership", membership.id,
                 contract_id=contract.id, provider_id=provider.id, tier=tier,
                 contracted_share=contracted_share)
    publish(session, contract.id, Kind.MEMBER_ADDED)
    return membership


def _tier1_total(session: Session, contract_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(Membership.contracted_share), 0)).where(
            Membership.contract_id == contract_id, Membership.tier == 1,
            Membership.status != "terminated"))
    # SQLite sums the shares as floats; the column's Numeric(6, 4) type hands the sum back as a
    # Decimal rounded to 4 places on both backends, so 0.1 + 0.2 + 0.7 compares equal to 1.
    return Decimal(total or 0)


def _membership(session: Session, principal: Principal, contract_id: int,
                provider_id: int) -> Membership:
    membership = session.scalar(Scope(principal).memberships(select(Membership).where(
        Membership.contract_id == contract_id, Membership.provider_id == provider_id)))
    if membership is None:
        raise NotFound(f"provider {provider_id} is not a member of contract {contract_id}")
    return membership


def change_member_status(session: Session, principal: Principal, contract_id: int,
                         provider_id: int, payload: schemas.StatusChangeIn) -> Membership:
    authorize(principal, "members.manage")
    get_managed_contract(session, principal, contract_id, lock=True)
    membership = _membership(session, principal, contract_id, provider_id)
    if membership.status == "terminated":
        raise Conflict("status: the membership is terminated; a terminated member cannot return")
    if payload.status == membership.status:
        raise Conflict(f"status: the membership is {membership.status} already")
    effective = payload.effective_date or today()
    if effective > today():
        raise Invalid(f"effective_date: {effective} is in the future; record a change when "
                      "it happens")
    latest = session.scalar(select(func.max(MembershipStatusChange.effective_date)).where(
        MembershipStatusChange.membership_id == membership.id))
    if latest is not None and effective < latest:
        raise Invalid(f"effective_date: {effective} is before the latest status change "
                      f"({latest}); the status history is append-only")
    previous = membership.status
    membership.status = payload.status
    session.add(MembershipStatusChange(
        membership_id=membership.id, status=payload.status, effective_date=effective,
        reason=payload.reason, changed_by_user_id=principal.user_id))
    record_audit(session, principal, "member.status", "membership", membership.id,
                 contract_id=contract_id, provider_id=provider_id, previous=previous,
                 status=payload.status, effective_date=effective, reason=payload.reason)
    publish(session, contract_id, Kind.MEMBER_STATUS)
    session.commit()
    return membership


def member_reads(session: Session, principal: Principal, contract_id: int,
                 page: PageParams) -> tuple[list[schemas.MemberRead], str | None]:
    get_contract(session, principal, contract_id)
    stmt = Scope(principal).memberships(
        select(Membership).where(Membership.contract_id == contract_id))
    memberships, cursor = paginate(session, stmt, Membership.id, page)
    orgs = {org.id: org for org in session.scalars(select(Organisation).where(
        Organisation.id.in_([m.provider_id for m in memberships])))}
    history = _histories(session, [m.id for m in memberships])
    return [member_read(m, orgs[m.provider_id], history[m.id]) for m in memberships], cursor


def _histories(session: Session,
               membership_ids: list[int]) -> dict[int, list[MembershipStatusChange]]:
    history: dict[int, list[MembershipStatusChange]] = {i: [] for i in membership_ids}
    for change in session.scalars(select(MembershipStatusChange).where(
            MembershipStatusChange.membership_id.in_(membership_ids))
            .order_by(MembershipStatusChange.id)):
        history[change.membership_id].append(change)
    return history


def member_read(membership: Membership, org: Organisation,
                history: list[MembershipStatusChange]) -> schemas.MemberRead:
    return schemas.MemberRead(
        contract_id=membership.contract_id, provider_id=org.id, provider_name=org.name,
        sector=org.sector, tier=membership.tier, contracted_share=membership.contracted_share,
        status=membership.status,
        history=[schemas.StatusChangeRead.model_validate(h) for h in history])


def member_read_one(session: Session, principal: Principal, contract_id: int,
                    provider_id: int) -> schemas.MemberRead:
    get_contract(session, principal, contract_id)
    membership = _membership(session, principal, contract_id, provider_id)
    org = session.get_one(Organisation, provider_id)
    return member_read(membership, org, _histories(session, [membership.id])[membership.id])


# -- payments ------------------------------------------------------------------------------------
def _not_future(field: str, day: date | None) -> None:
    if day is not None and day > today():
        raise Invalid(f"{field}: {day} is in the future")


def record_payment(session: Session, principal: Principal, contract_id: int,
                   payload: schemas.PaymentCreate) -> Payment:
    authorize(principal, "payments.record")
    contract = get_managed_contract(session, principal, contract_id)
    _not_future("paid_date", payload.paid_date)
    is_member = session.scalar(select(Membership.id).where(
        Membership.contract_id == contract.id, Membership.provider_id == payload.provider_id))
    if not is_member:
        raise Invalid(f"provider_id: {payload.provider_id} is not a member of contract "
                      f"{contract.id}")
    terms = (payload.terms_days if payload.terms_days is not None
             else contract_settings(contract).payment_terms_days)
    payment = Payment(contract_id=contract.id, provider_id=payload.provider_id,
                      invoice_date=payload.invoice_date, amount=payload.amount,
                      paid_date=payload.paid_date, terms_days=terms,
                      created_by_user_id=principal.user_id)
    session.add(payment)
    session.flush()
    record_audit(session, principal, "payment.record", "payment", payment.public_id,
                 contract_id=contract.id, provider_id=payload.provider_id, amount=payload.amount,
                 invoice_date=payload.invoice_date, paid_date=payload.paid_date,
                 terms_days=terms)
    publish(session, contract.id, Kind.PAYMENT)
    session.commit()
    return payment


def mark_payment_paid(session: Session, principal: Principal, contract_id: int, payment_id: str,
                      payload: schemas.PaymentPaid) -> Payment:
    authorize(principal, "payments.record")
    get_managed_contract(session, principal, contract_id)
    payment = session.scalar(Scope(principal).payments(select(Payment).where(
        Payment.public_id == payment_id, Payment.contract_id == contract_id)))
    if payment is None:
        raise NotFound(f"payment {payment_id} not found")
    if payment.paid_date is not None:
        raise Conflict(f"paid_date: payment {payment_id} was already paid on {payment.paid_date}")
    if payload.paid_date < payment.invoice_date:
        raise Invalid(f"paid_date: before invoice_date ({payment.invoice_date})")
    _not_future("paid_date", payload.paid_date)
    payment.paid_date = payload.paid_date
    record_audit(session, principal, "payment.paid", "payment", payment.public_id,
                 contract_id=contract_id, paid_date=payload.paid_date)
    publish(session, contract_id, Kind.PAYMENT)
    session.commit()
    return payment


def days_beyond_terms(invoice_date: date, terms_days: int, paid_date: date | None,
                      as_of: date) -> int:
    """How many days a payment to a member was paid (or, unpaid, is on as_of) after its terms
    ended (the invoice date plus terms_days); paid on the terms' last day is 0, on time. The
    measure of COM-1 and of the payments page."""
    settled = paid_date if paid_date is not None else as_of
    return max(0, (settled - invoice_date - timedelta(days=terms_days)).days)


def list_payments(session: Session, principal: Principal, contract_id: int, page: PageParams,
                  provider_id: int | None = None) -> tuple[list[Payment], str | None]:
    get_contract(session, principal, contract_id)
    stmt = Scope(principal).payments(select(Payment).where(Payment.contract_id == contract_id))
    if provider_id is not None:
        stmt = stmt.where(Payment.provider_id == provider_id)
    return paginate(session, stmt, Payment.id, page)


# -- expectations (DOMAIN.md section 11) ----------------------------------------------------------
EXPECTATION_FIELDS = ("min_performance_index", "check_compliance_min", "data_timeliness_min")


def effective_expectations(contract: Contract,
                           membership: Membership) -> schemas.ExpectationsRead:
    """The member's own expectations where set, else the contract's settings'."""
    own = membership.expectations or {}
    settings = contract_settings(contract)
    return schemas.ExpectationsRead(
        contract_id=contract.id, provider_id=membership.provider_id,
        **{name: own[name] if own.get(name) is not None else getattr(settings, name)
           for name in EXPECTATION_FIELDS},
        overridden=[name for name in EXPECTATION_FIELDS if own.get(name) is not None])


def member_expectations(session: Session, principal: Principal, contract_id: int,
                        provider_id: int) -> schemas.ExpectationsRead:
    """What the member is expected to reach: the member's own users, the contract's prime,
    the admin and reviewers may read it."""
    contract = get_contract(session, principal, contract_id)
    return effective_expectations(contract, _membership(session, principal, contract_id,
                                                        provider_id))


def set_member_expectations(session: Session, principal: Principal, contract_id: int,
                            provider_id: int,
                            payload: schemas.MemberExpectations) -> schemas.ExpectationsRead:
    """The prime sets a member's own expectations, with its reason on record (the audit log,
    which the member's reviewer reads); a field left null follows the contract's again."""
    authorize(principal, "members.manage")
    contract = get_managed_contract(session, principal, contract_id, lock=True)
    membership = _membership(session, principal, contract_id, provider_id)
    own = {name: getattr(payload, name) for name in EXPECTATION_FIELDS
           if getattr(payload, name) is not None}
    before = membership.expectations
    membership.expectations = own or None
    record_audit(session, principal, "member.expectations", "membership", membership.id,
                 contract_id=contract_id, provider_id=provider_id, before=before, after=own,
                 reason=payload.reason)
    session.commit()
    return effective_expectations(contract, membership)
