"""Compliance flags: recomputation (rules -> stored flags) and the scoped reads and status
changes the API and the dashboard call.

A flag is identified by (contract, rule, key). Recomputing refreshes the latest flag of each
identity the rules still find (evidence, severity, last_detected_at), raises a new one only
when there is none or the last was resolved *and* its condition had gone away since, and marks
with `cleared_at` the flags whose condition no longer holds. Status (open, acknowledged,
resolved) is only ever changed by a person; recomputation never touches it.

When recomputation runs (the reactions are in app.compliance.reactions):
- every change another domain publishes (app.core.changes) marks its contract stale, in the
  writer's transaction (one cheap UPDATE); the flags endpoint recomputes stale contracts in the
  reader's scope before it answers, and so does `chainboard recompute-flags`, on a schedule. A
  contract last computed before today is stale too (time alone moves deadlines and windows);
- once a payment is recorded or paid (COM-1), a member's status changes (SCD-1, CON-2,
  CON-3) or a complaint changes (CON-1, CON-3), those rules are recomputed at once, after the
  change commits (`GROUPS_AFTER`).
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.auth.permissions import authorize, may
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.compliance import queries, rules
from app.compliance.schemas import FlagFilters, FlagRead, FlagStatusChange
from app.core.changes import Kind
from app.core.db import SQLITE_IMMEDIATE
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.core.timeutil import local_date, today, utcnow
from app.models import ComplianceContractState, ComplianceFlag, Contract
from app.models.audit import record_audit
from app.supply_chain.schemas import ContractSettings
from app.supply_chain.service import contract_settings

Evaluator = Callable[[Session, Contract, ContractSettings, date], list[rules.FlagCandidate]]


def _scd1(session: Session, contract: Contract, settings: ContractSettings,
          as_of: date) -> list[rules.FlagCandidate]:
    first = as_of - timedelta(days=settings.starvation_window_days - 1)
    return rules.referral_starvation(
        queries.members(session, contract.id),
        queries.daily_referrals(session, contract.id, first, as_of), as_of, settings)


def _scd2(session: Session, contract: Contract, settings: ContractSettings,
          as_of: date) -> list[rules.FlagCandidate]:
    first = as_of - timedelta(days=settings.specialist_window_days - 1)
    return rules.specialist_starvation(
        queries.members(session, contract.id),
        queries.daily_specialist_referrals(session, contract.id, first, as_of), as_of,
        settings)


def _com1(session: Session, contract: Contract, _settings: ContractSettings,
          as_of: date) -> list[rules.FlagCandidate]:
    return rules.late_payments(queries.payments(session, contract.id), as_of)


def _con1(session: Session, contract: Contract, settings: ContractSettings,
          as_of: date) -> list[rules.FlagCandidate]:
    return rules.dispute_handling(queries.complaints(session, contract.id), as_of, settings)


def _con2(session: Session, contract: Contract, _settings: ContractSettings,
          _as_of: date) -> list[rules.FlagCandidate]:
    return rules.exit_without_due_process(queries.status_changes(session, contract.id),
                                          queries.improvement_plans(session, contract.id))


def _con3(session: Session, contract: Contract, settings: ContractSettings,
          as_of: date) -> list[rules.FlagCandidate]:
    complaints = queries.complaints(session, contract.id)
    daily = queries.retaliation_referrals(session, contract.id, complaints,
                                          settings.retaliation_window_days, as_of)
    return rules.possible_retaliation(complaints, daily,
                                      queries.status_changes(session, contract.id), as_of,
                                      settings)


def _league(session: Session, contract: Contract, settings: ContractSettings,
            as_of: date) -> list[rules.FlagCandidate]:
    results, period = queries.league_results(session, contract, as_of,
                                             settings.flag_rag_basis)
    return (rules.unfair_comparison(results, period)
            + rules.contract_compliance(results, period, settings))


@dataclass(frozen=True)
class RuleGroup:
    rules: tuple[str, ...]  # the rules whose flags this evaluation decides
    evaluate: Evaluator


# Rules that share their inputs are evaluated together (REV-1 and the contract flags all read
# the league table once).
RULE_GROUPS: dict[str, RuleGroup] = {
    "SCD-1": RuleGroup(("SCD-1",), _scd1),
    "SCD-2": RuleGroup(("SCD-2",), _scd2),
    "COM-1": RuleGroup(("COM-1",), _com1),
    "CON-1": RuleGroup(("CON-1",), _con1),
    "CON-2": RuleGroup(("CON-2",), _con2),
    "CON-3": RuleGroup(("CON-3",), _con3),
    "league": RuleGroup(("REV-1", "CC-CHECKS", "CC-TIMELINESS", "CC-RAG"), _league),
}
# The rule groups worth recomputing as soon as a change of these kinds commits (its reaction
# is in app.compliance.reactions); the rest waits for the next read of the flags.
GROUPS_AFTER: dict[Kind, tuple[str, ...]] = {
    Kind.PAYMENT: ("COM-1",),
    Kind.MEMBER_STATUS: ("SCD-1", "SCD-2", "CON-2", "CON-3"),
    Kind.COMPLAINT: ("CON-1", "CON-3"),
}


def evaluate_group(session: Session, contract: Contract, group: str,
                   as_of: date) -> list[rules.FlagCandidate]:
    """One rule group's candidates (its SQL and its rules), nothing written."""
    return RULE_GROUPS[group].evaluate(session, contract, contract_settings(contract), as_of)


# -- recomputation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecomputeResult:
    contract_id: int
    raised: int  # new flags
    refreshed: int  # flags still holding, evidence refreshed
    cleared: int  # flags whose condition went away in this run


def recompute_flags(session: Session, contract_id: int, now: datetime | None = None,
                    groups: Collection[str] | None = None) -> RecomputeResult:
    """Evaluate the rules for one contract as of `now` (default: the clock) and store the
    result (see the module docstring). All rule groups unless `groups` names some. Commits:
    call it after the change that prompted it is committed."""
    now = now or utcnow()
    as_of = local_date(now)
    full = groups is None
    chosen = list(RULE_GROUPS) if groups is None else list(groups)
    session.commit()
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(f"contract {contract_id} not found")
    session.commit()  # the writes below begin their own transactions, taking the lock first
    if full:  # claim: a write committed from here on marks the contract stale again
        _state_for_update(session, contract_id).stale_since = None
        session.commit()
    try:
        candidates = [c for g in chosen for c in evaluate_group(session, contract, g, as_of)]
        session.commit()  # end the read transaction: the write below takes the lock afresh
        state = _state_for_update(session, contract_id)
        result = _store(session, contract_id, candidates,
                        [rule for g in chosen for rule in RULE_GROUPS[g].rules], now)
        if full:
            state.computed_at = utcnow()
        session.commit()
    except BaseException:
        session.rollback()
        if full:
            mark_contracts_stale(session, [contract_id])
            session.commit()
        raise
    return result


def _state_for_update(session: Session, contract_id: int) -> ComplianceContractState:
    """The contract's state row, locked until the transaction ends (SQLite: the write lock
    taken at BEGIN; PostgreSQL: the row), created if missing."""
    session.connection(execution_options={SQLITE_IMMEDIATE: True})
    insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)
    session.execute(insert(ComplianceContractState).values(contract_id=contract_id)
                    .on_conflict_do_nothing(index_elements=["contract_id"]))
    return session.scalars(select(ComplianceContractState).where(
        ComplianceContractState.contract_id == contract_id).with_for_update()
        .execution_options(populate_existing=True)).one()


def _store(session: Session, contract_id: int, candidates: Sequence[rules.FlagCandidate],
           decided_rules: Collection[str], now: datetime) -> RecomputeResult:
    latest: dict[tuple[str, str], ComplianceFlag] = {}
    flag: ComplianceFlag | None
    for flag in session.scalars(select(ComplianceFlag).where(
            ComplianceFlag.contract_id == contract_id,
            ComplianceFlag.rule.in_(decided_rules)).order_by(ComplianceFlag.id)):
        latest[(flag.rule, flag.key)] = flag
    raised = refreshed = cleared = 0
    found = set()
    for candidate in candidates:
        identity = (candidate.rule, candidate.key)
        found.add(identity)
        flag = latest.get(identity)
        if flag is None or (flag.status == "resolved" and flag.cleared_at is not None):
            # None yet, or the last one was dealt with and its condition went away: a new
            # occurrence deserves a new flag.
            flag = ComplianceFlag(contract_id=contract_id, rule=candidate.rule,
                                  key=candidate.key, standard=candidate.standard,
                                  principle=candidate.principle, status="open",
                                  first_detected_at=now)
            session.add(flag)
            raised += 1
        else:
            refreshed += 1
        flag.subject_org_id = candidate.subject_org_id
        flag.complaint_id = candidate.complaint_id
        flag.severity = candidate.severity
        flag.summary = candidate.summary
        flag.evidence = candidate.evidence
        flag.last_detected_at = now
        flag.cleared_at = None
    for identity, flag in latest.items():
        if identity not in found and flag.cleared_at is None:
            flag.cleared_at = now
            cleared += 1
    return RecomputeResult(contract_id, raised, refreshed, cleared)


# -- staleness ---------------------------------------------------------------------------------
def mark_contracts_stale(session: Session, contract_ids: Iterable[int],
                         now: datetime | None = None) -> None:
    """In the caller's transaction: these contracts' data changed. Touches a row only when
    it is not stale yet, so concurrent writers rarely wait on it."""
    ids = sorted(set(contract_ids))
    if ids:
        session.execute(update(ComplianceContractState)
                        .where(ComplianceContractState.contract_id.in_(ids),
                               ComplianceContractState.stale_since.is_(None))
                        .values(stale_since=now or utcnow()))


def stale_contract_ids(session: Session, contract_ids: Iterable[int] | None = None) -> list[int]:
    """Contracts never computed, changed since, or last computed before today."""
    stmt = select(Contract.id, ComplianceContractState).outerjoin(
        ComplianceContractState, ComplianceContractState.contract_id == Contract.id)
    if contract_ids is not None:
        stmt = stmt.where(Contract.id.in_(list(contract_ids)))
    current_day = today()
    return [contract_id for contract_id, state in session.execute(stmt.order_by(Contract.id))
            if state is None or state.stale_since is not None or state.computed_at is None
            or local_date(state.computed_at) < current_day]


def recompute_stale(session: Session, contract_ids: Iterable[int] | None = None,
                    now: datetime | None = None) -> list[RecomputeResult]:
    return [recompute_flags(session, contract_id, now=now)
            for contract_id in stale_contract_ids(session, contract_ids)]


def recompute_all(session: Session, contract_id: int | None = None,
                  now: datetime | None = None) -> list[RecomputeResult]:
    """Every contract (or one), stale or not: the scheduled run."""
    ids = ([contract_id] if contract_id is not None
           else list(session.scalars(select(Contract.id).order_by(Contract.id))))
    return [recompute_flags(session, i, now=now) for i in ids]


# -- reading -----------------------------------------------------------------------------------
def _refresh_visible(session: Session, principal: Principal,
                     contract_id: int | None = None) -> None:
    """Recompute the stale contracts whose flags the principal may see, before reading."""
    stmt = Scope(principal).flag_contracts(select(Contract.id))
    if contract_id is not None:
        stmt = stmt.where(Contract.id == contract_id)
    recompute_stale(session, list(session.scalars(stmt)))


def list_flags(session: Session, principal: Principal, filters: FlagFilters,
               page: PageParams) -> tuple[list[FlagRead], str | None]:
    authorize(principal, "compliance_flags.read")
    _refresh_visible(session, principal, filters.contract_id)
    scope = Scope(principal)
    stmt = scope.compliance_flags(select(ComplianceFlag))
    if filters.contract_id is not None:
        stmt = stmt.where(ComplianceFlag.contract_id == filters.contract_id)
    for column, value in ((ComplianceFlag.standard, filters.standard),
                          (ComplianceFlag.principle, filters.principle),
                          (ComplianceFlag.status, filters.status),
                          (ComplianceFlag.rule, filters.rule),
                          (ComplianceFlag.severity, filters.severity)):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.subject_org_id is not None:
        # A subject the principal may not see (a confidential complainant) never matches.
        stmt = stmt.where(ComplianceFlag.subject_org_id == filters.subject_org_id,
                          ~scope.flag_complainant_hidden())
    if filters.cleared is not None:
        stmt = stmt.where(ComplianceFlag.cleared_at.is_not(None) if filters.cleared
                          else ComplianceFlag.cleared_at.is_(None))
    flags, cursor = paginate(session, stmt, ComplianceFlag.id, page)
    hidden = _hidden_ids(session, scope, [f.id for f in flags])
    return [flag_read(f, f.id in hidden) for f in flags], cursor


def _hidden_ids(session: Session, scope: Scope, flag_ids: list[int]) -> set[int]:
    if not flag_ids:
        return set()
    return set(session.scalars(select(ComplianceFlag.id).where(
        ComplianceFlag.id.in_(flag_ids), scope.flag_complainant_hidden())))


def _visible_flag(session: Session, principal: Principal, flag_id: str,
                  lock: bool = False) -> ComplianceFlag:
    stmt = Scope(principal).compliance_flags(select(ComplianceFlag).where(
        ComplianceFlag.public_id == flag_id))
    flag = session.scalar(stmt.with_for_update() if lock else stmt)
    if flag is None:
        raise NotFound(f"compliance flag {flag_id} not found")
    return flag


def get_flag(session: Session, principal: Principal, flag_id: str) -> FlagRead:
    authorize(principal, "compliance_flags.read")
    flag = _visible_flag(session, principal, flag_id)
    if stale_contract_ids(session, [flag.contract_id]):
        recompute_flags(session, flag.contract_id)
        flag = _visible_flag(session, principal, flag_id)
    scope = Scope(principal)
    return flag_read(flag, flag.id in _hidden_ids(session, scope, [flag.id]))


# Status changes a person may make; recomputation never changes the status.
ALLOWED_STATUS_CHANGES: dict[str, tuple[str, ...]] = {
    "open": ("acknowledged", "resolved"),
    "acknowledged": ("resolved",),
    "resolved": (),
}


def flag_counts(session: Session, principal: Principal,
                contract_id: int | None = None) -> dict[str, int]:
    """How many flags the principal may see, by status (open, acknowledged, resolved), on one
    contract or all; stale contracts are recomputed first, as for the list."""
    authorize(principal, "compliance_flags.read")
    _refresh_visible(session, principal, contract_id)
    stmt = Scope(principal).compliance_flags(
        select(ComplianceFlag.status, func.count(ComplianceFlag.id))
        .group_by(ComplianceFlag.status))
    if contract_id is not None:
        stmt = stmt.where(ComplianceFlag.contract_id == contract_id)
    counts = {status: 0 for status in ALLOWED_STATUS_CHANGES}
    counts.update({status: number for status, number in session.execute(stmt)})
    return counts


def flag_status_changes(session: Session, principal: Principal, flag_id: str) -> list[str]:
    """The statuses the principal may give this flag now: none unless it may change flags
    and the flag is on a contract it manages (what `change_flag_status` would accept)."""
    if not may(principal, "compliance_flags.update"):
        return []
    status = session.scalar(Scope(principal).managed_compliance_flags(
        select(ComplianceFlag.status).where(ComplianceFlag.public_id == flag_id)))
    return [] if status is None else list(ALLOWED_STATUS_CHANGES[status])


def change_flag_status(session: Session, principal: Principal, flag_id: str,
                       payload: FlagStatusChange) -> FlagRead:
    authorize(principal, "compliance_flags.update")
    session.commit()
    session.connection(execution_options={SQLITE_IMMEDIATE: True})
    flag = session.scalar(Scope(principal).managed_compliance_flags(
        select(ComplianceFlag).where(ComplianceFlag.public_id == flag_id)).with_for_update())
    if flag is None:
        raise NotFound(f"compliance flag {flag_id} not found")
    allowed = ALLOWED_STATUS_CHANGES[flag.status]
    if payload.status not in allowed:
        session.rollback()
        raise Conflict(f"status: a flag that is {flag.status} cannot become {payload.status}",
                       allowed=list(allowed))
    previous = flag.status
    flag.status = payload.status
    flag.status_note = payload.note
    flag.status_changed_by_user_id = principal.user_id
    flag.status_changed_at = utcnow()
    record_audit(session, principal, "compliance_flag.status", "compliance_flag", flag.public_id,
                 contract_id=flag.contract_id, rule=flag.rule, previous=previous,
                 status=payload.status, note=payload.note)
    session.commit()
    hidden = _hidden_ids(session, Scope(principal), [flag.id])
    return flag_read(flag, flag.id in hidden)


def flag_read(flag: ComplianceFlag, complainant_hidden: bool) -> FlagRead:
    """The flag as a reader sees it; with the complainant hidden (a confidential complaint,
    read by the prime's users) no field names the complainant."""
    evidence = dict(flag.evidence)
    subject: int | None = flag.subject_org_id
    if complainant_hidden:
        subject = None
        evidence["complainant_org_id"] = None
    rule = rules.RULES.get(flag.rule)
    return FlagRead(
        id=flag.public_id, contract_id=flag.contract_id, rule=flag.rule,
        title=rule.title if rule else flag.rule, standard=flag.standard,
        principle=flag.principle,
        merlin_2018_principles=list(rule.merlin_2018) if rule else [],
        severity=flag.severity, subject_org_id=subject, complainant_hidden=complainant_hidden,
        complaint_id=flag.complaint_ref, summary=flag.summary, evidence=evidence,
        status=flag.status, first_detected_at=flag.first_detected_at,
        last_detected_at=flag.last_detected_at, cleared_at=flag.cleared_at,
        status_note=flag.status_note, status_changed_at=flag.status_changed_at,
        status_changed_by_user_id=flag.status_changed_by_user_id)

