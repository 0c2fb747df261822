"""The one place that decides which tenant records a principal may see (DOMAIN.md section 9).

Every service query for tenant data passes its statement through a method here, which adds the
WHERE clause; routes and dashboard callbacks never filter by organisation themselves. A record
filtered out answers 404, as if it did not exist.
"""

from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, false, or_, select, true

from app.auth.permissions import GRANTABLE_ROLES
from app.auth.principal import Principal
from app.models import (
    ApiKey,
    AuditEntry,
    Complaint,
    ComplianceFlag,
    Contract,
    Event,
    JoinCode,
    Membership,
    MembershipInvitation,
    Organisation,
    Participant,
    Payment,
    SpecialistReferral,
    User,
)
from app.models.participants import SPECIALIST_EVENT_TYPES

Ts = TypeVarTuple("Ts")


class Scope:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.role = principal.role
        self.org_id = principal.organisation_id

    # -- building blocks ---------------------------------------------------------------------
    def _member_contract_ids(self) -> Select[int]:
        return select(Membership.contract_id).where(Membership.provider_id == self.org_id)

    def _primed_contract_ids(self) -> Select[int]:
        return select(Contract.id).where(Contract.prime_id == self.org_id)

    def contract_condition(self, contract_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
        """True for a contract id the principal may see (its header, its league table)."""
        if self.role in ("admin", "reviewer"):
            return true()
        if self.role == "prime_manager":
            return contract_id.in_(self._primed_contract_ids())
        if self.role == "provider_user":
            # A prime's in-house staff see their prime's contracts; subcontractors theirs.
            return or_(contract_id.in_(self._primed_contract_ids()),
                       contract_id.in_(self._member_contract_ids()))
        return false()

    def managed_contract_condition(
        self, contract_id: SQLColumnExpression[int]
    ) -> ColumnElement[bool]:
        """True for a contract whose supply chain the principal may change."""
        if self.role == "admin":
            return true()
        if self.role == "prime_manager":
            return contract_id.in_(self._primed_contract_ids())
        return false()

    def participant_condition(
        self, contract_id: SQLColumnExpression[int], provider_id: SQLColumnExpression[int]
    ) -> ColumnElement[bool]:
        """Participant-level data: the prime sees its contracts', a provider its own."""
        if self.role == "admin":
            return true()
        if self.role == "prime_manager":
            return contract_id.in_(self._primed_contract_ids())
        if self.role == "provider_user":
            return provider_id == self.org_id
        return false()  # reviewers read aggregates, flags and complaints, never participants

    # -- statements ----------------------------------------------------------------------------
    def contracts(self, stmt: Select[*Ts]) -> Select[*Ts]:
        return stmt.where(self.contract_condition(Contract.id))

    def managed_contracts(self, stmt: Select[*Ts]) -> Select[*Ts]:
        return stmt.where(self.managed_contract_condition(Contract.id))

    def participants(self, stmt: Select[*Ts]) -> Select[*Ts]:
        return stmt.where(self.participant_condition(Participant.contract_id,
                                                     Participant.provider_id))

    def events(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.role == "admin":
            return stmt
        visible = self.participants(select(Participant.id))
        if self.role == "provider_user":
            # A specialist's users also see the specialist events addressed to them
            # (DOMAIN.md section 12): the referrals to them and their own outcomes, nothing
            # else of the participant's journey.
            return stmt.where(or_(Event.participant_id.in_(visible), and_(
                Event.type.in_(SPECIALIST_EVENT_TYPES), Event.specialist_id == self.org_id)))
        return stmt.where(Event.participant_id.in_(visible))

    def sees_only_as_specialist(self, provider_id: int) -> bool:
        """Whether a record of this provider's participant is seen only because the
        participant was referred to the principal as a specialist (its journey's other facts,
        such as the payment group, are then not shown)."""
        return self.role == "provider_user" and provider_id != self.org_id

    def aggregate_condition(self, contract_id: SQLColumnExpression[int],
                            provider_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
        """Per-provider aggregates: what participant-level scoping allows, and for a reviewer
        any provider's (DOMAIN.md section 9: aggregates, never participants)."""
        if self.role == "reviewer":
            return true()
        return self.participant_condition(contract_id, provider_id)

    def payments_visible_for(self, provider_id: int) -> bool:
        """Whether `payments` shows this provider's payments to the principal (on a contract
        it sees)."""
        return self.role in ("admin", "reviewer", "prime_manager") or (
            self.role == "provider_user" and provider_id == self.org_id)

    # -- specialist referrals (DOMAIN.md section 12) -------------------------------------------
    # The rule that follows a referral: a participant's provider and the contract's prime see
    # its specialist referrals and their outcomes, and so does the specialist it was referred
    # to (the referral facts only: participants, milestones, league rows and job events stay
    # its provider's). Another specialist sees none. Reviewers read them only as aggregates
    # (`aggregate`): usage per specialist and provider, never a participant.
    def specialist_referral_condition(self, aggregate: bool = False) -> ColumnElement[bool]:
        if self.role == "admin" or (aggregate and self.role == "reviewer"):
            return true()
        if self.role == "prime_manager":
            return SpecialistReferral.contract_id.in_(self._primed_contract_ids())
        if self.role == "provider_user":
            return or_(SpecialistReferral.provider_id == self.org_id,
                       SpecialistReferral.specialist_id == self.org_id)
        return false()

    def specialist_referrals(self, stmt: Select[*Ts], aggregate: bool = False) -> Select[*Ts]:
        return stmt.where(self.specialist_referral_condition(aggregate))

    def memberships(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.role in ("admin", "reviewer"):
            return stmt
        if self.role == "prime_manager":
            return stmt.where(Membership.contract_id.in_(self._primed_contract_ids()))
        if self.role == "provider_user":
            # Its own membership only: other members' shares are the prime's business.
            return stmt.where(Membership.provider_id == self.org_id)
        return stmt.where(false())

    def payments(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.role in ("admin", "reviewer"):
            return stmt
        if self.role == "prime_manager":
            return stmt.where(Payment.contract_id.in_(self._primed_contract_ids()))
        if self.role == "provider_user":
            return stmt.where(Payment.provider_id == self.org_id)
        return stmt.where(false())

    def organisations(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """Its own organisation, the parties to its contracts (primes see their members,
        members see their primes); admins and reviewers see all."""
        if self.role in ("admin", "reviewer"):
            return stmt
        own_contracts = self.contracts(select(Contract.id))
        related = or_(
            Organisation.id == self.org_id,
            Organisation.id.in_(select(Contract.prime_id).where(Contract.id.in_(own_contracts))),
        )
        if self.role == "prime_manager":
            related = or_(related, Organisation.id.in_(
                select(Membership.provider_id).where(Membership.contract_id.in_(own_contracts))))
        return stmt.where(related)

    # -- membership invitations and join codes (app.supply_chain.invitations) -------------------
    # An invitation is seen by its two sides only: the inviting prime's managers and the invited
    # organisation's users (and admins). Until it is accepted it grants neither side anything:
    # the invitee is no member, so no condition above counts it.
    def invitations(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.role == "admin":
            return stmt
        if self.role in ("prime_manager", "provider_user"):
            sides = MembershipInvitation.provider_id == self.org_id
            if self.role == "prime_manager":
                sides = or_(sides, MembershipInvitation.contract_id.in_(
                    self._primed_contract_ids()))
            return stmt.where(sides)
        return stmt.where(false())

    def invitations_to_answer(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """Invitations addressed to the principal's own organisation: only it accepts them."""
        return stmt.where(MembershipInvitation.provider_id == self.org_id)

    def withdrawable_invitations(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """Invitations on a contract whose supply chain the principal may change."""
        return stmt.where(self.managed_contract_condition(MembershipInvitation.contract_id))

    def join_codes(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.role == "admin":
            return stmt
        return stmt.where(JoinCode.organisation_id == self.org_id)

    def users(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """An admin's all; others their own organisation's users carrying a role they could
        grant (a prime manager all of its organisation's, a provider user its fellow provider
        users, never its prime manager); reviewers are refused by the permissions table
        (users.read) and see none here."""
        if self.role == "admin":
            return stmt
        return stmt.where(User.organisation_id == self.org_id,
                          User.role.in_(GRANTABLE_ROLES.get(self.role, frozenset())))

    def api_keys(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """Live keys: an admin's all; others' those of their own organisation carrying a role
        they could grant (a provider user never sees or revokes its manager's keys)."""
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
        if self.role == "admin":
            return stmt
        return stmt.where(ApiKey.organisation_id == self.org_id,
                          ApiKey.role.in_(GRANTABLE_ROLES.get(self.role, frozenset())))

    # -- complaints (DOMAIN.md sections 8 and 9) -------------------------------------------------
    def complaints(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """A member's users see their own organisation's complaints; the prime's managers those
        on its contracts; reviewers every complaint once escalated (before that it is the
        prime's own procedure); other primes nothing."""
        if self.role == "admin":
            return stmt
        if self.role == "prime_manager":
            return stmt.where(Complaint.contract_id.in_(self._primed_contract_ids()))
        if self.role == "provider_user":
            return stmt.where(Complaint.complainant_org_id == self.org_id)
        if self.role == "reviewer":
            return stmt.where(Complaint.escalated_at.is_not(None))
        return stmt.where(false())
    # -- end of complaints -----------------------------------------------------------------------
    # -- compliance flags (app.compliance) ------------------------------------------------------
    # Flags are about how a prime treats its supply chain. Admins and reviewers see all; a prime
    # manager its own contracts' flags; a provider's users the flags whose subject is their own
    # organisation (how the prime treated them: its referrals, payments, exits, complaints).
    # A confidential complaint's complainant stays hidden from the prime's users: CON-1 flags
    # show without their subject, and CON-3 flags (whose figures would point at the
    # complainant however redacted) are not shown to them at all.
    def _confidential_complaint_ids(self) -> Select[int]:
        return select(Complaint.id).where(Complaint.confidential.is_(True))

    def flag_contracts(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """Contracts whose flags the principal may see some of."""
        if self.role == "prime_manager":
            return stmt.where(Contract.id.in_(self._primed_contract_ids()))
        return self.contracts(stmt)

    def compliance_flags(self, stmt: Select[*Ts]) -> Select[*Ts]:
        if self.role in ("admin", "reviewer"):
            return stmt
        if self.role == "prime_manager":
            confidential_con3 = and_(ComplianceFlag.rule == "CON-3",
                                     ComplianceFlag.complaint_id.in_(
                                         self._confidential_complaint_ids()))
            return stmt.where(ComplianceFlag.contract_id.in_(self._primed_contract_ids()),
                              ~confidential_con3)
        if self.role == "provider_user":
            return stmt.where(ComplianceFlag.subject_org_id == self.org_id)
        return stmt.where(false())

    def managed_compliance_flags(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """Flags whose status the principal may change: visible, on a contract it manages."""
        return self.compliance_flags(stmt).where(
            self.managed_contract_condition(ComplianceFlag.contract_id))

    def flag_complainant_hidden(self) -> ColumnElement[bool]:
        """True for a flag whose complainant (its subject) the principal may not see."""
        if self.role == "prime_manager":
            return and_(ComplianceFlag.complaint_id.is_not(None),
                        ComplianceFlag.complaint_id.in_(self._confidential_complaint_ids()))
        return false()

    # -- the audit log -----------------------------------------------------------------------
    def audit_entries(self, stmt: Select[*Ts]) -> Select[*Ts]:
        """An admin reads every entry. A reviewer reads the entries about the records it may
        see, compliance flags and escalated complaints, and no others: the supply chain's own
        books (users, keys, payments, members) are not its business, and the entries of a
        complaint still in the prime's own procedure would name its complainant's organisation
        (actor_org_id of its raise) before any reviewer may see it. Readers of other roles
        are refused by the permissions table (audit.read); here they see nothing."""
        if self.role == "admin":
            return stmt
        if self.role == "reviewer":
            return stmt.where(or_(
                and_(AuditEntry.entity_type == "compliance_flag",
                     AuditEntry.entity_id.in_(
                         self.compliance_flags(select(ComplianceFlag.public_id)))),
                and_(AuditEntry.entity_type == "complaint",
                     AuditEntry.entity_id.in_(self.complaints(select(Complaint.public_id))))))
        return stmt.where(false())
