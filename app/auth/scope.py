"""The one place that decides which tenant records a principal may see (DOMAIN.md section 9).

Every service query for tenant data passes its statement through a method here, which adds the
WHERE clause; routes and dashboard callbacks never filter by organisation themselves. A record
filtered out answers 404, as if it did not exist.
"""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from app.auth.principal import Principal
from app.models import Contract, Event, Membership, Organisation, Participant, Payment

T = TypeVar("T", bound=tuple[Any, ...])


class Scope:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.role = principal.role
        self.org_id = principal.organisation_id

    # -- building blocks ---------------------------------------------------------------------
    def _member_contract_ids(self) -> Select[tuple[int]]:
        return select(Membership.contract_id).where(Membership.provider_id == self.org_id)

    def _primed_contract_ids(self) -> Select[tuple[int]]:
        return select(Contract.id).where(Contract.prime_id == self.org_id)

    def contract_condition(self, contract_id: ColumnElement[int]) -> ColumnElement[bool]:
        """True for a contract id the principal may see (its header, its league table)."""
        if self.role in ("admin", "reviewer"):
            return true()
        if self.role == "prime_manager":
            return contract_id.in_(self._primed_contract_ids())
        if self.role == "provider_user":
            return or_(contract_id.in_(self._primed_contract_ids()),
                       contract_id.in_(self._member_contract_ids()))
        return false()

    def participant_condition(
        self, contract_id: ColumnElement[int], provider_id: ColumnElement[int]
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
    def contracts(self, stmt: Select[T]) -> Select[T]:
        return stmt.where(self.contract_condition(Contract.id))

    def participants(self, stmt: Select[T]) -> Select[T]:
        return stmt.where(self.participant_condition(Participant.contract_id,
                                                     Participant.provider_id))

    def events(self, stmt: Select[T]) -> Select[T]:
        if self.role == "admin":
            return stmt
        visible = self.participants(select(Participant.id))
        return stmt.where(Event.participant_id.in_(visible))

    def memberships(self, stmt: Select[T]) -> Select[T]:
        if self.role in ("admin", "reviewer"):
            return stmt
        if self.role == "prime_manager":
            return stmt.where(Membership.contract_id.in_(self._primed_contract_ids()))
        if self.role == "provider_user":
            # Its own membership only: other members' shares are the prime's business.
            return stmt.where(Membership.provider_id == self.org_id)
        return stmt.where(false())

    def payments(self, stmt: Select[T]) -> Select[T]:
        if self.role in ("admin", "reviewer"):
            return stmt
        if self.role == "prime_manager":
            return stmt.where(Payment.contract_id.in_(self._primed_contract_ids()))
        if self.role == "provider_user":
            return stmt.where(Payment.provider_id == self.org_id)
        return stmt.where(false())

    def organisations(self, stmt: Select[T]) -> Select[T]:
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
