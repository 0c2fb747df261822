"""Membership that needs both sides (issue 13, finding 2; docs/decisions.md).

An admin adds a member directly (`service.add_member`). A prime manager invites: it names an
organisation it may already see (`Scope.organisations`) or gives the join code the organisation
created for it, and the organisation's users accept or decline; the prime may withdraw a
pending invitation. Accepting joins through `service.join`, the path an admin's addition takes,
so the membership's history, audit entry and change are written once, the same way.

An unknown organisation, one the manager may not see, and a join code that is unknown, expired
or used all answer the same 404: nothing about an unseen organisation can be learnt by probing.
"""

from datetime import timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.permissions import authorize, may
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.security import hash_join_code, new_join_code
from app.core.timeutil import today, utcnow
from app.models import Contract, JoinCode, Membership, MembershipInvitation, Organisation
from app.models.audit import record_audit
from app.models.contracts import InvitationStatus
from app.supply_chain import schemas, service

INVITATION_DAYS = 14
JOIN_CODE_DAYS = 14
# One answer for "no such organisation" and "not one you may see".
NO_SUCH_ID = "provider_id: no organisation you may invite has this id"
NO_SUCH_CODE = "join_code: no organisation you may invite has this code"


# -- adding or inviting --------------------------------------------------------------------------
def add_or_invite(session: Session, principal: Principal, contract_id: int,
                  payload: schemas.MemberCreate) -> Membership | MembershipInvitation:
    """POST /contracts/{id}/members: an admin's addition (201), a prime manager's invitation
    (202)."""
    authorize(principal, "members.manage")
    if not may(principal, "members.add"):
        return invite(session, principal, contract_id, payload)
    if payload.join_code is not None:
        provider_id = _redeem(session, payload.join_code).organisation_id
        payload = payload.model_copy(update={"provider_id": provider_id, "join_code": None})
    return service.add_member(session, principal, contract_id, payload)


def invite(session: Session, principal: Principal, contract_id: int,
           payload: schemas.MemberCreate) -> MembershipInvitation:
    contract = service.get_managed_contract(session, principal, contract_id, lock=True)
    code = None
    if payload.join_code is not None:
        code = _redeem(session, payload.join_code)
        provider = session.get_one(Organisation, code.organisation_id)
    else:
        found = session.scalar(Scope(principal).organisations(
            select(Organisation).where(Organisation.id == payload.provider_id)))
        if found is None:
            raise NotFound(NO_SUCH_ID)
        provider = found
    # Only now, the organisation being one the manager may know of, may answers name it.
    if payload.effective_date is not None:
        raise Invalid("effective_date: an invitation's membership begins on the day it is "
                      "accepted")
    service.check_joining(session, contract, provider, payload.tier, payload.contracted_share)
    now = utcnow()
    if session.scalar(select(MembershipInvitation.id).where(
            MembershipInvitation.contract_id == contract.id,
            MembershipInvitation.provider_id == provider.id,
            MembershipInvitation.status == "pending", MembershipInvitation.expires_at > now)):
        raise Conflict(f"provider_id: {provider.id} has a pending invitation to contract "
                       f"{contract.id}")
    invitation = MembershipInvitation(
        contract_id=contract.id, provider_id=provider.id,
        # As stored (4 places), so the 202 shows the share as every later read will.
        tier=payload.tier, contracted_share=payload.contracted_share.quantize(Decimal("0.0001")),
        status="pending",
        join_code_id=code.id if code else None, invited_by_user_id=principal.user_id,
        created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
    session.add(invitation)
    session.flush()
    record_audit(session, principal, "invitation.create", "membership_invitation", invitation.id,
                 contract_id=contract.id, provider_id=provider.id, tier=payload.tier,
                 contracted_share=payload.contracted_share, by_join_code=code is not None)
    session.commit()
    return invitation


def _redeem(session: Session, code_text: str) -> JoinCode:
    """The live join code, marked used (in the caller's transaction: undone if it fails)."""
    now = utcnow()
    code = session.scalar(select(JoinCode).where(
        JoinCode.code_hash == hash_join_code(code_text), JoinCode.used_at.is_(None),
        JoinCode.expires_at > now).with_for_update())
    if code is None:
        raise NotFound(NO_SUCH_CODE)
    code.used_at = now
    return code


# -- answering -----------------------------------------------------------------------------------
def status_of(invitation: MembershipInvitation) -> InvitationStatus:
    """As stored, but a pending invitation past its expiry is `expired`."""
    if invitation.status == "pending" and invitation.expires_at <= utcnow():
        return "expired"
    return cast(InvitationStatus, invitation.status)


def _find(session: Session, stmt: Select[MembershipInvitation],
          public_id: str) -> MembershipInvitation:
    invitation = session.scalar(stmt)
    if invitation is None:
        raise NotFound(f"invitation {public_id} not found")
    return invitation


def _lock_pending(session: Session, invitation: MembershipInvitation,
                  verb: str) -> MembershipInvitation:
    """The invitation locked and still pending, or 409 saying what became of it."""
    session.refresh(invitation, with_for_update=True)
    status = status_of(invitation)
    if status != "pending":
        raise Conflict(f"status: the invitation is {status}; only a pending invitation can be "
                       f"{verb}")
    return invitation


def _decided(session: Session, principal: Principal, invitation: MembershipInvitation,
             status: str, **details: object) -> MembershipInvitation:
    invitation.status = status
    invitation.decided_at = utcnow()
    invitation.decided_by_user_id = principal.user_id
    verb = {"accepted": "accept", "declined": "decline", "withdrawn": "withdraw"}[status]
    record_audit(session, principal, f"invitation.{verb}", "membership_invitation",
                 invitation.id, contract_id=invitation.contract_id,
                 provider_id=invitation.provider_id, **details)
    session.commit()
    return invitation


def _addressed(principal: Principal, public_id: str) -> Select[MembershipInvitation]:
    return Scope(principal).invitations_to_answer(
        select(MembershipInvitation).where(MembershipInvitation.public_id == public_id))


def accept(session: Session, principal: Principal, public_id: str) -> MembershipInvitation:
    """The invited organisation joins, effective today, on the invitation's terms, if they
    still hold (not a member meanwhile, tier-1 shares still within 1)."""
    authorize(principal, "invitations.answer")
    invitation = _find(session, _addressed(principal, public_id), public_id)
    # The contract first, as every change to a supply chain locks it, then the invitation.
    contract = session.scalar(select(Contract).where(Contract.id == invitation.contract_id)
                              .with_for_update())
    assert contract is not None
    _lock_pending(session, invitation, "accepted")
    provider = session.get_one(Organisation, invitation.provider_id)
    membership = service.join(session, principal, contract, provider, invitation.tier,
                              invitation.contracted_share, today(),
                              reason="joined the supply chain by invitation")
    return _decided(session, principal, invitation, "accepted", membership_id=membership.id)


def decline(session: Session, principal: Principal, public_id: str) -> MembershipInvitation:
    authorize(principal, "invitations.answer")
    invitation = _find(session, _addressed(principal, public_id), public_id)
    _lock_pending(session, invitation, "declined")
    return _decided(session, principal, invitation, "declined")


def withdraw(session: Session, principal: Principal, public_id: str) -> MembershipInvitation:
    """The prime takes back an invitation it sent (an admin any)."""
    authorize(principal, "members.manage")
    invitation = _find(session, Scope(principal).withdrawable_invitations(
        select(MembershipInvitation).where(MembershipInvitation.public_id == public_id)),
        public_id)
    service.get_managed_contract(session, principal, invitation.contract_id, lock=True)
    _lock_pending(session, invitation, "withdrawn")
    return _decided(session, principal, invitation, "withdrawn")


# -- reading -------------------------------------------------------------------------------------
def list_invitations(session: Session, principal: Principal,
                     page: PageParams) -> tuple[list[schemas.InvitationRead], str | None]:
    """Either side's invitations: a prime manager's sent, an organisation's received."""
    authorize(principal, "invitations.read")
    rows, cursor = paginate(session, Scope(principal).invitations(select(MembershipInvitation)),
                            MembershipInvitation.id, page)
    return invitation_reads(session, rows), cursor


def get_invitation(session: Session, principal: Principal,
                   public_id: str) -> schemas.InvitationRead:
    authorize(principal, "invitations.read")
    invitation = _find(session, Scope(principal).invitations(
        select(MembershipInvitation).where(MembershipInvitation.public_id == public_id)),
        public_id)
    return invitation_reads(session, [invitation])[0]


def invitation_reads(session: Session,
                     invitations: list[MembershipInvitation]) -> list[schemas.InvitationRead]:
    """The offer's terms, with the names each side needs to decide: the invitee learns which
    prime and area invite it, without any access to the contract before it accepts."""
    contracts = {c.id: c for c in session.scalars(select(Contract).where(
        Contract.id.in_({i.contract_id for i in invitations})))}
    org_ids = {i.provider_id for i in invitations} | {c.prime_id for c in contracts.values()}
    names = {org_id: name for org_id, name in session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))}
    reads = []
    for invitation in invitations:
        contract = contracts[invitation.contract_id]
        reads.append(schemas.InvitationRead(
            id=invitation.public_id, contract_id=contract.id, cpa_code=contract.cpa_code,
            cpa_name=contract.cpa_name, prime_id=contract.prime_id,
            prime_name=names[contract.prime_id], provider_id=invitation.provider_id,
            provider_name=names[invitation.provider_id], tier=invitation.tier,
            contracted_share=invitation.contracted_share,
            status=status_of(invitation),
            created_at=invitation.created_at, expires_at=invitation.expires_at,
            decided_at=invitation.decided_at))
    return reads


# -- join codes ----------------------------------------------------------------------------------
def create_join_code(session: Session, principal: Principal,
                     payload: schemas.JoinCodeCreate) -> tuple[JoinCode, str]:
    """A code for the principal's own organisation (an admin's: for any), shown once."""
    authorize(principal, "join_codes.manage")
    if principal.is_admin:
        if payload.organisation_id is None:
            raise Invalid("organisation_id: required when an admin creates a join code")
        org_id: int | None = payload.organisation_id
    elif payload.organisation_id not in (None, principal.organisation_id):
        raise NotFound(f"organisation {payload.organisation_id} not found")
    else:
        org_id = principal.organisation_id
    org = session.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    if org.kind == "reviewer":
        raise Invalid("organisation_id: a reviewer organisation joins no supply chain")
    code = new_join_code()
    now = utcnow()
    join_code = JoinCode(organisation_id=org.id, prefix=code[:10], code_hash=hash_join_code(code),
                         created_by_user_id=principal.user_id, created_at=now,
                         expires_at=now + timedelta(days=JOIN_CODE_DAYS))
    session.add(join_code)
    session.flush()
    record_audit(session, principal, "join_code.create", "join_code", join_code.id,
                 organisation_id=org.id, prefix=join_code.prefix)
    session.commit()
    return join_code, code


def list_join_codes(session: Session, principal: Principal,
                    page: PageParams) -> tuple[list[JoinCode], str | None]:
    authorize(principal, "join_codes.manage")
    return paginate(session, Scope(principal).join_codes(select(JoinCode)), JoinCode.id, page)
