"""HTTP for set-up: parse, call the service, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep, public_id_path
from app.core.pagination import Page, PageParams, page_params
from app.models import MembershipInvitation
from app.supply_chain import invitations, schemas, service

router = APIRouter(tags=["set-up"])
PageDep = Annotated[PageParams, Depends(page_params)]
# Ids beyond the key range answer 422 naming the parameter, never a database error.
OrgId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
ContractId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
ProviderId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
PaymentId = Annotated[str, public_id_path("payment_id", "payment")]
InvitationId = Annotated[str, public_id_path("invitation_id", "invitation")]


@router.post("/organisations", status_code=status.HTTP_201_CREATED,
             response_model=schemas.OrganisationRead)
def create_organisation(payload: schemas.OrganisationCreate, session: SessionDep,
                        principal: PrincipalDep) -> object:
    return service.create_organisation(session, principal, payload)


@router.get("/organisations", response_model=Page[schemas.OrganisationRead])
def list_organisations(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    rows, cursor = service.list_organisations(session, principal, page)
    return {"rows": rows, "next_cursor": cursor}


@router.get("/organisations/{org_id}", response_model=schemas.OrganisationRead)
def get_organisation(org_id: OrgId, session: SessionDep, principal: PrincipalDep) -> object:
    return service.get_organisation(session, principal, org_id)


@router.post("/contracts", status_code=status.HTTP_201_CREATED,
             response_model=schemas.ContractRead)
def create_contract(payload: schemas.ContractCreate, session: SessionDep,
                    principal: PrincipalDep) -> object:
    return service.contract_read(service.create_contract(session, principal, payload))


@router.get("/contracts", response_model=Page[schemas.ContractRead])
def list_contracts(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    rows, cursor = service.list_contracts(session, principal, page)
    return {"rows": [service.contract_read(c) for c in rows], "next_cursor": cursor}


@router.get("/contracts/{contract_id}", response_model=schemas.ContractRead)
def get_contract(contract_id: ContractId, session: SessionDep, principal: PrincipalDep) -> object:
    return service.contract_read(service.get_contract(session, principal, contract_id))


@router.patch("/contracts/{contract_id}", response_model=schemas.ContractRead)
def update_contract(contract_id: ContractId, payload: schemas.ContractUpdate,
                    session: SessionDep, principal: PrincipalDep) -> object:
    return service.contract_read(service.update_contract(session, principal, contract_id, payload))


@router.post(
    "/contracts/{contract_id}/members", status_code=status.HTTP_201_CREATED,
    response_model=schemas.MemberRead,
    responses={status.HTTP_202_ACCEPTED: {
        "model": schemas.InvitationRead,
        "description": "a prime manager's invitation, pending until the organisation accepts"}},
)
def add_member(contract_id: ContractId, payload: schemas.MemberCreate, session: SessionDep,
               principal: PrincipalDep) -> object:
    """Name the organisation by `provider_id` or by a `join_code` it gave (exactly one).

    An admin adds the member at once: 201 with the membership. A prime manager invites it:
    202 with the invitation, which the organisation accepts (`POST /invitations/{id}/accept`)
    or declines within 14 days. A manager may name by id only an organisation it may already
    see (`GET /organisations`); any other id, and a join code that is unknown, expired or used,
    answer the same 404."""
    added = invitations.add_or_invite(session, principal, contract_id, payload)
    if isinstance(added, MembershipInvitation):
        [invitation] = invitations.invitation_reads(session, [added])
        return JSONResponse(jsonable_encoder(invitation), status_code=status.HTTP_202_ACCEPTED)
    return service.member_read_one(session, principal, contract_id, added.provider_id)


@router.get("/contracts/{contract_id}/members", response_model=Page[schemas.MemberRead])
def list_members(contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
                 page: PageDep) -> object:
    rows, cursor = service.member_reads(session, principal, contract_id, page)
    return {"rows": rows, "next_cursor": cursor}


@router.get("/contracts/{contract_id}/members/{provider_id}", response_model=schemas.MemberRead)
def get_member(contract_id: ContractId, provider_id: ProviderId, session: SessionDep,
               principal: PrincipalDep) -> object:
    return service.member_read_one(session, principal, contract_id, provider_id)


@router.post("/contracts/{contract_id}/members/{provider_id}/status",
             response_model=schemas.MemberRead)
def change_member_status(contract_id: ContractId, provider_id: ProviderId,
                         payload: schemas.StatusChangeIn, session: SessionDep,
                         principal: PrincipalDep) -> object:
    service.change_member_status(session, principal, contract_id, provider_id, payload)
    return service.member_read_one(session, principal, contract_id, provider_id)


@router.get("/contracts/{contract_id}/members/{provider_id}/expectations",
            response_model=schemas.ExpectationsRead)
def get_member_expectations(contract_id: ContractId, provider_id: ProviderId,
                            session: SessionDep, principal: PrincipalDep) -> object:
    """What the member is expected to reach on its published ratings (DOMAIN.md section
    11): its own expectations where the prime set them, else the contract's."""
    return service.member_expectations(session, principal, contract_id, provider_id)


@router.put("/contracts/{contract_id}/members/{provider_id}/expectations",
            response_model=schemas.ExpectationsRead)
def set_member_expectations(contract_id: ContractId, provider_id: ProviderId,
                            payload: schemas.MemberExpectations, session: SessionDep,
                            principal: PrincipalDep) -> object:
    """Set the member's own expectations, with the reason on record; a field left out or
    null follows the contract's."""
    return service.set_member_expectations(session, principal, contract_id, provider_id,
                                           payload)


@router.post("/contracts/{contract_id}/payments", status_code=status.HTTP_201_CREATED,
             response_model=schemas.PaymentRead)
def record_payment(contract_id: ContractId, payload: schemas.PaymentCreate, session: SessionDep,
                   principal: PrincipalDep) -> object:
    return service.record_payment(session, principal, contract_id, payload)


@router.get("/contracts/{contract_id}/payments", response_model=Page[schemas.PaymentRead])
def list_payments(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep, page: PageDep,
    provider_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
) -> object:
    rows, cursor = service.list_payments(session, principal, contract_id, page, provider_id)
    return {"rows": rows, "next_cursor": cursor}


@router.post("/contracts/{contract_id}/payments/{payment_id}/paid",
             response_model=schemas.PaymentRead)
def mark_payment_paid(contract_id: ContractId, payment_id: PaymentId,
                      payload: schemas.PaymentPaid, session: SessionDep,
                      principal: PrincipalDep) -> object:
    return service.mark_payment_paid(session, principal, contract_id, payment_id, payload)


# -- invitations and join codes (app.supply_chain.invitations) ----------------------------------
@router.get("/invitations", response_model=Page[schemas.InvitationRead], tags=["invitations"])
def list_invitations(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    """Invitations you sent (a prime manager) or that invite your organisation; an admin's
    all. `status` `expired` is a pending invitation past `expires_at`."""
    rows, cursor = invitations.list_invitations(session, principal, page)
    return {"rows": rows, "next_cursor": cursor}


@router.get("/invitations/{invitation_id}", response_model=schemas.InvitationRead,
            tags=["invitations"])
def get_invitation(invitation_id: InvitationId, session: SessionDep,
                   principal: PrincipalDep) -> object:
    return invitations.get_invitation(session, principal, invitation_id)


@router.post("/invitations/{invitation_id}/accept", response_model=schemas.InvitationRead,
             tags=["invitations"])
def accept_invitation(invitation_id: InvitationId, session: SessionDep,
                      principal: PrincipalDep) -> object:
    """The invited organisation's users join its supply chain, effective today, on the
    invitation's terms; 409 if they no longer hold (a member already, tier-1 shares over 1)."""
    invitation = invitations.accept(session, principal, invitation_id)
    return invitations.invitation_reads(session, [invitation])[0]


@router.post("/invitations/{invitation_id}/decline", response_model=schemas.InvitationRead,
             tags=["invitations"])
def decline_invitation(invitation_id: InvitationId, session: SessionDep,
                       principal: PrincipalDep) -> object:
    invitation = invitations.decline(session, principal, invitation_id)
    return invitations.invitation_reads(session, [invitation])[0]


@router.post("/invitations/{invitation_id}/withdraw", response_model=schemas.InvitationRead,
             tags=["invitations"])
def withdraw_invitation(invitation_id: InvitationId, session: SessionDep,
                        principal: PrincipalDep) -> object:
    """The inviting prime's managers (or an admin) take back a pending invitation."""
    invitation = invitations.withdraw(session, principal, invitation_id)
    return invitations.invitation_reads(session, [invitation])[0]


@router.post("/join-codes", status_code=status.HTTP_201_CREATED,
             response_model=schemas.JoinCodeCreated, tags=["invitations"])
def create_join_code(payload: schemas.JoinCodeCreate, session: SessionDep,
                     principal: PrincipalDep) -> object:
    """A code for your own organisation (an admin names `organisation_id`), shown once: give
    it to a prime so that it may invite you. Single use, valid 14 days, stored hashed."""
    join_code, code = invitations.create_join_code(session, principal, payload)
    return schemas.JoinCodeCreated(
        **schemas.JoinCodeRead.model_validate(join_code).model_dump(), code=code)


@router.get("/join-codes", response_model=Page[schemas.JoinCodeRead], tags=["invitations"])
def list_join_codes(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    """Your organisation's join codes (an admin's: all), without the codes themselves."""
    rows, cursor = invitations.list_join_codes(session, principal, page)
    return {"rows": rows, "next_cursor": cursor}
