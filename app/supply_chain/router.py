"""HTTP for set-up: parse, call the service, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep, public_id_path
from app.core.pagination import Page, PageParams, page_params
from app.supply_chain import schemas, service

router = APIRouter(tags=["set-up"])
PageDep = Annotated[PageParams, Depends(page_params)]
# Ids beyond the key range answer 422 naming the parameter, never a database error.
OrgId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
ContractId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
ProviderId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
PaymentId = Annotated[str, public_id_path("payment_id", "payment")]


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


@router.post("/contracts/{contract_id}/members", status_code=status.HTTP_201_CREATED,
             response_model=schemas.MemberRead)
def add_member(contract_id: ContractId, payload: schemas.MemberCreate, session: SessionDep,
               principal: PrincipalDep) -> object:
    membership = service.add_member(session, principal, contract_id, payload)
    return service.member_read_one(session, principal, contract_id, membership.provider_id)


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
