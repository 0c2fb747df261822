"""A small supply chain (the `world` fixture) for ingestion and performance tests, with an API
password hashing in every test)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.schemas import ApiKeyCreate
from app.auth.service import create_api_key
from app.supply_chain import schemas, service

ADMIN = Principal(role="admin", organisation_id=None)
CONTRACT_START = date(2024, 1, 1)


@dataclass
class World:
    contract_id: int
    other_contract_id: int
    prime_id: int
    third_id: int  # a third-sector tier-2 member
    private_id: int  # a private tier-1 member
    suspended_id: int
    other_prime_id: int
    headers: dict[str, dict[str, str]]  # who -> {"X-API-Key": ...}


def _org(db: Session, name: str, kind: str, sector: str) -> int:
    return service.create_organisation(db, ADMIN, schemas.OrganisationCreate(
        name=name, kind=kind, sector=sector)).id  # type: ignore[arg-type]


def _key(db: Session, org_id: int | None, role: str) -> dict[str, str]:
    _, key = create_api_key(db, ADMIN, ApiKeyCreate(name=f"{role} key", organisation_id=org_id,
                                                     role=role))  # type: ignore[arg-type]
    return {"X-API-Key": key}


@pytest.fixture()
def world(db: Session) -> World:
    prime = _org(db, "Prime Works", "prime", "private")
    third = _org(db, "Third Way Trust", "subcontractor", "third")
    private = _org(db, "Private Path Ltd", "subcontractor", "private")
    suspended = _org(db, "Paused Partners", "subcontractor", "public")
    other_prime = _org(db, "Other Prime", "prime", "public")
    contract = service.create_contract(db, ADMIN, schemas.ContractCreate(
        prime_id=prime, cpa_code="CPA1", cpa_name="Testshire", start_date=CONTRACT_START,
        end_date=date(2029, 12, 31)))
    other = service.create_contract(db, ADMIN, schemas.ContractCreate(
        prime_id=other_prime, cpa_code="CPA2", cpa_name="Elsewhere",
        start_date=CONTRACT_START, end_date=date(2029, 12, 31)))
    for org, tier, share in ((third, 2, "0.10"), (private, 1, "0.50"), (suspended, 1, "0.20")):
        service.add_member(db, ADMIN, contract.id, schemas.MemberCreate(
            provider_id=org, tier=tier, contracted_share=Decimal(share)))  # type: ignore[arg-type]
    service.change_member_status(db, ADMIN, contract.id, suspended, schemas.StatusChangeIn(
        status="suspended", reason="test"))
    headers = {
        "admin": _key(db, None, "admin"),
        "prime": _key(db, prime, "prime_manager"),
        "prime_inhouse": _key(db, prime, "provider_user"),
        "third": _key(db, third, "provider_user"),
        "private": _key(db, private, "provider_user"),
        "other_prime": _key(db, other_prime, "prime_manager"),
    }
    return World(contract.id, other.id, prime, third, private, suspended, other_prime, headers)
