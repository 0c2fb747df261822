"""The /api/v1 router: every domain's routes under one prefix."""

from fastapi import APIRouter
from sqlalchemy import text

from app.auth.principal import SessionDep
from app.auth.router import router as auth_router
from app.complaints.router import router as complaints_router
from app.compliance.router import router as compliance_router
from app.core.errors import ERROR_RESPONSES
from app.ingest.router import router as ingest_router
from app.performance.router import router as performance_router
from app.regime.router import router as regime_router
from app.specialists.router import router as specialists_router
from app.supply_chain.router import router as supply_chain_router

api_router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@api_router.get("/health", tags=["health"])
def health(session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


api_router.include_router(auth_router)
api_router.include_router(supply_chain_router)
api_router.include_router(ingest_router)
api_router.include_router(performance_router)
api_router.include_router(complaints_router)
api_router.include_router(compliance_router)
api_router.include_router(regime_router)
api_router.include_router(specialists_router)
