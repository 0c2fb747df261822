"""All tables, imported here so Alembic and the app see one MetaData."""

from app.models.audit import AuditEntry
from app.models.auth import ApiKey, AuthSession, User
from app.models.base import Base
from app.models.complaints import Complaint, ComplaintEntry, Notification, NotificationAddress
from app.models.compliance import ComplianceContractState, ComplianceFlag
from app.models.contracts import (
    Contract,
    Membership,
    MembershipInvitation,
    MembershipStatusChange,
    Payment,
    TariffRow,
)
from app.models.jobs import JobRun
from app.models.organisations import JoinCode, Organisation
from app.models.participants import (
    Event,
    Milestone,
    PaidEventCount,
    Participant,
    ParticipantDataVersion,
    ProviderDailyTotal,
    SpecialistReferral,
)
from app.models.regime import (
    ImprovementPlan,
    ImprovementPlanEntry,
    RatingPublication,
    Reallocation,
    ReallocationChange,
)
from app.models.views import SavedView

__all__ = [
    "ApiKey", "AuditEntry", "AuthSession", "Base", "Complaint", "ComplaintEntry",
    "ComplianceContractState", "ComplianceFlag", "Contract", "Event", "ImprovementPlan",
    "ImprovementPlanEntry", "JobRun", "JoinCode", "Membership",
    "MembershipInvitation",
    "MembershipStatusChange", "Milestone", "Notification", "NotificationAddress", "Organisation",
    "PaidEventCount", "Participant", "ParticipantDataVersion", "Payment", "ProviderDailyTotal",
    "RatingPublication", "Reallocation", "ReallocationChange", "SavedView",
    "SpecialistReferral", "TariffRow", "User",
]
