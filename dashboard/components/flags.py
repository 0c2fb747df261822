"""What the compliance pages share: the flag's subject in words, as the service lets the
principal see it (a confidential complainant stays unnamed)."""

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import CONFIDENTIAL_COMPLAINANT
from app.compliance.schemas import FlagRead
from app.core.pagination import PageParams
from app.supply_chain.service import list_organisations
from dashboard.components.formatting import DASH


def organisation_names(session: Session, principal: Principal) -> dict[int, str]:
    """The names of the organisations the principal may see (scoped by the service)."""
    return {org.id: org.name for org in list_organisations(
        session, principal, PageParams(limit=1000))[0]}


def subject_name(flag: FlagRead, names: dict[int, str]) -> str:
    if flag.subject_org_id is None:
        return CONFIDENTIAL_COMPLAINANT if flag.complainant_hidden else DASH
    return names.get(flag.subject_org_id, f"organisation {flag.subject_org_id}")
